//! MCP through the official Python SDK's client, over stdio and over streamable HTTP. The
//! client comes from `.ci/python-tools.sh` (a venv under the cache dir); with `CI` set, a
//! missing client fails the test.

use std::{path::PathBuf, process::Command, time::Duration};

use serde_json::Value;
use tempfile::TempDir;

use super::Server;
use crate::support::{isolated, repo_path, run_blocking};

/// A Python with the `mcp` package, or `None` (outside CI) with a note.
fn python() -> Option<PathBuf> {
    let python = std::env::var_os("KUBEWHY_PYTHON")
        .filter(|v| !v.is_empty())
        .map_or_else(
            || {
                PathBuf::from(std::env::var_os("HOME").unwrap_or_default())
                    .join(".cache/kubewhy/venv/bin/python")
            },
            PathBuf::from,
        );
    let has_mcp = Command::new(&python)
        .args(["-c", "import mcp"])
        .output()
        .is_ok_and(|o| o.status.success());
    if has_mcp {
        return Some(python);
    }
    let note = format!(
        "the MCP test needs a Python with the `mcp` package at {}: run `bash .ci/python-tools.sh FILE` and source FILE (or set KUBEWHY_PYTHON)",
        python.display()
    );
    assert!(
        std::env::var_os("CI").is_none_or(|v| v.is_empty()),
        "{note}"
    );
    eprintln!("note: skipping. {note}");
    None
}

fn client(python: &PathBuf, args: &[&str]) -> Command {
    let mut command = Command::new(python);
    command
        .arg(repo_path("tests/e2e/serve/mcp_client.py"))
        .args(args);
    command
}

/// What a session saw, checked as an assistant would rely on it.
fn check_session(run: &crate::support::Run) {
    assert_eq!(
        run.code, 0,
        "the MCP client failed:\n{}\n{}",
        run.stdout, run.stderr
    );
    let seen: Value =
        serde_json::from_str(run.stdout.trim()).unwrap_or_else(|e| panic!("{e}: {}", run.stdout));
    assert_eq!(seen["server"], "kubewhy");
    let tools: Vec<&str> = seen["tools"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(
        tools,
        [
            "analyze",
            "explain",
            "get_check",
            "get_issue",
            "list_checks",
            "list_issues"
        ]
    );
    assert_eq!(seen["analyze_error"], false);
    let issues = seen["analyze"]["issues"].as_array().unwrap();
    assert!(issues.len() >= 10, "{}", seen["analyze"]);
    // The caller is a model: names are pseudonyms, and the demo's real names never appear.
    let all = run.stdout.as_str();
    for real in [
        "checkout",
        "\"shop\"",
        "frontend",
        "triton-embeddings",
        "node-cpu-c",
    ] {
        assert!(!all.contains(real), "{real} reached the MCP client");
    }
    assert!(all.contains("deployment-"), "pseudonyms are used: {all}");
    // A pseudonym from the analysis works as an argument.
    assert_eq!(seen["explain_error"], false, "{}", seen["explain"]);
    assert!(
        seen["explain"].as_str().unwrap().contains("\"issues\""),
        "{}",
        seen["explain"]
    );
    assert!(seen["issue"]["evidence"].is_object(), "{}", seen["issue"]);
    assert!(seen["checks"].as_u64().unwrap() > 100);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_mcp_client_analyzes_the_demo_over_stdio() {
    let Some(python) = python() else { return };
    let home = TempDir::new().unwrap();
    let probe = isolated(home.path(), &["--version"]);
    let mut command = client(
        &python,
        &["stdio", env!("CARGO_BIN_EXE_kubewhy"), "mcp", "--demo"],
    );
    for (k, v) in probe.get_envs() {
        match v {
            Some(v) => command.env(k, v),
            None => command.env_remove(k),
        };
    }
    let run = tokio::time::timeout(Duration::from_mins(2), run_blocking(command))
        .await
        .expect("the session ends");
    check_session(&run);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_mcp_client_analyzes_the_demo_over_http_with_the_token_and_origin_checked() {
    let Some(python) = python() else { return };
    let home = TempDir::new().unwrap();
    let server = Server::start(
        home.path(),
        &["--demo", "--mcp"],
        &[("KUBEWHY_API_TOKEN", "mcp-token-1")],
    )
    .await;
    let url = format!("{}/mcp", server.url);
    let http = super::http();
    let ping = r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#;
    let anonymous = http
        .post(&url)
        .header("content-type", "application/json")
        .body(ping)
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    let rebinding = http
        .post(&url)
        .bearer_auth("mcp-token-1")
        .header("origin", "http://evil.example")
        .body(ping)
        .send()
        .await
        .unwrap();
    assert_eq!(rebinding.status(), 403);
    let run = tokio::time::timeout(
        Duration::from_mins(2),
        run_blocking(client(&python, &["http", &url, "mcp-token-1"])),
    )
    .await
    .expect("the session ends");
    check_session(&run);
}
