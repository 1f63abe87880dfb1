//! Where GPU pods can go: Pending GPU pods with the reason each GPU node turns them down, and
//! GPU nodes without a taint that ordinary pods occupy.

use std::collections::BTreeMap;

use kubewhy_model::{ConditionEvidence, Finding, Severity};
use kubewhy_source::{
    Snapshot,
    k8s::core::v1::{Node, NodeSelectorRequirement, Pod, PodSpec, Taint, Toleration},
    object_ref,
};

use super::{finding, gpu};
use crate::evidence;

/// At most this many squatting pods are named.
const MAX_NAMED_PODS: usize = 5;

/// Whether a pod holds node resources: scheduled and not finished.
fn holds_resources(pod: &Pod) -> bool {
    let phase = pod.status.as_ref().and_then(|s| s.phase.as_deref());
    !matches!(phase, Some("Succeeded" | "Failed"))
}

fn pods_on<'a>(snapshot: &'a Snapshot, node: &'a str) -> impl Iterator<Item = &'a Pod> + 'a {
    snapshot.pods.iter().filter(move |p| {
        p.spec.as_ref().and_then(|s| s.node_name.as_deref()) == Some(node) && holds_resources(p)
    })
}

fn allocatable(node: &Node, resource: &str) -> i64 {
    let status = node.status.as_ref().and_then(|s| s.allocatable.as_ref());
    status
        .and_then(|a| a.get(resource))
        .and_then(|q| gpu::count(&q.0))
        .unwrap_or(0)
}

fn node_name(node: &Node) -> &str {
    node.metadata.name.as_deref().unwrap_or_default()
}

fn blocking_taints(node: &Node) -> impl Iterator<Item = &Taint> {
    let taints = node.spec.as_ref().and_then(|s| s.taints.as_ref());
    taints
        .into_iter()
        .flatten()
        .filter(|t| matches!(t.effect.as_str(), "NoSchedule" | "NoExecute"))
}

fn tolerates(toleration: &Toleration, taint: &Taint) -> bool {
    let effect = toleration.effect.as_deref().unwrap_or_default();
    if !effect.is_empty() && effect != taint.effect {
        return false;
    }
    let key = toleration.key.as_deref().unwrap_or_default();
    if toleration.operator.as_deref() == Some("Exists") {
        return key.is_empty() || key == taint.key;
    }
    key == taint.key
        && toleration.value.as_deref().unwrap_or_default()
            == taint.value.as_deref().unwrap_or_default()
}

fn requirement_holds(req: &NodeSelectorRequirement, value: Option<&str>) -> bool {
    let values = req.values.as_deref().unwrap_or_default();
    let number = |v: &str| v.parse::<i64>().ok();
    match req.operator.as_str() {
        "In" => value.is_some_and(|v| values.iter().any(|w| w == v)),
        "NotIn" => value.is_none_or(|v| !values.iter().any(|w| w == v)),
        "Exists" => value.is_some(),
        "DoesNotExist" => value.is_none(),
        "Gt" | "Lt" => {
            let (Some(have), Some(bound)) = (
                value.and_then(number),
                values.first().and_then(|v| number(v)),
            ) else {
                return false;
            };
            if req.operator == "Gt" {
                have > bound
            } else {
                have < bound
            }
        }
        _ => false,
    }
}

/// Why the node's labels turn the pod down: its nodeSelector or required node affinity.
fn selector_mismatch(spec: &PodSpec, node: &Node) -> Option<String> {
    let empty = BTreeMap::new();
    let labels = node.metadata.labels.as_ref().unwrap_or(&empty);
    let selector = spec.node_selector.iter().flatten();
    if let Some((k, v)) = selector
        .into_iter()
        .find(|(k, v)| labels.get(*k) != Some(*v))
    {
        return Some(format!("nodeSelector {k}={v} not matched"));
    }
    let required = spec
        .affinity
        .as_ref()
        .and_then(|a| a.node_affinity.as_ref())
        .and_then(|a| {
            a.required_during_scheduling_ignored_during_execution
                .as_ref()
        })?;
    let term_matches = |term: &kubewhy_source::k8s::core::v1::NodeSelectorTerm| {
        let exprs = term.match_expressions.iter().flatten();
        let fields = term.match_fields.iter().flatten();
        exprs
            .into_iter()
            .all(|r| requirement_holds(r, labels.get(&r.key).map(String::as_str)))
            && fields
                .into_iter()
                .all(|r| requirement_holds(r, (r.key == "metadata.name").then(|| node_name(node))))
    };
    (!required.node_selector_terms.iter().any(term_matches))
        .then(|| "required node affinity not matched".to_owned())
}

