//! `HTTPS_PROXY` as the user sets it: a child process of this test binary gets the variable
//! and reaches the simulator over HTTPS through a CONNECT proxy on loopback.

mod common;

use std::sync::{Arc, Mutex};

use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::{TcpListener, TcpStream},
};

use common::{KEY, collect, options, request, start};
use kubewhy_llm::{BackendKind, build};
use kubewhy_sim::LlmSimOptions;

/// A CONNECT proxy that only tunnels to loopback; it records each request line.
async fn start_proxy() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let log = Arc::clone(&log);
            tokio::spawn(async move {
                let mut client = BufReader::new(client);
                let mut line = String::new();
                client.read_line(&mut line).await.unwrap();
                loop {
                    let mut header = String::new();
                    client.read_line(&mut header).await.unwrap();
                    if header.trim().is_empty() {
                        break;
                    }
                }
                log.lock().unwrap().push(line.trim().to_owned());
                let target = line.split_whitespace().nth(1).unwrap_or("").to_owned();
                if !target.starts_with("127.0.0.1:") {
                    let _ = client
                        .get_mut()
                        .write_all(b"HTTP/1.1 403 Forbidden\r\n\r\n")
                        .await;
                    return;
                }
                let mut upstream = TcpStream::connect(&target).await.unwrap();
                client
                    .get_mut()
                    .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    .await
                    .unwrap();
                let _ = tokio::io::copy_bidirectional(client.get_mut(), &mut upstream).await;
            });
        }
    });
    (format!("http://{addr}"), seen)
}

#[tokio::test]
async fn https_proxy_from_the_environment_is_used() {
    let sim = start(LlmSimOptions {
        tls: true,
        ..options()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, sim.ca_pem().unwrap()).unwrap();
    let (proxy, seen) = start_proxy().await;
    let exe = std::env::current_exe().unwrap();
    let output = tokio::process::Command::new(exe)
        .args([
            "--exact",
            "child_sends_through_the_proxy",
            "--ignored",
            "--nocapture",
        ])
        .env("HTTPS_PROXY", &proxy)
        .env("KUBEWHY_TEST_LLM_URL", sim.url())
        .env("KUBEWHY_TEST_CA", &ca)
        .env("LOCAL_KEY", KEY)
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .env_remove("ALL_PROXY")
        .env_remove("all_proxy")
        .env_remove("https_proxy")
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("1 passed"), "{stdout}");
    let port = sim.addr().port();
    assert!(
        seen.lock()
            .unwrap()
            .contains(&format!("CONNECT 127.0.0.1:{port} HTTP/1.1")),
        "{seen:?}"
    );
    assert_eq!(sim.chat_requests().len(), 1);
}

#[tokio::test]
#[ignore = "run by https_proxy_from_the_environment_is_used in a process of its own"]
async fn child_sends_through_the_proxy() {
    let url = std::env::var("KUBEWHY_TEST_LLM_URL").unwrap();
    let mut local = kubewhy_llm::Profile::new(BackendKind::Local);
    local.base_url = Some(format!("{url}/v1"));
    local.model = Some("local-model".into());
    local.api_key_env = Some("LOCAL_KEY".into());
    local.ca_file = Some(std::env::var("KUBEWHY_TEST_CA").unwrap().into());
    let backend = build("proxied", &local, &kubewhy_llm::process_env).unwrap();
    let (text, finish) = collect(backend.chat(&request()).await.unwrap()).await;
    finish.unwrap();
    assert!(!text.is_empty());
}
