//! Issues say what decided them (termination messages and exit codes, the specific mount event,
//! what does not fit a node, the log lines around the cause), and partial input gives no false
//! positives (absent kinds, ports the kubelet does not need declared, running pods' accounts,
//! static pods), all through the binary on fixtures of the right shape.

use serde_json::Value;

use crate::support::{catalog_fixture, fixture, kubewhy};

fn report_of(file: &str) -> Value {
    kubewhy(&["analyze", "-f", file, "-o", "json"]).json()
}

/// The message of the one issue rooted at `root` (`Kind/name`).
fn message<'a>(report: &'a Value, root: &str) -> &'a str {
    let found: Vec<&Value> = report["issues"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| {
            format!(
                "{}/{}",
                i["root"]["kind"].as_str().unwrap(),
                i["root"]["name"].as_str().unwrap()
            ) == root
        })
        .collect();
    assert_eq!(found.len(), 1, "{root}: {report:#}");
    found[0]["message"].as_str().unwrap()
}

/// No issue of `check` (shown or merged) is rooted at, or names as affected, an object whose
/// name starts with `ok-`.
fn no_ok_objects(report: &Value, check: &str) {
    for issue in report["issues"].as_array().unwrap() {
        let merged = issue["merged_checks"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if issue["check"] != check && !merged.iter().any(|c| c == check) {
            continue;
        }
        let objects = std::iter::once(&issue["root"]).chain(issue["objects"].as_array().unwrap());
        for object in objects {
            let name = object["name"].as_str().unwrap();
            assert!(
                !name.starts_with("ok-"),
                "{} fired on {name}",
                issue["check"]
            );
        }
    }
}

#[test]
fn crash_loops_quote_the_termination_message_and_what_the_exit_code_means() {
    let report = report_of(&catalog_fixture("pod-crash-looping.yaml"));
    let command = message(&report, "Pod/bad-command");
    for wanted in [
        "exit code 127",
        "command not found",
        "/bin/sh: /app/serve: not found",
    ] {
        assert!(command.contains(wanted), "{wanted}: {command}");
    }
    let one_shot = message(&report, "Pod/bad-one-shot");
    assert!(
        one_shot.contains("exit code 0") && one_shot.contains("not a crash"),
        "{one_shot}"
    );
    no_ok_objects(&report, "pod-crash-looping");
}

#[test]
fn failed_mounts_lead_with_the_specific_event_and_stuck_pods_need_no_event() {
    let report = report_of(&catalog_fixture("pod-stuck-creating.yaml"));
    let host_path = message(&report, "Pod/bad-host-path");
    assert!(
        host_path.contains("hostPath type check failed: /data/cache is not a directory"),
        "{host_path}"
    );
    assert!(
        !host_path.contains("timed out waiting for the condition"),
        "{host_path}"
    );
    let quiet = message(&report, "Pod/bad-no-events");
    for wanted in [
        "initializing since 2026-01-01 06:00 UTC (at least",
        "no container has started",
        "Secret db-creds",
    ] {
        assert!(quiet.contains(wanted), "{wanted}: {quiet}");
    }
    no_ok_objects(&report, "pod-stuck-creating");
}

#[test]
fn unschedulable_pods_name_what_does_not_fit() {
    let report = report_of(&catalog_fixture("pod-unschedulable.yaml"));
    for (pod, wanted) in [
        // The GPU check's message, into which the scheduler's merges.
        ("Pod/bad-gpu", "requests 8 nvidia.com/gpu and is Pending"),
        (
            "Pod/bad-selector",
            "nodeSelector disktype=nvme (no node has this label)",
        ),
        (
            "Pod/bad-taint",
            "taint nvidia.com/gpu=present:NoSchedule not tolerated",
        ),
    ] {
        let text = message(&report, pod);
        assert!(text.contains(wanted), "{pod}: {text}");
    }
    no_ok_objects(&report, "pod-unschedulable");
}

#[test]
fn log_tails_show_the_cause_with_tables_and_repeats_collapsed() {
    let report = kubewhy(&["demo", "-o", "json"]).json();
    let logs_of = |root: &str| -> Vec<Value> {
        report["issues"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["root"]["name"] == root)
            .and_then(|i| i["evidence"]["logs"].as_array().cloned())
            .unwrap_or_else(|| panic!("{root} has log evidence"))
    };
    let triton = &logs_of("triton-embeddings")[0];
    let lines: Vec<&str> = triton["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    let marked = usize::try_from(triton["first_error"].as_u64().unwrap()).unwrap();
    assert!(marked > 0, "lines before the decisive one: {lines:#?}");
    assert!(lines[marked].starts_with("Traceback"), "{lines:#?}");
    assert!(
        lines.iter().any(|l| l.contains("CUDA out of memory")),
        "{lines:#?}"
    );
    assert!(
        lines.iter().any(|l| l.starts_with("[table of ")),
        "{lines:#?}"
    );
    assert!(!lines.iter().any(|l| l.starts_with("+---")), "{lines:#?}");

    let recommendations = &logs_of("recommendations")[0];
    assert!(
        recommendations["lines"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l.as_str().unwrap().ends_with("[×6 similar]")),
        "{recommendations:#}"
    );
}

#[test]
fn ports_the_kubelet_does_not_need_declared_are_fine() {
    for check in ["service-target-port-missing", "probe-port-not-exposed"] {
        let report = report_of(&catalog_fixture(&format!("{check}.yaml")));
        assert!(
            report["issues"]
                .as_array()
                .unwrap()
                .iter()
                .any(|i| i["check"] == check),
            "{check} fires on its bad objects: {report:#}"
        );
        no_ok_objects(&report, check);
    }
}

#[test]
fn a_running_pod_proves_its_service_account_exists() {
    let report = report_of(&catalog_fixture("pod-service-account-missing.yaml"));
    message(&report, "Deployment/missing-account");
    no_ok_objects(&report, "pod-service-account-missing");
}

#[test]
fn references_are_missing_only_where_their_kind_was_read() {
    let home = tempfile::tempdir().unwrap();
    let pod = r#"{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web","namespace":"shop","uid":"u1"},"spec":{"containers":[{"name":"web","image":"nginx:1.27","env":[{"name":"DB_PASSWORD","valueFrom":{"secretKeyRef":{"name":"db-creds","key":"password"}}}]}]},"status":{"phase":"Pending"}}]}"#;
    let pods = home.path().join("pods.json");
    std::fs::write(&pods, pod).unwrap();
    let checks = |args: &[&str]| -> Vec<String> {
        let mut all = vec!["analyze", "-f", pods.to_str().unwrap()];
        all.extend(args);
        all.extend(["-o", "json"]);
        kubewhy(&all).json()["issues"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["check"].as_str().unwrap().to_owned())
            .collect()
    };
    // No Secret was read at all: nothing can be missing.
    assert!(!checks(&[]).contains(&"pod-reference-missing".to_owned()));
    // With the namespace's Secrets read, the one the pod names is missing.
    let secrets = home.path().join("secrets.json");
    std::fs::write(
        &secrets,
        r#"{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"Secret","metadata":{"name":"other","namespace":"shop"},"type":"Opaque"}]}"#,
    )
    .unwrap();
    assert!(
        checks(&["-f", secrets.to_str().unwrap()]).contains(&"pod-reference-missing".to_owned())
    );
}

#[test]
fn static_pods_are_rooted_at_the_pod_not_the_node() {
    let report = report_of(&fixture("accuracy/static-pod.yaml"));
    let text = message(&report, "Pod/kube-scheduler-node-a");
    assert!(text.contains("scheduler.conf"), "{text}");
    assert!(
        !report["issues"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["root"]["kind"] == "Node"),
        "{report:#}"
    );
}
