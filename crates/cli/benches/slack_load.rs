//! The load benchmark of `kubewhy serve`: signed slash commands at a fixed rate against the
//! demo, while the LLM simulator takes seconds per call. Reports acknowledgement latency (p50,
//! p99, max), errors, commands coalesced and shed, time to drain and the server's peak memory.
//!
//!     cargo bench -p kubewhy-cli --bench slack_load
//!     KUBEWHY_LOAD_RATE=100 KUBEWHY_LOAD_SECONDS=30 KUBEWHY_LOAD_LLM_DELAY=10 cargo bench -p kubewhy-cli --bench slack_load

use std::{
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use kubewhy_sim::{
    LlmFault, LlmSim, LlmSimOptions,
    slack::{
        SlackSim, SlackSimOptions,
        load::{LoadOptions, run},
    },
};

const SECRET: &str = "load-signing-secret";

/// The commands sent in turn: ten distinct ones, as a team asking about the same incident.
const COMMANDS: [&str; 10] = [
    "analyze",
    "analyze shop",
    "analyze monitoring",
    "analyze ml-inference",
    "explain deploy/checkout -n shop",
    "explain deploy/accounts -n shop",
    "explain deploy/frontend -n shop",
    "explain deploy/triton-embeddings -n ml-inference",
    "explain deploy/llm-70b -n ml-inference",
    "explain cronjob/nightly-report -n shop",
];

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(bench());
}

async fn bench() {
    let rate = u32::try_from(setting("KUBEWHY_LOAD_RATE", 100)).unwrap_or(100);
    let seconds = setting("KUBEWHY_LOAD_SECONDS", 30);
    let delay = setting("KUBEWHY_LOAD_LLM_DELAY", 10);
    let slack = SlackSim::start(SlackSimOptions::default())
        .await
        .expect("the Slack simulator");
    let llm = LlmSim::start(LlmSimOptions::default())
        .await
        .expect("the LLM simulator");
    llm.set_persistent_fault(Some(LlmFault::Delay(Duration::from_secs(delay))));
    let home = tempfile::tempdir().expect("a temporary home");
    let (mut server, url) =
        serve(home.path(), &format!("{}/v1", llm.url()), &slack.api_url()).await;
    let options = LoadOptions {
        server: url.clone(),
        secret: SECRET.to_owned(),
        rate,
        duration: Duration::from_secs(seconds),
        commands: COMMANDS.iter().map(|s| (*s).to_owned()).collect(),
        drain_timeout: Duration::from_mins(2),
    };
    println!(
        "{rate} signed slash commands per second for {seconds} s, the LLM taking {delay} s per call"
    );
    let report = run(&slack, &options).await;
    let metrics = reqwest::get(format!("{url}/metrics"))
        .await
        .expect("metrics")
        .text()
        .await
        .unwrap_or_default();
    let peak = std::fs::read_to_string(format!("/proc/{}/status", server.id()))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:").map(|v| v.trim().to_owned()))
        })
        .unwrap_or_else(|| "unknown".to_owned());
    let _ = server.kill();
    let _ = server.wait();
    print(&report, &metrics, &peak);
}

/// Starts `kubewhy serve` on the demo with the LLM at `llm`, and waits until it is ready.
async fn serve(
    home: &std::path::Path,
    llm: &str,
    slack_api: &str,
) -> (std::process::Child, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let listen = format!("127.0.0.1:{port}");
    let server = Command::new(env!("CARGO_BIN_EXE_kubewhy"))
        .args([
            "serve",
            "--listen",
            &listen,
            "--demo",
            "--backend",
            "local",
            "--model",
            "any",
            "--base-url",
            llm,
        ])
        .env("HOME", home)
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_STATE_HOME", home.join("state"))
        .env("SLACK_SIGNING_SECRET", SECRET)
        .env("KUBEWHY_SLACK_API_URL", slack_api)
        .env_remove("KUBECONFIG")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("kubewhy serve starts");
    let url = format!("http://{listen}");
    let started = Instant::now();
    while reqwest::get(format!("{url}/readyz"))
        .await
        .map(|r| r.status().is_success())
        .ok()
        != Some(true)
    {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the server did not become ready"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    (server, url)
}

fn print(report: &kubewhy_sim::slack::load::LoadReport, metrics: &str, peak: &str) {
    let metric = |name: &str| {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name} ")))
            .unwrap_or("0")
            .to_owned()
    };
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "| sent | accepted | busy | errors | ack p50 | ack p99 | ack max | coalesced | shed | delivered | drain | peak RSS |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
    println!(
        "| {} | {} | {} | {} | {:.1} ms | {:.1} ms | {:.1} ms | {} | {} | {} | {:.1} s | {peak} |",
        report.sent,
        report.accepted,
        report.busy,
        report.errors.len(),
        ms(report.percentile(50.0)),
        ms(report.percentile(99.0)),
        ms(report.latencies.last().copied().unwrap_or_default()),
        metric("kubewhy_requests_coalesced_total"),
        metric("kubewhy_requests_shed_total"),
        report.delivered,
        report.drain.as_secs_f64(),
    );
    for error in report.errors.iter().take(5) {
        println!("error: {error}");
    }
}