/// Every reason `node` turns down a pod that needs `wanted` of `resource`.
fn rejections(
    snapshot: &Snapshot,
    spec: &PodSpec,
    node: &Node,
    resource: &str,
    wanted: i64,
) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    if node.spec.as_ref().and_then(|s| s.unschedulable) == Some(true) {
        out.push(("Cordoned", "cordoned".to_owned()));
    }
    let tolerations = spec.tolerations.as_deref().unwrap_or_default();
    if let Some(taint) =
        blocking_taints(node).find(|t| !tolerations.iter().any(|tol| tolerates(tol, t)))
    {
        let value = taint
            .value
            .as_deref()
            .map(|v| format!("={v}"))
            .unwrap_or_default();
        out.push((
            "TaintNotTolerated",
            format!("taint {}{value}:{} not tolerated", taint.key, taint.effect),
        ));
    }
    if let Some(why) = selector_mismatch(spec, node) {
        out.push(("SelectorMismatch", why));
    }
    let total = allocatable(node, resource);
    let used: i64 = pods_on(snapshot, node_name(node))
        .filter_map(|p| p.spec.as_ref())
        .map(|s| gpu::pod_accelerators(s).get(resource).copied().unwrap_or(0))
        .sum();
    let free = (total - used).max(0);
    if free < wanted {
        out.push((
            "InsufficientResource",
            format!("{free} of {total} {resource} free, {wanted} needed"),
        ));
    }
    out
}

fn unscheduled(pod: &Pod) -> bool {
    let spec_scheduled = pod
        .spec
        .as_ref()
        .and_then(|s| s.node_name.as_deref())
        .is_some_and(|n| !n.is_empty());
    let status = pod.status.as_ref();
    let conditions = status
        .and_then(|s| s.conditions.as_ref())
        .into_iter()
        .flatten();
    let not_scheduled = conditions.into_iter().any(|c| {
        c.type_ == "PodScheduled"
            && c.status == "False"
            && c.reason.as_deref() != Some("SchedulingGated")
    });
    status.and_then(|s| s.phase.as_deref()) == Some("Pending")
        && !spec_scheduled
        && not_scheduled
        && pod.metadata.deletion_timestamp.is_none()
}

/// `gpu-pod-unschedulable`: a Pending pod that asks for accelerators, with each GPU node's
/// reasons for turning it down.
pub(super) fn pending(snapshot: &Snapshot) -> Vec<Finding> {
    if snapshot.nodes.is_empty() {
        return Vec::new();
    }
    let mut findings = Vec::new();
    for pod in snapshot.pods.iter().filter(|p| unscheduled(p)) {
        let Some(spec) = pod.spec.as_ref() else {
            continue;
        };
        for (resource, wanted) in gpu::pod_accelerators(spec) {
            findings.push(pending_finding(snapshot, pod, spec, &resource, wanted));
        }
    }
    findings
}

/// One GPU node's verdict on the pod: a summary for the message and a condition for the
/// evidence.
fn node_verdict(
    snapshot: &Snapshot,
    spec: &PodSpec,
    node: &Node,
    resource: &str,
    wanted: i64,
) -> (String, ConditionEvidence) {
    let reasons = rejections(snapshot, spec, node, resource, wanted);
    let text = if reasons.is_empty() {
        "fits now".to_owned()
    } else {
        let texts: Vec<&str> = reasons.iter().map(|(_, text)| text.as_str()).collect();
        texts.join("; ")
    };
    let condition = ConditionEvidence {
        object: format!("Node/{}", node_name(node)),
        type_: format!("Fits {resource}"),
        status: if reasons.is_empty() { "True" } else { "False" }.to_owned(),
        reason: Some(
            reasons
                .first()
                .map_or("Fits", |(token, _)| *token)
                .to_owned(),
        ),
        message: Some(text.clone()),
    };
    (format!("{} ({text})", node_name(node)), condition)
}

