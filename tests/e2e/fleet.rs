//! Fleets: several clusters in one run, concurrently, through one kubeconfig with a context per
//! cluster. One report, a section per cluster in text, the union of the issues in JSON with the
//! cluster named and in the fingerprint; an unreachable cluster is reported, the others are
//! analyzed, and the exit code is 2.

use kubewhy_sim::{KubeSim, KubeSimOptions};
use kubewhy_source::files::{Input, parse};
use serde_json::Value;
use serde_yaml_ng::Value as Yaml;

use crate::support::{isolated, many_pods, run_blocking};

async fn cluster(pods: usize) -> KubeSim {
    let loaded = parse([Input {
        name: "pods.yaml".into(),
        text: many_pods(pods, 2),
    }]);
    KubeSim::start(&loaded.snapshot, KubeSimOptions::default())
        .await
        .expect("the simulator starts")
}

/// One kubeconfig with a context per simulator, named as given, and `gone` pointing nowhere.
fn kubeconfig(sims: &[(&str, &KubeSim)]) -> String {
    let (mut clusters, mut users, mut contexts) = (Vec::new(), Vec::new(), Vec::new());
    for (name, sim) in sims {
        let one: Yaml = serde_yaml_ng::from_str(&sim.kubeconfig()).unwrap();
        let mut c = one["clusters"][0].clone();
        c["name"] = Yaml::from(*name);
        clusters.push(c);
        let mut u = one["users"][0].clone();
        u["name"] = Yaml::from(*name);
        users.push(u);
        contexts.push(
            serde_yaml_ng::from_str::<Yaml>(&format!(
                "{{name: {name}, context: {{cluster: {name}, user: {name}}}}}"
            ))
            .unwrap(),
        );
    }
    clusters.push(
        serde_yaml_ng::from_str("{name: gone, cluster: {server: 'https://127.0.0.1:9'}}").unwrap(),
    );
    users.push(serde_yaml_ng::from_str("{name: gone, user: {token: t}}").unwrap());
    contexts.push(
        serde_yaml_ng::from_str("{name: gone, context: {cluster: gone, user: gone}}").unwrap(),
    );
    serde_yaml_ng::to_string(&serde_json::json!({
        "apiVersion": "v1", "kind": "Config", "current-context": sims[0].0,
        "clusters": clusters, "users": users, "contexts": contexts,
    }))
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_clusters_are_one_report_with_a_section_each_and_an_unreachable_one_is_named() {
    let (a, b) = (cluster(2).await, cluster(3).await);
    let home = tempfile::tempdir().unwrap();
    let path = home.path().join("kubeconfig");
    std::fs::write(&path, kubeconfig(&[("prod-eu", &a), ("prod-us", &b)])).unwrap();
    let path = path.display().to_string();
    let args = [
        "analyze",
        "--kubeconfig",
        &path,
        "--context",
        "prod-eu",
        "--context",
        "prod-us",
        "--context",
        "gone",
        "--request-timeout",
        "3s",
    ];
    let mut json_args = args.to_vec();
    json_args.extend(["-o", "json"]);
    let run = run_blocking(isolated(home.path(), &json_args)).await;
    assert_eq!(
        run.code, 2,
        "an unreachable cluster makes the run exit 2:\n{}",
        run.stderr
    );
    let report: Value = run.json();
    assert_eq!(report["schema"], "kubewhy.report/v1");
    let clusters = report["clusters"].as_array().expect("clusters");
    let contexts: Vec<&str> = clusters
        .iter()
        .filter_map(|c| c["context"].as_str())
        .collect();
    assert_eq!(contexts, ["prod-eu", "prod-us", "gone"]);
    assert!(
        clusters[0]["server"]
            .as_str()
            .is_some_and(|s| s.starts_with("https://127.0.0.1:"))
    );
    assert!(
        clusters[2]["error"]
            .as_str()
            .is_some_and(|e| e.contains("127.0.0.1:9")),
        "{}",
        clusters[2]
    );
    let crash = |context: &str| -> Vec<&Value> {
        report["issues"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["cluster"] == context && i["check"] == "pod-crash-looping")
            .collect()
    };
    assert_eq!((crash("prod-eu").len(), crash("prod-us").len()), (2, 3));
    assert_eq!(
        clusters[1]["summary"]["by_severity"]["error"].as_u64(),
        Some(3)
    );
    // pod-0 of ns-0 is in both clusters: two issues, two fingerprints.
    let pod0 = |context: &str| {
        crash(context)
            .into_iter()
            .find(|i| i["root"]["name"] == "pod-0")
            .map(|i| i["fingerprint"].clone())
    };
    assert_ne!(pod0("prod-eu"), pod0("prod-us"));
    assert!(report["warnings"].as_array().unwrap().iter().any(|w| w["kind"] == "cluster" && w["message"].as_str().unwrap().starts_with("gone: ")));
    // Text: a section per cluster, what could be done printed before the exit code says 2.
    let text = run_blocking(isolated(home.path(), &args)).await;
    assert_eq!(text.code, 2);
    let eu = text
        .stdout
        .find("== cluster prod-eu at https://")
        .expect("a section for prod-eu");
    let us = text
        .stdout
        .find("== cluster prod-us at https://")
        .expect("a section for prod-us");
    let gone = text
        .stdout
        .find("== cluster gone ==")
        .expect("a section for gone");
    assert!(eu < us && us < gone, "{}", text.stdout);
    assert!(
        text.stdout[gone..].contains("not analyzed:"),
        "{}",
        text.stdout
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_contexts_reads_every_context_of_the_kubeconfig() {
    let (a, b) = (cluster(1).await, cluster(1).await);
    let home = tempfile::tempdir().unwrap();
    let path = home.path().join("kubeconfig");
    std::fs::write(&path, kubeconfig(&[("one", &a), ("two", &b)])).unwrap();
    let path = path.display().to_string();
    let run = run_blocking(isolated(
        home.path(),
        &[
            "analyze",
            "--kubeconfig",
            &path,
            "--all-contexts",
            "--request-timeout",
            "3s",
            "-o",
            "json",
        ],
    ))
    .await;
    let report = run.json();
    let contexts: Vec<&str> = report["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["context"].as_str())
        .collect();
    assert_eq!(contexts, ["one", "two", "gone"]);
    assert_eq!(run.code, 2);
}
