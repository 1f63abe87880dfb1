//! One root cause is one issue, whatever checks see it, with a fingerprint that stays put; and
//! causal chains across workloads, built from evidence.

use serde_json::Value;

use crate::support::{catalog_fixture, fixture, kubewhy};

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

/// The live and static checks of a pair answer one question; one object never gets both.
#[test]
fn twin_checks_never_both_report() {
    const PAIRS: [(&str, &str, &str); 4] = [
        (
            "Service/web",
            "service-selects-no-pods",
            "service-selects-no-workload",
        ),
        (
            "NetworkPolicy/np",
            "network-policy-selects-no-pods",
            "network-policy-dangling",
        ),
        (
            "Ingress/ing",
            "ingress-backend-missing",
            "ingress-backend-dangling",
        ),
        (
            "HorizontalPodAutoscaler/hpa",
            "hpa-target-not-found",
            "hpa-target-dangling",
        ),
    ];
    let manifests = fixture("accuracy/twins.yaml");
    let cluster = fixture("accuracy/twins-cluster.json");
    let written = kubewhy(&["analyze", "-f", &manifests, "-o", "json"]).json();
    let live = kubewhy(&["analyze", "-f", &cluster, "-o", "json"]).json();
    for (root, live_check, static_check) in PAIRS {
        let checks = |report: &Value| -> Vec<String> {
            rooted(report, root)
                .into_iter()
                .flat_map(checks_of)
                .collect()
        };
        // Manifests: the static check speaks; cluster state: the live one.
        assert_eq!(checks(&written), [static_check], "{root} in manifests");
        assert_eq!(checks(&live), [live_check], "{root} in cluster state");
        // Asking for the other one alone still gets its answer.
        let asked = kubewhy(&[
            "analyze", "-f", &manifests, "--check", live_check, "-o", "json",
        ])
        .json();
        assert_eq!(checks(&asked), [live_check], "{root} with --check");
    }
}

/// Objects written without a namespace are in the `-n` namespace, as `kubectl apply -n` puts
/// them, for matching and in messages; without `-n` they are in `default`, and say so.
#[test]
fn objects_without_a_namespace_are_in_the_given_one() {
    let manifests = fixture("accuracy/no-namespace.yaml");
    let in_shop = kubewhy(&["analyze", "-f", &manifests, "-n", "shop", "-o", "json"]).json();
    assert!(
        rooted(&in_shop, "Service/web").is_empty(),
        "in shop, the Service selects the Deployment: {in_shop:#}"
    );
    assert!(
        issues(&in_shop)
            .iter()
            .all(|i| i["root"]["namespace"] == "shop"),
        "{in_shop:#}"
    );
    let unset = kubewhy(&["analyze", "-f", &manifests, "-o", "json"]).json();
    let service = rooted(&unset, "Service/web");
    assert_eq!(service.len(), 1, "{unset:#}");
    assert_eq!(service[0]["check"], "service-selects-no-workload");
    let message = service[0]["message"].as_str().unwrap();
    assert!(message.contains("in namespace default"), "{message}");
}

/// Containers on one node that restarted together with the same exit code are one issue on the
/// node, with the pods as its affected objects; restarts apart from each other stay their own.
#[test]
fn restarts_caused_by_one_event_are_one_issue() {
    let report = kubewhy(&[
        "analyze",
        "-f",
        &catalog_fixture("node-restart-burst.yaml"),
        "-o",
        "json",
    ])
    .json();
    let node = rooted(&report, "Node/node-a");
    assert_eq!(node.len(), 1, "{report:#}");
    assert_eq!(node[0]["check"], "node-restart-burst");
    assert!(checks_of(node[0]).contains(&"pod-container-restarting".to_owned()));
    let message = node[0]["message"].as_str().unwrap();
    assert!(
        message.contains("3 containers in 3 pods on node node-a") && message.contains("255"),
        "{message}"
    );
    let pods: Vec<&str> = node[0]["objects"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["kind"] == "Pod")
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(pods.len(), 3, "{pods:?}");
    let restarting: Vec<&Value> = issues(&report)
        .iter()
        .filter(|i| i["check"] == "pod-container-restarting")
        .collect();
    // Only the three restarts on ok-node-b, ten minutes apart, are reported one by one.
    assert_eq!(restarting.len(), 3, "{restarting:#?}");
    assert!(
        restarting
            .iter()
            .all(|i| i["root"]["name"].as_str().unwrap().starts_with("ok-web")),
        "{restarting:#?}"
    );
}