fn pending_finding(
    snapshot: &Snapshot,
    pod: &Pod,
    spec: &PodSpec,
    resource: &str,
    wanted: i64,
) -> Finding {
    let object = object_ref(pod);
    let offering: Vec<&Node> = snapshot
        .nodes
        .iter()
        .filter(|n| allocatable(n, resource) > 0)
        .collect();
    let (summaries, conditions): (Vec<String>, Vec<ConditionEvidence>) = offering
        .iter()
        .map(|node| node_verdict(snapshot, spec, node, resource, wanted))
        .unzip();
    let (reason, message) = if offering.is_empty() {
        (
            "NoNodeWithResource",
            format!(
                "Pod {} requests {wanted} {resource}, but no node advertises {resource} in its allocatable resources",
                object.name
            ),
        )
    } else {
        (
            "NoNodeFits",
            format!(
                "Pod {} requests {wanted} {resource} and is Pending; nodes with {resource}: {}",
                object.name,
                summaries.join(", ")
            ),
        )
    };
    let mut found = finding("gpu-pod-unschedulable", object.clone(), reason, message);
    found.evidence.conditions = conditions;
    found.evidence.events = evidence::events(snapshot, &object);
    found.related = offering.iter().map(|n| object_ref(*n)).collect();
    found
}

/// Pods that need no accelerator and run on `node` for no reason of their own: DaemonSet pods
/// and static (mirror) pods run on every node and are left out.
fn squatters<'a>(snapshot: &'a Snapshot, node: &'a str) -> Vec<&'a Pod> {
    pods_on(snapshot, node)
        .filter(|p| {
            let owners = p.metadata.owner_references.iter().flatten();
            let daemon = owners
                .into_iter()
                .any(|o| o.kind == "DaemonSet" || o.kind == "Node");
            let mirror = p
                .metadata
                .annotations
                .as_ref()
                .is_some_and(|a| a.contains_key("kubernetes.io/config.mirror"));
            !daemon
                && !mirror
                && p.spec
                    .as_ref()
                    .is_none_or(|s| gpu::pod_accelerators(s).is_empty())
        })
        .collect()
}

fn accelerators(node: &Node) -> Vec<(String, i64)> {
    let status = node.status.as_ref().and_then(|s| s.allocatable.as_ref());
    status
        .into_iter()
        .flatten()
        .filter(|(name, _)| gpu::is_accelerator(name))
        .filter_map(|(name, q)| {
            gpu::count(&q.0)
                .filter(|n| *n > 0)
                .map(|n| (name.clone(), n))
        })
        .collect()
}

/// `gpu-node-untainted`: a GPU node any pod may land on, in a cluster that also has other nodes.
pub(super) fn untainted(snapshot: &Snapshot) -> Vec<Finding> {
    let gpu_nodes: Vec<(&Node, Vec<(String, i64)>)> = snapshot
        .nodes
        .iter()
        .map(|n| (n, accelerators(n)))
        .filter(|(_, a)| !a.is_empty())
        .collect();
    // In a cluster of GPU nodes only, there is nowhere else for ordinary pods to go.
    if gpu_nodes.len() == snapshot.nodes.len() {
        return Vec::new();
    }
    gpu_nodes
        .into_iter()
        .filter(|(node, _)| blocking_taints(node).next().is_none())
        .map(|(node, offered)| untainted_finding(snapshot, node, &offered))
        .collect()
}

fn untainted_finding(snapshot: &Snapshot, node: &Node, offered: &[(String, i64)]) -> Finding {
    let offered: Vec<String> = offered
        .iter()
        .map(|(name, n)| format!("{n} {name}"))
        .collect();
    let offered = offered.join(", ");
    let name = node_name(node);
    let pods = squatters(snapshot, name);
    let named: Vec<String> = pods
        .iter()
        .take(MAX_NAMED_PODS)
        .map(|p| {
            let namespace = p.metadata.namespace.as_deref().unwrap_or_default();
            format!(
                "{namespace}/{}",
                p.metadata.name.as_deref().unwrap_or_default()
            )
        })
        .collect();
    let more = match pods.len().saturating_sub(MAX_NAMED_PODS) {
        0 => String::new(),
        more => format!(" and {more} more"),
    };
    let untainted =
        format!("Node {name} offers {offered} and has no NoSchedule or NoExecute taint");
    let (reason, message, severity) = if pods.is_empty() {
        let message = format!("{untainted}; no ordinary pod runs on it yet");
        ("Untainted", message, Severity::Info)
    } else {
        let message = format!(
            "{untainted}; {} pods without GPU requests run on it: {}{more}",
            pods.len(),
            named.join(", ")
        );
        ("OrdinaryPodsOnGpuNode", message, Severity::Warning)
    };
    let mut found = finding("gpu-node-untainted", object_ref(node), reason, message);
    found.severity = severity;
    found.related = pods
        .iter()
        .take(MAX_NAMED_PODS)
        .map(|p| object_ref(*p))
        .collect();
    found
}
