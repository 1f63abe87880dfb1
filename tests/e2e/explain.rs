//! `--explain` through the binary against the LLM simulator: one call per root cause, nothing
//! unscrubbed on the wire, the cache, fallbacks, `--dry-run` and the `--no-scrub` refusal.

use std::{
    collections::BTreeSet,
    process::{Command, Stdio},
};

use kubewhy_sim::{LlmFault, LlmSim, LlmSimOptions};
use serde_json::Value;
use tempfile::TempDir;

use crate::support::{Run, repo_path};

/// Runs kubewhy with its cache and config in `home`, on a blocking thread so that the
/// simulator keeps serving.
async fn kubewhy_in(home: &TempDir, args: &[&str]) -> Run {
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    let home = home.path().to_owned();
    tokio::task::spawn_blocking(move || {
        let out = Command::new(env!("CARGO_BIN_EXE_kubewhy"))
            .args(&args)
            .env_remove("KUBECONFIG")
            .env_remove("KUBEWHY_CONFIG")
            .env("NO_COLOR", "1")
            .env("HOME", &home)
            .env("XDG_CACHE_HOME", home.join("cache"))
            .env("XDG_CONFIG_HOME", home.join("config"))
            .stdin(Stdio::null())
            .output()
            .expect("the kubewhy binary runs");
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    })
    .await
    .unwrap()
}

async fn sim() -> LlmSim {
    LlmSim::start(LlmSimOptions::default())
        .await
        .expect("the LLM simulator starts")
}

fn explain_args(base_url: &str) -> Vec<String> {
    [
        "demo",
        "--explain",
        "--backend",
        "local",
        "--model",
        "any",
        "-o",
        "json",
        "--base-url",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .chain([base_url.to_owned()])
    .collect()
}

async fn explain_demo(home: &TempDir, sim: &LlmSim, extra: &[&str]) -> Run {
    let base = format!("{}/v1", sim.url());
    let mut args = explain_args(&base);
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    kubewhy_in(home, &refs).await
}

/// Issues caused by no other issue of the report: the ones that get a call.
fn root_causes(report: &Value) -> usize {
    let issues = report["issues"].as_array().expect("issues");
    let present: BTreeSet<&str> = issues
        .iter()
        .filter_map(|i| i["fingerprint"].as_str())
        .collect();
    issues
        .iter()
        .filter(|i| {
            i["caused_by"].as_array().is_none_or(|causes| {
                !causes
                    .iter()
                    .any(|c| c.as_str().is_some_and(|c| present.contains(c)))
            })
        })
        .count()
}

/// Whether `text` has `name` as a word of its own (not inside `cartridge` for `cart`).
fn mentions(text: &str, name: &str) -> bool {
    let glued = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '-' || c == '.');
    text.match_indices(name).any(|(i, _)| {
        !glued(text[..i].chars().next_back()) && !glued(text[i + name.len()..].chars().next())
    })
}

/// The anonymizer's Kubernetes vocabulary: public names (`kube-system`, `coredns`) it keeps on
/// purpose.
fn vocabulary() -> BTreeSet<String> {
    let text = std::fs::read_to_string(repo_path("crates/scrub/data/vocabulary.txt")).unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with('['))
        .flat_map(str::split_whitespace)
        .map(str::to_ascii_lowercase)
        .collect()
}

/// Every object name the demo report mentions, but the public vocabulary.
fn object_names(report: &Value) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for issue in report["issues"].as_array().expect("issues") {
        let objects = issue["objects"].as_array().into_iter().flatten();
        for object in std::iter::once(&issue["root"]).chain(objects) {
            if let Some(name) = object["name"].as_str() {
                names.insert(name.to_owned());
            }
            if let Some(ns) = object["namespace"].as_str() {
                names.insert(ns.to_owned());
            }
        }
    }
    let vocabulary = vocabulary();
    names.retain(|n| !vocabulary.contains(&n.to_ascii_lowercase()));
    names
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_call_per_root_cause_nothing_unscrubbed_on_the_wire_and_the_cache_hits() {
    let sim = sim().await;
    let home = tempfile::tempdir().unwrap();
    let run = explain_demo(&home, &sim, &[]).await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = run.json();
    let roots = root_causes(&report);
    let calls = sim.chat_requests();
    assert_eq!(calls.len(), roots, "one call per root-cause issue");
    for issue in report["issues"].as_array().unwrap() {
        let explanation = &issue["explanation"];
        assert_eq!(explanation["backend"], "local", "{issue}");
        assert_eq!(explanation["fallback"], false, "{issue}");
        assert!(!explanation["text"].as_str().unwrap().is_empty());
    }
    let names = object_names(&report);
    assert!(names.len() > 20, "{names:?}");
    let leaked: BTreeSet<&String> = calls
        .iter()
        .flat_map(|call| {
            let body = call.body_text();
            names
                .iter()
                .filter(move |n| mentions(&body, n))
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(leaked.is_empty(), "{leaked:?} reached the wire");
    let tokens: u64 = report["issues"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["explanation"]["tokens_in"].as_u64())
        .sum();
    assert!(tokens > 0);
    eprintln!(
        "{} calls for {} issues, {tokens} prompt tokens",
        calls.len(),
        report["issues"].as_array().unwrap().len()
    );

    sim.clear_requests();
    let again = explain_demo(&home, &sim, &[]).await;
    assert_eq!(again.code, 1, "{}", again.stderr);
    assert_eq!(
        sim.chat_requests().len(),
        0,
        "the second run hits the cache"
    );
    let cached = again.json();
    assert!(
        cached["issues"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["explanation"]["cached"] == true),
        "{cached}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backend_that_always_fails_gives_fallbacks_and_the_usual_exit_code() {
    let sim = sim().await;
    sim.set_persistent_fault(Some(LlmFault::ServerError));
    let home = tempfile::tempdir().unwrap();
    let run = explain_demo(&home, &sim, &["--no-cache"]).await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = run.json();
    for issue in report["issues"].as_array().unwrap() {
        assert_eq!(issue["explanation"]["fallback"], true, "{issue}");
        assert!(!issue["explanation"]["text"].as_str().unwrap().is_empty());
    }
    let warnings = report["warnings"].as_array().unwrap();
    assert!(
        warnings
            .iter()
            .any(|w| w["kind"] == "explain" && w["message"].as_str().unwrap().contains("500")),
        "{warnings:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_run_prints_the_prompts_and_sends_nothing() {
    let sim = sim().await;
    let home = tempfile::tempdir().unwrap();
    let base = format!("{}/v1", sim.url());
    let run = kubewhy_in(
        &home,
        &[
            "demo",
            "--explain",
            "--dry-run",
            "--backend",
            "local",
            "--base-url",
            &base,
        ],
    )
    .await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(sim.chat_requests().is_empty(), "a dry run sends nothing");
    assert!(run.stdout.contains("nothing was sent"), "{}", run.stdout);
    assert!(run.stdout.contains("<evidence>"), "{}", run.stdout);
    assert!(run.stdout.contains("prompt tokens"), "{}", run.stdout);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_scrub_to_a_remote_backend_is_refused() {
    let home = tempfile::tempdir().unwrap();
    let run = kubewhy_in(
        &home,
        &[
            "demo",
            "--explain",
            "--no-scrub",
            "--backend",
            "local",
            "--base-url",
            "http://203.0.113.7:8080/v1",
        ],
    )
    .await;
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(
        run.stderr.contains("--no-scrub is refused"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.is_empty(), "{}", run.stdout);
}
