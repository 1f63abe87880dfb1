//! One root cause is one issue, whatever checks see it, with a fingerprint that stays put; and
//! causal chains across workloads, built from evidence.

use serde_json::Value;

use crate::support::{fixture, kubewhy};

fn issues(report: &Value) -> &Vec<Value> {
    report["issues"].as_array().expect("issues")
}

/// The issues rooted at `kind/name`.
fn rooted<'a>(report: &'a Value, root: &str) -> Vec<&'a Value> {
    issues(report)
        .iter()
        .filter(|i| {
            format!(
                "{}/{}",
                i["root"]["kind"].as_str().unwrap_or(""),
                i["root"]["name"].as_str().unwrap_or("")
            ) == root
        })
        .collect()
}

fn checks_of(issue: &Value) -> Vec<String> {
    let mut all = vec![issue["check"].as_str().unwrap_or("").to_owned()];
    all.extend(
        issue["merged_checks"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|c| c.as_str().map(str::to_owned)),
    );
    all
}

#[test]
fn findings_about_the_same_failure_merge_in_the_demo() {
    let report = kubewhy(&["demo", "-o", "json"]).json();
    for (root, shown, also) in [
        (
            "Deployment/payments",
            "pod-reference-missing",
            &["pod-container-config-error"][..],
        ),
        (
            "Deployment/reviews",
            "pod-reference-missing",
            &["pod-stuck-creating"][..],
        ),
        (
            "Deployment/llm-70b",
            "gpu-pod-unschedulable",
            &["pod-unschedulable"][..],
        ),
        (
            "Deployment/notifications",
            "pod-container-start-failing",
            &["pod-crash-looping"][..],
        ),
        (
            "StatefulSet/orders-db",
            "statefulset-storage-class-missing",
            &["pod-unschedulable", "pvc-pending"][..],
        ),
    ] {
        let found = rooted(&report, root);
        let live: Vec<&&Value> = found
            .iter()
            .filter(|i| i["category"] != "security")
            .collect();
        assert_eq!(live.len(), 1, "{root}: {live:#?}");
        let checks = checks_of(live[0]);
        assert_eq!(checks[0], shown, "{root}: {checks:?}");
        for check in also {
            assert!(checks.iter().any(|c| c == check), "{root}: {checks:?}");
        }
    }
    // The claim of orders-db is part of the StatefulSet's issue, not one of its own.
    assert!(rooted(&report, "PersistentVolumeClaim/orders-db-data").is_empty());
    // Pods stuck terminating on the lost node belong to the node's issue.
    let node = rooted(&report, "Node/node-cpu-c");
    assert_eq!(node.len(), 1);
    let objects = node[0]["objects"].to_string();
    for pod in ["accounts-", "catalog-", "reviews-"] {
        assert!(objects.contains(pod), "{objects}");
    }
    assert!(
        !issues(&report)
            .iter()
            .any(|i| i["check"] == "pod-stuck-terminating")
    );
}

#[test]
fn a_merged_issue_keeps_its_fingerprint_when_one_finding_goes_away() {
    let with_event = kubewhy(&[
        "analyze",
        "-f",
        &fixture("accuracy/missing-configmap.yaml"),
        "-f",
        &fixture("accuracy/missing-configmap-event.yaml"),
        "-o",
        "json",
    ])
    .json();
    let without = kubewhy(&[
        "analyze",
        "-f",
        &fixture("accuracy/missing-configmap.yaml"),
        "-o",
        "json",
    ])
    .json();
    let both = rooted(&with_event, "Deployment/web");
    assert_eq!(both.len(), 1, "{both:#?}");
    assert!(
        checks_of(both[0]).contains(&"pod-stuck-creating".to_owned()),
        "{both:#?}"
    );
    let one = rooted(&without, "Deployment/web");
    assert_eq!(one.len(), 1, "{one:#?}");
    assert!(!checks_of(one[0]).contains(&"pod-stuck-creating".to_owned()));
    assert_eq!(both[0]["fingerprint"], one[0]["fingerprint"]);
}

#[test]
fn crash_loops_name_their_causal_chain() {
    let report = kubewhy(&["demo", "-o", "json"]).json();
    let checkout = rooted(&report, "Deployment/checkout");
    let chain = &checkout[0]["chain"];
    let objects: Vec<String> = chain
        .as_array()
        .expect("checkout has a chain")
        .iter()
        .map(|l| {
            format!(
                "{}/{}",
                l["object"]["kind"].as_str().unwrap(),
                l["object"]["name"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        objects.first().map(String::as_str),
        Some("Service/orders-db"),
        "{objects:?}"
    );
    assert!(
        objects.contains(&"Pod/orders-db-0".to_owned()),
        "{objects:?}"
    );
    assert!(
        objects.contains(&"PersistentVolumeClaim/orders-db-data".to_owned()),
        "{objects:?}"
    );
    assert_eq!(
        objects.last().map(String::as_str),
        Some("StorageClass/fast-ssd"),
        "{objects:?}"
    );
    let last = chain.as_array().unwrap().last().unwrap();
    assert_eq!(last["root_cause"], true);
    assert!(
        chain[0]["evidence"].as_str().unwrap().contains("orders-db"),
        "{chain}"
    );
    // It points at the StatefulSet's issue, which stays in the report.
    let orders_db = rooted(&report, "StatefulSet/orders-db");
    assert_eq!(checkout[0]["caused_by"][0], orders_db[0]["fingerprint"]);

    let accounts = rooted(&report, "Deployment/accounts");
    let link = &accounts[0]["chain"][0];
    assert_eq!(link["object"]["kind"], "Service");
    assert_eq!(link["object"]["name"], "accounts-db");
    assert_eq!(link["problem"], "does not exist");
    assert!(
        link["evidence"]
            .as_str()
            .unwrap()
            .contains("bad address 'accounts-db'")
    );

    let text = kubewhy(&["demo"]).stdout;
    assert!(
        text.contains("caused by: Service/orders-db (has no ready endpoints) → "),
        "{text}"
    );
    assert!(
        text.contains("StorageClass/fast-ssd (does not exist; likely root cause)"),
        "{text}"
    );
}
