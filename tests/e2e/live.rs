//! The live path: the binary reads the Kubernetes API simulator over HTTPS through a generated
//! kubeconfig, exactly as it would read a cluster.

use std::collections::HashMap;

use kubewhy_sim::{Fault, KubeSim, KubeSimOptions, RecordedRequest};
use tempfile::TempDir;

use crate::support::{Run, fixture, has_issue, kubewhy, many_pods};

/// A simulator serving `text` (any file-source input), and a kubeconfig file for it.
pub struct Cluster {
    sim: KubeSim,
    dir: TempDir,
}

impl Cluster {
    pub async fn serve(inputs: &[std::path::PathBuf], faults: &[(&str, Fault)]) -> Self {
        let loaded = kubewhy_source::files::load(inputs);
        assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
        let faults: HashMap<String, Fault> =
            faults.iter().map(|(r, f)| ((*r).to_owned(), *f)).collect();
        let sim = KubeSim::start(
            &loaded.snapshot,
            KubeSimOptions {
                faults,
                ..KubeSimOptions::default()
            },
        )
        .await
        .expect("the simulator starts");
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("kubeconfig"), sim.kubeconfig()).unwrap();
        Self { sim, dir }
    }

    pub fn kubeconfig(&self) -> String {
        self.dir.path().join("kubeconfig").display().to_string()
    }

    /// Runs kubewhy against this cluster on a blocking thread, so the simulator keeps serving.
    pub async fn kubewhy(&self, args: &[&str]) -> Run {
        let mut all: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
        all.extend(["--kubeconfig".to_owned(), self.kubeconfig()]);
        tokio::task::spawn_blocking(move || {
            let refs: Vec<&str> = all.iter().map(String::as_str).collect();
            kubewhy(&refs)
        })
        .await
        .unwrap()
    }

    pub fn lists(&self) -> Vec<RecordedRequest> {
        self.sim
            .requests()
            .into_iter()
            .filter(|r| !r.path.ends_with("/log") && r.path.split('/').count() > 3)
            .collect()
    }
}

