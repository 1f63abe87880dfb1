//! `kubewhy serve` through the binary: Slack's signed requests over real sockets, against the
//! Slack, LLM and Kubernetes simulators; notifications across watch cycles and restarts; MCP
//! through the official Python client; REST, health and metrics.

mod load;
mod mcp;
mod notify;
mod rest;
mod slack;
mod soak;

use std::{
    path::Path,
    process::{Child, Stdio},
    time::{Duration, Instant},
};

use kubewhy_sim::slack::{SlackSim, SlackSimOptions, signed_headers};
use serde_json::Value;

use crate::support::isolated;

/// The signing secret the tests' Slack app has.
pub const SECRET: &str = "8f742231b10e8888abcd99yyyzzz85a5";

/// A running `kubewhy serve`; killed when dropped.
pub struct Server {
    child: Child,
    pub url: String,
    log: std::path::PathBuf,
}

impl Server {
    /// Starts `kubewhy serve` with `args` and `env`, its home in `home`, and waits until it is
    /// ready.
    pub async fn start(home: &Path, args: &[&str], env: &[(&str, &str)]) -> Self {
        let port = free_port();
        let listen = format!("127.0.0.1:{port}");
        let mut all = vec!["serve", "--listen", &listen, "-v"];
        all.extend_from_slice(args);
        let mut command = isolated(home, &all);
        command.env("XDG_STATE_HOME", home.join("state"));
        for (k, v) in env {
            command.env(k, v);
        }
        let log = home.join(format!("serve-{port}.log"));
        let file = std::fs::File::create(&log).expect("the log file opens");
        command.stdout(Stdio::null()).stderr(file);
        let child = command.spawn().expect("kubewhy serve starts");
        let server = Self {
            child,
            url: format!("http://{listen}"),
            log,
        };
        server.wait_ready().await;
        server
    }

    async fn wait_ready(&self) {
        let client = http();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(r) = client.get(format!("{}/readyz", self.url)).send().await
                && r.status().is_success()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("kubewhy serve was not ready within 30 s:\n{}", self.log());
    }

    /// What it logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Sends SIGTERM and waits for the exit.
    pub async fn stop(mut self) -> String {
        let pid = self.child.id().to_string();
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return self.log();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("kubewhy serve did not stop on SIGTERM:\n{}", self.log());
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP client, with the process's TLS provider chosen as the binary chooses it.
pub fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

pub async fn slack_sim() -> SlackSim {
    SlackSim::start(SlackSimOptions::default())
        .await
        .expect("the Slack simulator starts")
}

/// Posts a slash command signed as Slack signs it; returns the status, the body as JSON (or
/// a string) and how long the answer took.
pub async fn command(server: &Server, fields: &[(&str, &str)]) -> (u16, Value, Duration) {
    let body = serde_urlencoded::to_string(fields).expect("the form encodes");
    post_signed(
        server,
        "/slack/commands",
        body.into_bytes(),
        "application/x-www-form-urlencoded",
        &[],
    )
    .await
}

/// Posts `body` to `path` with Slack's signature headers and `extra` headers.
pub async fn post_signed(
    server: &Server,
    path: &str,
    body: Vec<u8>,
    content_type: &str,
    extra: &[(&str, &str)],
) -> (u16, Value, Duration) {
    let mut request = http()
        .post(format!("{}{path}", server.url))
        .header("content-type", content_type);
    for (k, v) in signed_headers(SECRET, &body) {
        request = request.header(k, v);
    }
    for (k, v) in extra {
        request = request.header(*k, *v);
    }
    let started = Instant::now();
    let response = request.body(body).send().await.expect("the server answers");
    let took = started.elapsed();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap_or_default();
    let mut value = serde_json::from_str(&text).unwrap_or(Value::String(text));
    if let Some(no_retry) = headers.get("x-slack-no-retry") {
        value =
            serde_json::json!({ "body": value, "no_retry": no_retry.to_str().unwrap_or_default() });
    }
    (status, value, took)
}

/// A slash command's fields, as Slack sends them.
pub fn fields<'a>(
    text: &'a str,
    channel: &'a str,
    response_url: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("token", "legacy-verification-token"),
        ("team_id", "T0SIM"),
        ("channel_id", channel),
        ("channel_name", "ops"),
        ("user_id", "U0SRE"),
        ("user_name", "sre"),
        ("command", "/kubewhy"),
        ("text", text),
        ("response_url", response_url),
        ("trigger_id", "1.2.3"),
    ]
}

/// Every text of a posted message: the fallback and each block's.
pub fn texts(message: &Value) -> String {
    let mut out = message["text"].as_str().unwrap_or_default().to_owned();
    for block in message["blocks"].as_array().into_iter().flatten() {
        for text in [&block["text"]["text"], &block["elements"][0]["text"]] {
            if let Some(t) = text.as_str() {
                out.push('\n');
                out.push_str(t);
            }
        }
    }
    out
}
