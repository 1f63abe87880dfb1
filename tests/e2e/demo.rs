//! `kubewhy demo`: the embedded broken cluster, served by the simulator and read through the
//! live path.

use crate::support::{has_issue, kubewhy};

#[test]
fn the_demo_shows_its_pod_failures() {
    let run = kubewhy(&["demo", "-o", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = run.json();
    assert_eq!(report["schema"], "kubewhy.report/v1");
    assert_eq!(report["source"]["kind"], "demo");
    assert_eq!(report["source"]["observed_at"], "2026-11-20T09:30:00Z");
    for (check, root) in [
        ("pod-crash-looping", "Deployment/checkout"),
        ("pod-image-pull-failing", "Deployment/frontend"),
        ("pod-oom-killed", "Deployment/recommendations"),
        ("pod-container-config-error", "Deployment/payments"),
        ("pod-not-ready", "Deployment/search"),
        ("pod-unschedulable", "StatefulSet/orders-db"),
        ("pod-container-failed", "Job/db-migrate"),
        ("pod-stuck-creating", "Deployment/reviews"),
        ("pod-crash-looping", "Deployment/accounts"),
        ("pod-evicted", "Deployment/image-resizer"),
        ("pod-unschedulable", "Deployment/llm-70b"),
        ("pod-container-start-failing", "Deployment/notifications"),
    ] {
        assert!(
            has_issue(&report, check, root),
            "demo lacks {check} on {root}:\n{}",
            run.stdout
        );
    }
    // The crash loop carries its stack trace.
    let checkout = report["issues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["root"]["name"] == "checkout")
        .unwrap();
    let lines = checkout["evidence"]["logs"][0]["lines"].as_array().unwrap();
    assert!(
        lines
            .iter()
            .any(|l| l.as_str().unwrap().contains("OperationalError")),
        "{checkout}"
    );
    // Two checkout pods crash: one issue, two objects.
    assert_eq!(checkout["objects"].as_array().unwrap().len(), 2);
    // Its consequences are not separate issues: the Deployment short of replicas and the Service
    // without ready endpoints are folded in as related objects.
    assert!(!has_issue(
        &report,
        "deployment-unavailable",
        "Deployment/checkout"
    ));
    assert!(!has_issue(
        &report,
        "service-no-ready-endpoints",
        "Service/checkout"
    ));
    let related: Vec<&str> = checkout["related"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert!(related.contains(&"checkout"), "{related:?}");
    // Static checks judge manifests; on a cluster they wait to be asked for.
    assert!(!has_issue(
        &report,
        "container-runs-as-root",
        "Deployment/checkout"
    ));
    let asked = kubewhy(&["demo", "--check", "security", "-o", "json"]).json();
    assert!(
        asked["issues"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["category"] == "security")
    );
}

#[test]
fn the_demo_shows_failures_beyond_pods() {
    let run = kubewhy(&["demo", "-o", "json"]);
    let report = run.json();
    // Beyond pods: nodes, controllers, networking, storage, admission and GPUs.
    for (check, root) in [
        ("node-not-ready", "Node/node-cpu-c"),
        (
            "webhook-service-unavailable",
            "ValidatingWebhookConfiguration/policy-guard",
        ),
        ("cronjob-invalid-schedule", "CronJob/nightly-report"),
        ("hpa-target-not-found", "HorizontalPodAutoscaler/cart"),
        ("ingress-backend-missing", "Ingress/storefront"),
        ("service-selects-no-pods", "Service/inventory"),
        // The claim is the StatefulSet's: its Pending state is part of the StatefulSet's issue.
        ("pvc-pending", "StatefulSet/orders-db"),
        ("statefulset-storage-class-missing", "StatefulSet/orders-db"),
        ("pod-reference-missing", "Deployment/payments"),
        ("gpu-pod-unschedulable", "Deployment/llm-70b"),
    ] {
        assert!(
            has_issue(&report, check, root),
            "demo lacks {check} on {root}:\n{}",
            run.stdout
        );
    }
    let critical: Vec<_> = report["issues"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["severity"] == "critical")
        .collect();
    assert_eq!(
        critical.len(),
        2,
        "the lost node and the dead fail-closed webhook: {critical:?}"
    );
}

#[test]
fn the_demo_is_deterministic() {
    let first = kubewhy(&["demo", "-o", "json"]);
    let second = kubewhy(&["demo", "-o", "json"]);
    assert_eq!(first.stdout, second.stdout);
    let text = kubewhy(&["demo"]);
    assert!(
        text.stdout
            .contains("kubewhy · demo cluster · observed 2026-11-20T09:30:00Z"),
        "{}",
        text.stdout
    );
}

/// The config file's `[exemptions]` adds system components to the built-in list, or replaces
/// it; a bad entry is an error naming the file and the field.
#[test]
fn the_exemption_list_is_overridable_in_the_config_file() {
    let home = tempfile::tempdir().unwrap();
    let security_roots = |config: &str| -> (Vec<String>, u64) {
        let path = home.path().join("config.toml");
        std::fs::write(&path, config).unwrap();
        let report = kubewhy(&["demo", "-o", "json", "--config", path.to_str().unwrap()]).json();
        let roots = report["issues"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["category"] == "security")
            .map(|i| {
                format!(
                    "{}/{}/{}",
                    i["root"]["namespace"].as_str().unwrap_or(""),
                    i["root"]["kind"].as_str().unwrap(),
                    i["root"]["name"].as_str().unwrap()
                )
            })
            .collect();
        (roots, report["summary"]["exempted"].as_u64().unwrap_or(0))
    };
    let (builtin, exempted) = security_roots("");
    assert_eq!(exempted, 4);
    assert!(
        !builtin.iter().any(|r| r.starts_with("kube-system/")),
        "{builtin:?}"
    );
    assert!(builtin.contains(&"monitoring/DaemonSet/node-exporter".to_owned()));

    let (added, exempted) = security_roots(
        "[exemptions]\ncomponents = [{ namespace = \"monitoring\", controller = \"DaemonSet\", name = \"node-exporter\" }]\n",
    );
    assert_eq!(exempted, 5);
    assert!(
        !added.iter().any(|r| r.contains("node-exporter")),
        "{added:?}"
    );

    let (none, exempted) = security_roots("[exemptions]\nbuiltin = false\n");
    assert_eq!(exempted, 0);
    assert!(
        none.contains(&"kube-system/DaemonSet/kube-proxy".to_owned()),
        "{none:?}"
    );

    let path = home.path().join("bad.toml");
    std::fs::write(
        &path,
        "[exemptions]\ncomponents = [{ namespace = \"x\" }]\n",
    )
    .unwrap();
    let run = kubewhy(&["demo", "--config", path.to_str().unwrap()]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("bad.toml") && run.stderr.contains("missing field `controller`"),
        "{}",
        run.stderr
    );
}
