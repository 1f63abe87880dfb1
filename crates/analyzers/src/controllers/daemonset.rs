//! DaemonSets with unavailable or misscheduled pods, or a rolling update that does not finish.
//! Pods that are unavailable only because their node is down are left to the node's finding,
//! and pods that became unready within the grace period are still starting.

use kubewhy_model::{Finding, ObjectRef};
use kubewhy_source::{
    Snapshot,
    k8s::{
        apps::v1::DaemonSet,
        core::v1::{Node, Pod},
    },
    meta::Time,
    object_ref,
};

use super::{GRACE_SECONDS, status_stale};
use crate::{
    Context,
    findings::{Build, finding},
    ids,
    k8s::{node_ready, not_ready_since, pod_ready, since, tolerates},
};

pub(super) fn check(cx: &Context<'_>) -> Vec<Finding> {
    let snapshot: &Snapshot = cx;
    let mut findings = Vec::new();
    for set in &snapshot.daemon_sets {
        let object = object_ref(set);
        let status = set.status.as_ref();
        // Counts of a status that lags behind the spec describe the previous template.
        if status_stale(
            set.metadata.generation,
            status.and_then(|s| s.observed_generation),
        ) {
            continue;
        }
        findings.extend(unavailable(snapshot, set, &object));
        let counted = status.map_or(0, |s| s.number_misscheduled);
        let misscheduled = counted - excused_nodes(snapshot, set);
        if counted > 0 && misscheduled > 0 {
            let message = format!(
                "DaemonSet {} runs {misscheduled} pods on nodes that its node selector, affinity or tolerations exclude",
                object.name
            );
            findings.push(
                finding(
                    ids::DAEMONSET_PODS_MISSCHEDULED,
                    &object,
                    "Misscheduled",
                    message,
                )
                .events(snapshot),
            );
        }
    }
    findings
}

/// Unavailable pods, reported as a stuck rollout when a rolling update waits on them.
fn unavailable(snapshot: &Snapshot, set: &DaemonSet, object: &ObjectRef) -> Option<Finding> {
    let status = set.status.as_ref()?;
    let desired = status.desired_number_scheduled;
    let unavailable = status.number_unavailable.unwrap_or(0);
    let (blamed, oldest) = unready_pods(snapshot, set);
    // When every unready pod sits on a node that is not Ready, the node is the problem; a pod
    // that became unready within the grace period is being replaced or is starting on a new
    // node, which is how every rolling update and every scale-up looks for a while.
    let age = since(snapshot, oldest)?;
    if unavailable <= 0 || blamed.is_empty() || age.seconds() < GRACE_SECONDS {
        return None;
    }
    let updated = status.updated_number_scheduled.unwrap_or(0);
    let strategy = set
        .spec
        .update_strategy
        .as_ref()
        .and_then(|s| s.type_.as_deref());
    let waited = age.lasting();
    let (check, reason, message) = if updated < desired && strategy != Some("OnDelete") {
        let message = format!(
            "DaemonSet {} rollout is stuck with {updated} of {desired} pods updated and {unavailable} unavailable, one of them {waited}",
            object.name
        );
        (ids::DAEMONSET_ROLLOUT_STUCK, "RolloutStuck", message)
    } else {
        let message = format!(
            "DaemonSet {} has {unavailable} of {desired} pods unavailable, one of them {waited}",
            object.name
        );
        (ids::DAEMONSET_PODS_UNAVAILABLE, "PodsUnavailable", message)
    };
    Some(
        finding(check, object, reason, message)
            .events(snapshot)
            .related_all(blamed),
    )
}

/// The DaemonSet's unready pods on nodes that are up, and since when the oldest of them has
/// not been ready.
fn unready_pods<'a>(snapshot: &'a Snapshot, set: &DaemonSet) -> (Vec<ObjectRef>, Option<&'a Time>) {
    let uid = set.metadata.uid.as_deref().unwrap_or_default();
    let mut blamed = Vec::new();
    let mut oldest: Option<&Time> = None;
    for pod in snapshot.pods.owned_by(uid).filter(|p| !pod_ready(p)) {
        let node_down = node_of(snapshot, pod).is_some_and(|n| !node_ready(n));
        if node_down {
            continue;
        }
        blamed.push(object_ref(pod));
        if let Some(since) = not_ready_since(pod)
            && oldest.is_none_or(|o| since.0 < o.0)
        {
            oldest = Some(since);
        }
    }
    blamed.sort_by(|a, b| a.name.cmp(&b.name));
    (blamed, oldest)
}

fn node_of<'a>(snapshot: &'a Snapshot, pod: &Pod) -> Option<&'a Node> {
    let node = pod.spec.as_ref()?.node_name.as_deref()?;
    snapshot.nodes.get(None, node)
}

/// Nodes the controller counts as misscheduled only because they gained a `NoSchedule` taint
/// after the pod was placed (a cluster autoscaler or Karpenter draining them, a cordon by
/// taint): the DaemonSet would not place a new pod there, but its running pod stays by design.
/// A node is excused when it still matches the node selector and every taint the pods do not
/// tolerate is `NoSchedule`.
fn excused_nodes(snapshot: &Snapshot, set: &DaemonSet) -> i32 {
    let uid = set.metadata.uid.as_deref().unwrap_or_default();
    let template = set.spec.template.spec.as_ref();
    let tolerations = template
        .and_then(|s| s.tolerations.as_deref())
        .unwrap_or_default();
    let selector = template.and_then(|s| s.node_selector.as_ref());
    let mut nodes: Vec<&str> = snapshot
        .pods
        .owned_by(uid)
        .filter_map(|pod| node_of(snapshot, pod))
        .filter(|node| {
            let labels = node.metadata.labels.as_ref();
            let selected = selector
                .into_iter()
                .flatten()
                .all(|(key, value)| labels.and_then(|l| l.get(key)) == Some(value));
            let taints = node.spec.as_ref().and_then(|s| s.taints.as_deref());
            let mut untolerated = taints
                .unwrap_or_default()
                .iter()
                .filter(|t| t.effect != "PreferNoSchedule")
                .filter(|t| !tolerations.iter().any(|tol| tolerates(tol, t)))
                .peekable();
            selected
                && untolerated.peek().is_some()
                && untolerated.all(|t| t.effect == "NoSchedule")
        })
        .filter_map(|node| node.metadata.name.as_deref())
        .collect();
    nodes.sort_unstable();
    nodes.dedup();
    i32::try_from(nodes.len()).unwrap_or(i32::MAX)
}
