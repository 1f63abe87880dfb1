use kubewhy_model::{CheckId, Evidence, Fingerprint, Severity};

use super::*;

fn command(text: &str) -> SuggestedCommand {
    SuggestedCommand {
        command: text.to_owned(),
        changes: false,
    }
}

fn labels(command: &str) -> Vec<String> {
    named_objects(command).iter().map(Named::label).collect()
}

/// An issue on the demo's `checkout` Deployment whose message quotes the Service `orders-db`.
fn checkout() -> Issue {
    let root = ObjectRef::new("apps/v1", "Deployment", Some("shop"), "checkout");
    Issue {
        fingerprint: Fingerprint::new(&root, CheckId("pod-crash-looping"), "x"),
        check: CheckId("pod-crash-looping"),
        severity: Severity::Error,
        category: kubewhy_model::Category::Reliability,
        title: "Crash loop".into(),
        message: "cannot reach \"orders-db\"".into(),
        objects: vec![root.clone()],
        root,
        related: Vec::new(),
        evidence: Evidence::default(),
        merged_checks: Vec::new(),
        caused_by: Vec::new(),
        chain: Vec::new(),
        fix: None,
        origin: None,
        explanation: None,
        cluster: None,
    }
}

#[test]
fn kubectl_commands_name_kind_slash_name_kind_and_name_and_namespaces() {
    assert_eq!(
        labels("kubectl describe deploy/checkout -n shop"),
        ["deployment/checkout -n shop"]
    );
    assert_eq!(
        labels("kubectl -n shop get pod web-1 web-2 -o yaml"),
        ["pod/web-1 -n shop", "pod/web-2 -n shop"]
    );
    assert_eq!(
        labels("kubectl logs checkout-7d9 --previous --tail 50 --namespace=shop"),
        ["pod/checkout-7d9 -n shop"]
    );
    assert_eq!(
        labels("kubectl rollout restart deployment/web"),
        ["deployment/web"]
    );
    assert_eq!(
        labels("kubectl get storageclass fast-ssd"),
        ["storageclass/fast-ssd"]
    );
    assert_eq!(labels("kubectl cordon node-cpu-c"), ["node/node-cpu-c"]);
    assert_eq!(
        labels("kubectl taint nodes node-gpu-b nvidia.com/gpu=present:NoSchedule"),
        ["node/node-gpu-b"]
    );
    assert_eq!(
        labels("kubectl exec web-1 -n shop -c app -- sh -c 'cat /etc/deployment/x'"),
        ["pod/web-1 -n shop"]
    );
    assert_eq!(
        labels("kubectl set image deployment/frontend web=ghcr.io/acme/frontend:v2"),
        ["deployment/frontend"]
    );
    assert_eq!(
        labels("kubectl label pod web app=x -n shop"),
        ["pod/web -n shop"]
    );
}

#[test]
fn commands_that_name_nothing_checkable_name_nothing() {
    for text in [
        "kubectl get pods -n shop",
        "kubectl get pods,svc -A",
        "kubectl apply -f fix.yaml",
        "kubectl create secret generic payments-stripe --from-literal=key=x",
        "kubectl describe pod <pod-name> -n shop",
        "kubectl get widgets.example.com foo",
        "helm upgrade shop ./chart",
        "kubectl get events --field-selector involvedObject.name=web",
    ] {
        assert!(labels(text).is_empty(), "{text}: {:?}", labels(text));
    }
}

#[test]
fn objects_of_the_issue_or_the_snapshot_are_grounded_and_others_are_flagged() {
    let loaded = kubewhy_source::demo::load();
    let snapshot = &loaded.snapshot;
    let issue = checkout();
    let commands = [
        command("kubectl describe deployment/checkout -n shop"),
        command("kubectl get svc orders-db -n shop"),
        command("kubectl get pvc orders-db-data -n shop"),
        command("kubectl get nodes node-cpu-c"),
        command("kubectl rollout restart deployment/checkout-v2 -n shop"),
        command("kubectl describe 'deploy/ghost' -n shop | grep Image"),
        command("kubectl get svc orders-db -n elsewhere"),
    ];
    assert_eq!(
        ungrounded(&commands, &issue, snapshot),
        ["deployment/checkout-v2 -n shop", "deployment/ghost -n shop",]
    );
}

#[test]
fn a_missing_namespace_is_flagged_and_an_unlisted_kind_never_is() {
    let loaded = kubewhy_source::demo::load();
    let commands = [command("kubectl describe deployment/ghost -n nowhere")];
    // The demo lists every namespace, so a namespace it does not hold is a namespace that
    // does not exist: flagged. A kind it never listed (a custom resource) is not.
    assert_eq!(
        ungrounded(&commands, &checkout(), &loaded.snapshot),
        ["deployment/ghost -n nowhere"]
    );
    let custom = [command("kubectl describe certificate/web-tls -n shop")];
    assert!(ungrounded(&custom, &checkout(), &loaded.snapshot).is_empty());
}
