//! `--explain` through the binary against the LLM simulator: one call per root cause, nothing
//! unscrubbed on the wire, the cache, fallbacks, `--dry-run` and the `--no-scrub` refusal.

use std::collections::BTreeSet;

use kubewhy_sim::{LlmFault, LlmSim, LlmSimOptions};
use serde_json::Value;
use tempfile::TempDir;

use crate::support::{Run, isolated, repo_path, run_blocking};

/// Runs kubewhy with its cache and config in `home`, on a blocking thread so that the
/// simulator keeps serving.
async fn kubewhy_in(home: &TempDir, args: &[&str]) -> Run {
    run_blocking(isolated(home.path(), args)).await
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
        // Every call was retried to the limit; a symptom reuses its cause's fallback.
        assert_eq!(
            issue["explanation"]["fallback_reason"], "500 after 4 attempts",
            "{issue}"
        );
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

/// A model that always suggests restarting a Deployment that does not exist.
const GHOST: &str = r#"{"summary": "The workload is failing.",
    "root_cause": "Its configuration is wrong.",
    "fix": ["Restart it."],
    "commands": [
        {"command": "kubectl get pods -n shop", "mode": "read-only"},
        {"command": "kubectl rollout restart deployment/ghost-writer -n shop", "mode": "changing"}
    ],
    "confidence": "low"}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_naming_an_object_that_does_not_exist_is_flagged() {
    let sim = LlmSim::start(LlmSimOptions {
        answer: kubewhy_sim::SimAnswer::Fixed(GHOST.to_owned()),
        ..LlmSimOptions::default()
    })
    .await
    .expect("the LLM simulator starts");
    let home = tempfile::tempdir().unwrap();
    let run = explain_demo(&home, &sim, &[]).await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = run.json();
    for issue in report["issues"].as_array().unwrap() {
        let explanation = &issue["explanation"];
        assert_eq!(explanation["fallback"], false, "{issue}");
        assert_eq!(
            explanation["ungrounded"],
            serde_json::json!(["deployment/ghost-writer -n shop"]),
            "{explanation}"
        );
        assert_eq!(
            explanation["structured"]["confidence"], "low",
            "{explanation}"
        );
        assert_eq!(
            explanation["structured"]["commands"][1]["changes"], true,
            "{explanation}"
        );
    }
    // Each call's latency is reported on the issue it explained.
    assert!(
        report["issues"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["explanation"]["latency_ms"].is_u64()),
        "{report}"
    );
    // The text report warns under each explanation (from the cache this time).
    let base = format!("{}/v1", sim.url());
    let text = kubewhy_in(
        &home,
        &[
            "demo",
            "--explain",
            "--backend",
            "local",
            "--model",
            "any",
            "--base-url",
            &base,
        ],
    )
    .await;
    assert_eq!(text.code, 1, "{}", text.stderr);
    assert!(
        text.stdout.contains(
            "warning: the suggested commands name objects that are neither in the issue nor in \
             the cluster: deployment/ghost-writer -n shop"
        ),
        "{}",
        text.stdout
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_budget_fallback_says_why() {
    let sim = sim().await;
    let home = tempfile::tempdir().unwrap();
    let run = explain_demo(&home, &sim, &["--no-cache", "--token-budget", "1"]).await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(sim.chat_requests().is_empty(), "the budget allows no call");
    for issue in run.json()["issues"].as_array().unwrap() {
        let explanation = &issue["explanation"];
        assert_eq!(explanation["fallback"], true, "{issue}");
        assert_eq!(explanation["fallback_reason"], "budget", "{issue}");
        assert!(
            explanation["structured"]["root_cause"].is_string(),
            "{issue}"
        );
    }
}

/// The rows of an eval table: `(scenario id, result)`.
fn eval_rows(stdout: &str) -> Vec<(String, String)> {
    stdout
        .lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            let id = words.next()?;
            let result = words.next()?;
            (id.contains('-') && matches!(result, "pass" | "FAIL"))
                .then(|| (id.to_owned(), result.to_owned()))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eval_with_the_offline_explainer_passes_nine_in_ten_on_the_demo_and_on_the_archives() {
    let home = tempfile::tempdir().unwrap();
    let run = kubewhy_in(&home, &["eval", "--min-pass-rate", "90"]).await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let rows = eval_rows(&run.stdout);
    assert_eq!(rows.len(), 20, "one row per demo scenario:\n{}", run.stdout);
    let passed = rows.iter().filter(|(_, r)| r == "pass").count();
    assert!(passed >= 18, "{}", run.stdout);
    assert!(
        run.stdout.contains("SCENARIO  RESULT  CAUSE  FACTS"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(&format!("passed {passed} of 20")),
        "{}",
        run.stdout
    );

    let fixtures = repo_path("tests/fixtures/archives");
    let json = kubewhy_in(&home, &["eval", "--fixtures", &fixtures, "-o", "json"]).await;
    assert_eq!(json.code, 0, "{}", json.stderr);
    let report = json.json();
    assert_eq!(report["schema"], "kubewhy.eval/v1");
    assert_eq!(report["backend"], "offline");
    let suites = report["suites"].as_array().unwrap();
    assert_eq!(suites.len(), 2, "{report}");
    for suite in suites {
        let rate = suite["pass_rate"].as_f64().unwrap();
        let misses: Vec<&Value> = suite["scenarios"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["passed"] == false)
            .collect();
        eprintln!(
            "{}: {:.0}%, misses: {misses:?}",
            suite["name"],
            rate * 100.0
        );
        assert!(rate >= 0.9, "{suite}");
    }
    assert!(suites[1]["total"].as_u64().unwrap() >= 6, "{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eval_against_the_simulator_scores_its_answers_and_counts_tokens() {
    let sim = sim().await;
    let home = tempfile::tempdir().unwrap();
    let base = format!("{}/v1", sim.url());
    let args = [
        "eval",
        "--backend",
        "local",
        "--model",
        "any",
        "--base-url",
        &base,
        "--no-cache",
    ];
    let run = kubewhy_in(&home, &args).await;
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("kubewhy eval: local (any)"),
        "{}",
        run.stdout
    );
    assert_eq!(eval_rows(&run.stdout).len(), 20, "{}", run.stdout);
    let calls = sim.chat_requests().len();
    assert!(calls > 0, "the eval calls the backend");

    sim.clear_requests();
    let json = kubewhy_in(&home, &[&args[..], &["-o", "json"]].concat()).await;
    assert_eq!(json.code, 0, "{}", json.stderr);
    let report = json.json();
    let demo = &report["suites"][0];
    assert_eq!(demo["name"], "demo");
    assert!(demo["tokens_in"].as_u64().unwrap() > 0, "{demo}");
    assert!(demo["tokens_out"].as_u64().unwrap() > 0, "{demo}");
    assert_eq!(sim.chat_requests().len(), calls, "the same calls again");
    for scenario in demo["scenarios"].as_array().unwrap() {
        // The simulator's answers are generic; the protocol holds whatever they score.
        assert_eq!(scenario["wire_clean"], true, "{scenario}");
        assert!(scenario["facts"].is_u64(), "{scenario}");
    }
    eprintln!(
        "simulator: {}/{} passed, {} calls, {} tokens in, {} out, {} ms",
        demo["passed"],
        demo["total"],
        calls,
        demo["tokens_in"],
        demo["tokens_out"],
        demo["latency_ms"]
    );
}