fn dump_and_shapes() -> Vec<std::path::PathBuf> {
    vec![fixture("dump").into(), fixture("shapes").into()]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_analysis_finds_issues_with_logs_over_https() {
    let cluster = Cluster::serve(&dump_and_shapes(), &[]).await;
    let run = cluster.kubewhy(&["analyze", "-o", "json"]).await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = run.json();
    assert_eq!(report["source"]["kind"], "live");
    assert_eq!(report["source"]["context"], "kubewhy-sim");
    assert!(has_issue(
        &report,
        "pod-crash-looping",
        "Deployment/dump-crash"
    ));
    assert!(has_issue(
        &report,
        "pod-image-pull-failing",
        "Pod/multi-pull"
    ));
    let issue = report["issues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["root"]["name"] == "dump-crash")
        .unwrap();
    let log = &issue["evidence"]["logs"][0];
    assert_eq!(log["container"], "api");
    assert!(
        log["lines"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l.as_str().unwrap().contains("FATAL giving up")),
        "{issue}"
    );
    // Logs were fetched with a tail and a byte limit, only for containers in issues.
    let log_requests: Vec<_> = cluster
        .sim
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/log"))
        .collect();
    assert!(!log_requests.is_empty());
    for r in &log_requests {
        assert!(
            r.query.contains("tailLines=") && r.query.contains("limitBytes="),
            "{r:?}"
        );
        let pod = r.path.rsplit('/').nth(1).unwrap();
        assert!(
            report["issues"]
                .as_array()
                .unwrap()
                .iter()
                .any(|i| i["objects"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|o| o["name"] == pod)),
            "log of {pod} fetched but not in an issue"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_and_secrets_only_as_metadata() {
    let cluster = Cluster::serve(&dump_and_shapes(), &[]).await;
    let run = cluster.kubewhy(&["analyze"]).await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    let requests = cluster.sim.requests();
    assert!(
        requests.iter().all(|r| r.method == "GET"),
        "only GETs: {requests:?}"
    );
    let secrets: Vec<_> = requests
        .iter()
        .filter(|r| r.path.ends_with("/secrets") || r.path.contains("/secrets/"))
        .collect();
    assert_eq!(secrets.len(), 1, "secrets listed once");
    assert!(
        secrets[0].accept.contains("as=PartialObjectMetadataList"),
        "secrets listed metadata-only: {:?}",
        secrets[0]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_kind_is_listed_once_and_concurrently() {
    let cluster = Cluster::serve(
        &dump_and_shapes(),
        &[("pods", Fault::Delay(std::time::Duration::from_millis(200)))],
    )
    .await;
    let run = cluster.kubewhy(&["analyze"]).await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    let lists = cluster.lists();
    let mut paths: Vec<&str> = lists.iter().map(|r| r.path.as_str()).collect();
    let count = paths.len();
    paths.sort_unstable();
    paths.dedup();
    assert_eq!(paths.len(), count, "a kind was listed twice: {lists:?}");
    assert!(count >= 25, "every kind listed: {count}");
    // The slow pods list overlaps with other lists: they ran concurrently.
    let pods = lists.iter().find(|r| r.path == "/api/v1/pods").unwrap();
    let overlapping = lists
        .iter()
        .filter(|r| {
            r.path != pods.path
                && r.started_ms < pods.finished_ms
                && r.finished_ms > pods.started_ms
        })
        .count();
    assert!(
        overlapping > 0,
        "no list ran while pods were listed: {lists:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forbidden_kind_is_a_warning_and_the_rest_is_reported() {
    let cluster = Cluster::serve(&dump_and_shapes(), &[("events", Fault::Status(403))]).await;
    let run = cluster.kubewhy(&["analyze", "-o", "json"]).await;
    assert_eq!(run.code, 1, "issues still found: exit 1; {}", run.stderr);
    let report = run.json();
    let warning = report["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| {
            w["message"]
                .as_str()
                .unwrap_or("")
                .starts_with("skipped events")
        })
        .expect("a warning names the events list");
    assert_eq!(warning["kind"], "skipped-kind");
    let message = warning["message"].as_str().unwrap();
    assert!(
        message.contains("skipped events: forbidden (403)") && message.contains("/api/v1/events"),
        "{message}"
    );
    assert!(has_issue(
        &report,
        "pod-crash-looping",
        "Deployment/dump-crash"
    ));
    let text = cluster.kubewhy(&["analyze"]).await;
    assert!(
        text.stdout
            .contains("warning: skipped events: forbidden (403)"),
        "{}",
        text.stdout
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn namespace_label_and_exclude_filters_reach_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("pods.yaml");
    std::fs::write(&input, many_pods(30, 3)).unwrap();
    let cluster = Cluster::serve(&[input], &[]).await;
    let namespaces = |run: &Run| -> Vec<String> {
        let mut ns: Vec<String> = run.json()["issues"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["root"]["namespace"].as_str().unwrap().to_owned())
            .collect();
        ns.dedup();
        ns
    };
    let one = cluster
        .kubewhy(&["analyze", "-n", "ns-1", "-o", "json"])
        .await;
    assert_eq!(namespaces(&one), ["ns-1"]);
    assert!(
        cluster
            .sim
            .requests()
            .iter()
            .any(|r| r.path == "/api/v1/namespaces/ns-1/pods")
    );
    let excluded = cluster
        .kubewhy(&["analyze", "--exclude-namespace", "ns-0", "-o", "json"])
        .await;
    assert_eq!(namespaces(&excluded), ["ns-1", "ns-2"]);
    let labelled = cluster
        .kubewhy(&["analyze", "-l", "app=app-2", "-o", "json"])
        .await
        .json();
    let names: Vec<&str> = labelled["issues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["root"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 10);
    assert!(
        names
            .iter()
            .all(|n| n.trim_start_matches("pod-").parse::<usize>().unwrap() % 3 == 2),
        "{names:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_are_paginated() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("pods.yaml");
    std::fs::write(&input, many_pods(1234, 2)).unwrap();
    let cluster = Cluster::serve(&[input], &[]).await;
    let run = cluster.kubewhy(&["analyze", "-o", "json"]).await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.json()["summary"]["issues"], 1234);
    let pages: Vec<_> = cluster
        .lists()
        .into_iter()
        .filter(|r| r.path == "/api/v1/pods")
        .collect();
    assert_eq!(pages.len(), 3, "1234 pods in pages of 500: {pages:?}");
    assert!(pages[1].query.contains("continue="), "{:?}", pages[1]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_continue_token_restarts_the_list() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("pods.yaml");
    std::fs::write(&input, many_pods(700, 2)).unwrap();
    let cluster = Cluster::serve(&[input], &[("pods", Fault::Status(410))]).await;
    let run = cluster.kubewhy(&["analyze", "-o", "json"]).await;
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        run.json()["summary"]["issues"],
        700,
        "nothing lost after the 410"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_cluster_is_one_clear_error() {
    let cluster = Cluster::serve(&dump_and_shapes(), &[]).await;
    let url = cluster.sim.url();
    let kubeconfig = cluster.kubeconfig();
    let Cluster { sim, dir: _dir } = cluster;
    drop(sim);
    let path = kubeconfig.clone();
    let run = tokio::task::spawn_blocking(move || kubewhy(&["analyze", "--kubeconfig", &path]))
        .await
        .unwrap();
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains(&format!(
            "cannot reach the cluster of context kubewhy-sim at {url}"
        )),
        "{}",
        run.stderr
    );
    assert_eq!(
        run.stderr.lines().count(),
        1,
        "one error line: {}",
        run.stderr
    );
    let missing = kubewhy(&["analyze", "--kubeconfig", "/nonexistent/kubeconfig"]);
    assert_eq!(missing.code, 2);
    assert!(
        missing.stderr.contains("/nonexistent/kubeconfig"),
        "{}",
        missing.stderr
    );
    let bad_context = kubewhy(&["analyze", "--kubeconfig", &kubeconfig, "--context", "prod"]);
    assert_eq!(bad_context.code, 2);
    assert!(
        bad_context.stderr.contains("context prod"),
        "{}",
        bad_context.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_reads_the_simulator_when_installed() {
    if std::process::Command::new("kubectl")
        .arg("version")
        .arg("--client")
        .output()
        .is_err()
    {
        eprintln!("kubectl is not installed; skipping the kubectl interoperability test");
        return;
    }
    let cluster = Cluster::serve(&dump_and_shapes(), &[]).await;
    let kubeconfig = cluster.kubeconfig();
    let kubectl = move |args: &[&str]| {
        let out = std::process::Command::new("kubectl")
            .args(args)
            .env("KUBECONFIG", &kubeconfig)
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (ok, out, err) = tokio::task::spawn_blocking(move || {
        let pods = kubectl(&["get", "pods", "-A"]);
        let events = kubectl(&["get", "events", "-n", "shop"]);
        let logs = kubectl(&["logs", "-n", "shop", "dump-crash-7f9c4-abcde", "-c", "api"]);
        (
            pods.0 && events.0 && logs.0,
            format!("{}{}{}", pods.1, events.1, logs.1),
            format!("{}{}{}", pods.2, events.2, logs.2),
        )
    })
    .await
    .unwrap();
    assert!(ok, "kubectl failed: {err}");
    assert!(
        out.contains("dump-crash-7f9c4-abcde")
            && out.contains("CrashLoopBackOff")
            && out.contains("BackOff")
            && out.contains("FATAL giving up"),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_decides_which_optional_apis_are_read() {
    let without = Cluster::serve(&[fixture("shapes").into()], &[]).await;
    let run = without.kubewhy(&["analyze", "-o", "json"]).await;
    let scanned_without = run.json()["summary"]["objects_scanned"].as_u64().unwrap();
    assert!(
        without
            .sim
            .requests()
            .iter()
            .all(|r| !r.path.contains("gateway.networking.k8s.io/v1/")),
        "no Gateway API, no Gateway lists"
    );

    let with = Cluster::serve(
        &[fixture("shapes").into(), fixture("gateway.yaml").into()],
        &[],
    )
    .await;
    let run = with.kubewhy(&["analyze", "-o", "json"]).await;
    assert_eq!(
        run.json()["summary"]["objects_scanned"].as_u64().unwrap(),
        scanned_without + 3,
        "{}",
        run.stderr
    );
    let paths: Vec<String> = with.sim.requests().into_iter().map(|r| r.path).collect();
    for listed in [
        "/apis/gateway.networking.k8s.io/v1/gatewayclasses",
        "/apis/gateway.networking.k8s.io/v1/gateways",
        "/apis/gateway.networking.k8s.io/v1/httproutes",
    ] {
        assert_eq!(
            paths.iter().filter(|p| *p == listed).count(),
            1,
            "{listed} listed once: {paths:?}"
        );
    }
}

#[test]
fn sim_serve_serves_a_dump_folder_whole() {
    let home = TempDir::new().unwrap();
    let kubeconfig = home.path().join("kubeconfig");
    let mut sim = crate::support::isolated(
        home.path(),
        &[
            "sim",
            "serve",
            "--snapshot",
            &fixture("dump"),
            "--kubeconfig-out",
            &kubeconfig.display().to_string(),
        ],
    )
    .stdout(std::process::Stdio::null())
    .spawn()
    .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !kubeconfig.exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let live = kubewhy(&[
        "analyze",
        "--kubeconfig",
        &kubeconfig.display().to_string(),
        "-o",
        "json",
    ]);
    let _ = sim.kill();
    let _ = sim.wait();
    let files = kubewhy(&["analyze", "-f", &fixture("dump"), "-o", "json"]);
    let (live, files) = (live.json(), files.json());
    assert_eq!(
        live["summary"]["objects_scanned"], files["summary"]["objects_scanned"],
        "the pods and events in the dump's subfolders are served too"
    );
    assert!(has_issue(
        &live,
        "pod-crash-looping",
        "Deployment/dump-crash"
    ));
}
