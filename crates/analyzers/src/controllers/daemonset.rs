//! DaemonSets with unavailable or misscheduled pods, or a rolling update that does not finish.
//! Pods that are unavailable only because their node is down are left to the node's finding.

use kubewhy_model::{Finding, ObjectRef};
use kubewhy_source::{Snapshot, k8s::apps::v1::DaemonSet, object_ref};

use super::{deployment::pod_ready, finding};

pub(super) fn check(snapshot: &Snapshot) -> Vec<Finding> {
    let mut findings = Vec::new();
    for set in &snapshot.daemon_sets {
        let object = object_ref(set);
        findings.extend(unavailable(snapshot, set, &object));
        let misscheduled = set.status.as_ref().map_or(0, |s| s.number_misscheduled);
        if misscheduled > 0 {
            let message = format!(
                "DaemonSet {} runs {misscheduled} pods on nodes that its node selector, affinity or tolerations exclude",
                object.name
            );
            findings.push(finding(
                snapshot,
                "daemonset-pods-misscheduled",
                &object,
                "Misscheduled",
                message,
            ));
        }
    }
    findings
}

/// Unavailable pods, reported as a stuck rollout when a rolling update waits on them.
fn unavailable(snapshot: &Snapshot, set: &DaemonSet, object: &ObjectRef) -> Option<Finding> {
    let status = set.status.as_ref()?;
    let desired = status.desired_number_scheduled;
    let unavailable = status.number_unavailable.unwrap_or(0);
    let (blamed, on_down_nodes) = unready_pods(snapshot, set);
    // When every unready pod sits on a node that is not Ready, the node is the problem.
    if unavailable <= 0 || (blamed.is_empty() && on_down_nodes > 0) {
        return None;
    }
    let updated = status.updated_number_scheduled.unwrap_or(0);
    let strategy = set
        .spec
        .update_strategy
        .as_ref()
        .and_then(|s| s.type_.as_deref());
    let (check, reason, message) = if updated < desired && strategy != Some("OnDelete") {
        let message = format!(
            "DaemonSet {} rollout is stuck with {updated} of {desired} pods updated and {unavailable} unavailable",
            object.name
        );
        ("daemonset-rollout-stuck", "RolloutStuck", message)
    } else {
        let message = format!(
            "DaemonSet {} has {unavailable} of {desired} pods unavailable",
            object.name
        );
        ("daemonset-pods-unavailable", "PodsUnavailable", message)
    };
    let mut found = finding(snapshot, check, object, reason, message);
    found.related = blamed;
    Some(found)
}

/// The DaemonSet's unready pods on nodes that are up, and how many are on nodes that are not.
fn unready_pods(snapshot: &Snapshot, set: &DaemonSet) -> (Vec<ObjectRef>, usize) {
    let uid = set.metadata.uid.as_deref().unwrap_or_default();
    let mut blamed = Vec::new();
    let mut on_down_nodes = 0;
    for pod in snapshot.pods.owned_by(uid).filter(|p| !pod_ready(p)) {
        let node = pod.spec.as_ref().and_then(|s| s.node_name.as_deref());
        let node_down = node
            .and_then(|n| snapshot.nodes.get(None, n))
            .is_some_and(|n| !crate::nodes::is_ready(n));
        if node_down {
            on_down_nodes += 1;
        } else {
            blamed.push(object_ref(pod));
        }
    }
    blamed.sort_by(|a, b| a.name.cmp(&b.name));
    (blamed, on_down_nodes)
}
