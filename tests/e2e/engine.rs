//! The engine as a user meets it: scope that selects what is reported, absence checks that
//! stay silent when a list failed, the API server's clock, `explain`, cancellation, kubectl's
//! connection flags, shell completions and the man page.

use std::{
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use kubewhy_sim::Fault;

use crate::{
    live::Cluster,
    support::{has_issue, issue_keys, kubewhy, repo_path},
};

fn demo_files() -> String {
    repo_path("crates/source/demo")
}

fn demo_inputs() -> Vec<std::path::PathBuf> {
    vec![demo_files().into()]
}

/// Fingerprints of a JSON report, sorted.
fn fingerprints(report: &serde_json::Value) -> Vec<String> {
    let mut all: Vec<String> = report["issues"]
        .as_array()
        .expect("issues")
        .iter()
        .map(|i| i["fingerprint"].as_str().unwrap_or("").to_owned())
        .collect();
    all.sort();
    all
}

#[test]
fn a_label_selector_selects_what_is_reported_from_files() {
    let all = kubewhy(&["analyze", "-f", &demo_files(), "-o", "json"]);
    let selected = kubewhy(&[
        "analyze",
        "-f",
        &demo_files(),
        "-l",
        "app=checkout",
        "-o",
        "json",
    ]);
    assert_eq!(selected.code, 1, "{}", selected.stderr);
    let report = selected.json();
    let keys = issue_keys(&report);
    assert!(
        has_issue(&report, "pod-crash-looping", "Deployment/checkout"),
        "{keys:?}"
    );
    // Only checkout's issues, and no reference that the selector merely hid.
    assert!(
        keys.iter().all(|(_, root)| root.ends_with("/checkout")),
        "{keys:?}"
    );
    assert!(
        keys.iter()
            .all(|(check, _)| check != "pod-reference-missing"),
        "{keys:?}"
    );
    assert!(issue_keys(&all.json()).len() > keys.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_selected_live_run_reports_what_a_selected_file_run_does() {
    let cluster = Cluster::serve(&demo_inputs(), &[]).await;
    let live = cluster
        .kubewhy(&["analyze", "-l", "app=checkout", "-o", "json"])
        .await;
    let files = kubewhy(&[
        "analyze",
        "-f",
        &demo_files(),
        "-l",
        "app=checkout",
        "-o",
        "json",
    ]);
    assert_eq!(
        fingerprints(&live.json()),
        fingerprints(&files.json()),
        "{}",
        live.stderr
    );
    assert!(
        issue_keys(&live.json())
            .iter()
            .all(|(check, _)| check != "pod-reference-missing"),
        "{:?}",
        issue_keys(&live.json())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forbidden_secrets_list_claims_no_secret_is_missing() {
    let cluster = Cluster::serve(&demo_inputs(), &[("secrets", Fault::Status(403))]).await;
    let run = cluster.kubewhy(&["analyze", "-o", "json"]).await;
    let report = run.json();
    for issue in report["issues"].as_array().expect("issues") {
        let message = issue["message"].as_str().unwrap_or("");
        assert!(
            !(issue["check"] == "pod-reference-missing" && message.contains("Secret")),
            "claims a Secret is missing although Secrets could not be listed: {message}"
        );
    }
    let warnings: Vec<&str> = report["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .filter_map(|w| w["message"].as_str())
        .collect();
    assert!(
        warnings
            .iter()
            .any(|w| w.starts_with("skipped secrets: forbidden (403)")),
        "{warnings:?}"
    );
    assert!(
        warnings
            .iter()
            .any(|w| w.starts_with("Secret objects could not be listed")
                && w.contains("pod-reference-missing")),
        "{warnings:?}"
    );
    // The same run without the fault does report the demo's missing Secret.
    let healthy = Cluster::serve(&demo_inputs(), &[]).await;
    let report = healthy.kubewhy(&["analyze", "-o", "json"]).await.json();
    assert!(
        report["issues"]
            .as_array()
            .expect("issues")
            .iter()
            .any(|i| {
                i["message"]
                    .as_str()
                    .unwrap_or("")
                    .contains("payments-stripe")
            })
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_run_takes_the_api_servers_clock() {
    // The simulator answers with the snapshot's time in its Date header, as a real API server
    // answers with its own: the ages, and so the issues, are those of `kubewhy demo`.
    let demo = kubewhy(&["demo", "-o", "json"]);
    let loaded = kubewhy_source::demo::load();
    let sim = kubewhy_sim::KubeSim::start(&loaded.snapshot, kubewhy_sim::KubeSimOptions::default())
        .await
        .expect("the simulator starts");
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(&kubeconfig, sim.kubeconfig()).unwrap();
    let path = kubeconfig.display().to_string();
    let live = tokio::task::spawn_blocking(move || {
        kubewhy(&["analyze", "--kubeconfig", &path, "-o", "json"])
    })
    .await
    .unwrap();
    let (demo, live) = (demo.json(), live.json());
    assert_eq!(live["source"]["observed_at"], "2026-11-20T09:30:00Z");
    assert_eq!(fingerprints(&live), fingerprints(&demo));
}

#[test]
fn explain_shows_a_failing_objects_context_and_fix() {
    let run = kubewhy(&["explain", "deploy/checkout", "-n", "shop", "--demo"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let out = &run.stdout;
    assert!(
        out.contains("Deployment/checkout in namespace shop"),
        "{out}"
    );
    assert!(out.contains("owned by:") || out.contains("pods ("), "{out}");
    assert!(out.contains("CrashLoopBackOff"), "{out}");
    assert!(
        out.contains("routed by:") && out.contains("Service/checkout"),
        "{out}"
    );
    assert!(out.contains("logs:"), "{out}");
    assert!(out.contains("pod-crash-looping"), "{out}");
    assert!(out.contains("How to fix"), "{out}");
    // k9s hands plugins the plural; kubectl users write the group-qualified form too.
    for form in ["deployments/checkout", "deployments.apps/checkout"] {
        let again = kubewhy(&["explain", form, "-n", "shop", "--demo"]);
        assert_eq!(again.stdout, run.stdout, "{form}");
    }
    let spaced = kubewhy(&["explain", "deployment", "checkout", "-n", "shop", "--demo"]);
    assert_eq!(spaced.stdout, run.stdout);
}

#[test]
fn explain_of_a_healthy_object_says_so() {
    let run = kubewhy(&["explain", "deploy/orders-api", "-n", "shop", "--demo"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("pods ("), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("No issue found on Deployment/orders-api"),
        "{}",
        run.stdout
    );
}

#[test]
fn explain_of_a_missing_object_names_the_closest() {
    let run = kubewhy(&["explain", "deploy/chekout", "-n", "shop", "--demo"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("deployment chekout not found in namespace shop")
            && run.stderr.contains("did you mean deploy/checkout?"),
        "{}",
        run.stderr
    );
    let kind = kubewhy(&["explain", "widget/x", "--demo"]);
    assert_eq!(kind.code, 2);
    assert!(
        kind.stderr.contains("unknown kind `widget`"),
        "{}",
        kind.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_run_stops_without_waiting_for_a_slow_list() {
    let cluster = Cluster::serve(
        &demo_inputs(),
        &[("pods", Fault::Delay(Duration::from_mins(1)))],
    )
    .await;
    let mut child = Command::new(env!("CARGO_BIN_EXE_kubewhy"))
        .args(["analyze", "--kubeconfig", &cluster.kubeconfig()])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kubewhy starts");
    // Pods are listed first; once another list has been answered, the pods list is in flight.
    let started = Instant::now();
    while cluster.lists().is_empty() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no list was ever made"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let signalled = Instant::now();
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();
    // The pods list would answer after 60 s; the process is gone long before.
    assert!(
        signalled.elapsed() < Duration::from_secs(10),
        "{:?}",
        signalled.elapsed()
    );
    assert_eq!(status.code(), Some(130));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_slower_than_the_timeout_skips_that_kind() {
    let cluster = Cluster::serve(
        &demo_inputs(),
        &[("events", Fault::Delay(Duration::from_secs(30)))],
    )
    .await;
    let run = cluster
        .kubewhy(&["analyze", "--request-timeout", "1s", "-o", "json"])
        .await;
    let report = run.json();
    let warnings = report["warnings"].to_string();
    assert!(warnings.contains("skipped events"), "{warnings}");
    assert!(!report["issues"].as_array().expect("issues").is_empty());
}

#[test]
fn a_hanging_credential_plugin_is_killed_and_named() {
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(
        &kubeconfig,
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: 'https://127.0.0.1:1'}\n\
         contexts:\n- name: c\n  context: {cluster: c, user: u}\ncurrent-context: c\n\
         users:\n- name: u\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: sleep\n      args: ['30']\n",
    )
    .unwrap();
    let started = Instant::now();
    let run = kubewhy(&[
        "analyze",
        "--kubeconfig",
        &kubeconfig.display().to_string(),
        "--request-timeout",
        "1s",
    ]);
    assert!(started.elapsed() < Duration::from_secs(15));
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("credential plugin `sleep` of context c failed")
            && run
                .stderr
                .contains("did not answer within 1s and was killed"),
        "{}",
        run.stderr
    );
}

#[test]
fn completions_and_the_man_page_cover_the_commands() {
    let bash = kubewhy(&["completions", "bash"]);
    assert_eq!(bash.code, 0);
    assert!(bash.stdout.contains("complete -F") && bash.stdout.contains("explain"));
    for shell in ["zsh", "fish", "powershell", "elvish"] {
        let out = kubewhy(&["completions", shell]);
        assert_eq!(out.code, 0, "{shell}");
        assert!(out.stdout.contains("analyze"), "{shell}");
    }
    let man = kubewhy(&["man"]);
    assert_eq!(man.code, 0);
    assert!(
        man.stdout.starts_with(".ie") || man.stdout.contains(".TH kubewhy"),
        "{}",
        &man.stdout[..200.min(man.stdout.len())]
    );
    assert!(man.stdout.contains("explain"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn impersonation_flags_reach_the_server() {
    let cluster = Cluster::serve(&demo_inputs(), &[]).await;
    let run = cluster
        .kubewhy(&[
            "analyze",
            "--as",
            "jane",
            "--as-group",
            "sre",
            "--as-group",
            "oncall",
        ])
        .await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    let lists = cluster.lists();
    assert!(!lists.is_empty());
    assert!(
        lists.iter().all(|r| r.impersonate == "jane,sre,oncall"),
        "{:?}",
        lists[0]
    );
}

#[test]
fn one_bad_field_in_a_thousand_items_is_one_error() {
    let dir = tempfile::tempdir().unwrap();
    let items: Vec<String> = (0..1000)
        .map(|i| {
            format!(
                r#"{{"metadata":{{"name":"web-{i}","namespace":"shop"}},"spec":{{"containers":[{{"name":"c","image":"x","ports":[{{"containerPort":"eighty"}}]}}]}}}}"#
            )
        })
        .collect();
    let list = format!(
        r#"{{"apiVersion":"v1","kind":"PodList","items":[{}]}}"#,
        items.join(",\n")
    );
    let path = dir.path().join("pods.json");
    std::fs::write(&path, list).unwrap();
    let run = kubewhy(&["analyze", "-f", &path.display().to_string()]);
    assert_eq!(run.code, 2);
    let errors: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.starts_with("error:"))
        .collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].contains(
            "pods.json:1: Pod shop/web-0: field `spec.containers[0].ports[0].containerPort`"
        ) && errors[0].ends_with("(and 999 more objects in this file)"),
        "{}",
        errors[0]
    );
}
