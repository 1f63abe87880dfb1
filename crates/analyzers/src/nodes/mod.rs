//! Nodes: readiness, pressure conditions, network, known node-problem conditions and cordons.
//!
//! Conditions that node-problem-detector and cloud node agents add are judged only when their
//! polarity is known: a condition type missing from [`KNOWN_PROBLEMS`] is never flagged, since
//! for an unknown type nobody can tell whether True is good or bad.

mod restarts;

use kubewhy_model::{CheckId, Finding, ObjectRef};
use kubewhy_source::{
    Snapshot,
    k8s::core::v1::{Node, NodeCondition, Pod},
    object_ref,
};

use crate::{
    Analyzer, Context, evidence,
    findings::{Build, finding},
    ids,
    k8s::{explain, since},
};

/// The Node analyzer.
pub struct NodeAnalyzer;

const CHECKS: &[CheckId] = &[
    ids::NODE_NOT_READY,
    ids::NODE_PRESSURE,
    ids::NODE_NETWORK_UNAVAILABLE,
    ids::NODE_PROBLEM_CONDITION,
    ids::NODE_CORDONED_WITH_PENDING_PODS,
    ids::NODE_RESTART_BURST,
];

/// The kubelet's own pressure conditions: True means the node is short of the resource.
const PRESSURE: &[&str] = &["MemoryPressure", "DiskPressure", "PIDPressure"];

/// Non-standard conditions whose bad status is known, with that status.
const KNOWN_PROBLEMS: &[(&str, &str)] = &[
    // node-problem-detector (also shipped by GKE and AKS).
    ("KernelDeadlock", "True"),
    ("ReadonlyFilesystem", "True"),
    ("FrequentKubeletRestart", "True"),
    ("FrequentDockerRestart", "True"),
    ("FrequentContainerdRestart", "True"),
    ("FrequentUnregisterNetDevice", "True"),
    ("CorruptDockerOverlay2", "True"),
    ("KubeletUnhealthy", "True"),
    ("ContainerRuntimeUnhealthy", "True"),
    // AKS node problem detector.
    ("KubeletProblem", "True"),
    ("ContainerRuntimeProblem", "True"),
    ("FilesystemCorruptionProblem", "True"),
    // EKS node monitoring agent: these say that a subsystem is healthy, so False is bad.
    ("ContainerRuntimeReady", "False"),
    ("StorageReady", "False"),
    ("NetworkingReady", "False"),
    ("KernelReady", "False"),
    ("AcceleratedHardwareReady", "False"),
];

/// Taints that the cluster autoscaler and Karpenter put on a node they are about to remove.
const REMOVAL_TAINTS: &[&str] = &[
    "ToBeDeletedByClusterAutoscaler",
    "karpenter.sh/disrupted",
    "karpenter.sh/disruption",
];

/// How long a node may be NotReady before it is flagged: a booting node's kubelet takes a
/// minute or two to report Ready.
const NOT_READY_GRACE_SECONDS: i64 = 180;

/// At most this many pods are named as related objects.
const MAX_RELATED: usize = 20;

impl Analyzer for NodeAnalyzer {
    fn checks(&self) -> &'static [CheckId] {
        CHECKS
    }

    fn analyze_rest(&self, cx: &Context<'_>, found: &[Finding]) -> Vec<Finding> {
        restarts::bursts(cx, found)
    }

    fn analyze(&self, snapshot: &Context<'_>) -> Vec<Finding> {
        let pending = unschedulable_pods(snapshot);
        let mut findings = Vec::new();
        for node in &snapshot.nodes {
            let object = object_ref(node);
            let conditions = node.status.as_ref().and_then(|s| s.conditions.as_ref());
            for cond in conditions.into_iter().flatten() {
                findings.extend(judge(snapshot, node, &object, cond));
            }
            let cordoned = node.spec.as_ref().and_then(|s| s.unschedulable) == Some(true);
            if cordoned && !pending.is_empty() {
                let waiting = match pending.len() {
                    1 => "1 pod waits".to_owned(),
                    n => format!("{n} pods wait"),
                };
                let message = format!(
                    "Node {} is cordoned while {waiting} to be scheduled",
                    object.name
                );
                let mut found = finding(
                    ids::NODE_CORDONED_WITH_PENDING_PODS,
                    &object,
                    "Cordoned",
                    message,
                )
                .events(snapshot);
                found.related = pending.iter().take(MAX_RELATED).cloned().collect();
                findings.push(found);
            }
        }
        findings
    }
}

fn judge(
    snapshot: &Snapshot,
    node: &Node,
    object: &ObjectRef,
    cond: &NodeCondition,
) -> Option<Finding> {
    let kind = cond.type_.as_str();
    let status = cond.status.as_str();
    let why = explain(cond.reason.as_deref(), cond.message.as_deref());
    let (check, message) = if kind == "Ready" && status != "True" {
        // A booting node, and one the autoscaler is removing, are NotReady for a while.
        let age = since(snapshot, cond.last_transition_time.as_ref())?;
        if age.seconds() < NOT_READY_GRACE_SECONDS || departing(node) {
            return None;
        }
        let age = format!(" {}", age.lasting());
        let pods = pods_on(snapshot, &object.name);
        let bound = match pods.len() {
            0 => String::new(),
            1 => "; 1 pod is bound to it".to_owned(),
            n => format!("; {n} pods are bound to it"),
        };
        let text = format!(
            "Node {} is not ready (Ready={status}{age}: {why}){bound}",
            object.name
        );
        let mut found = finding(ids::NODE_NOT_READY, object, reason(cond), text).events(snapshot);
        found
            .evidence
            .conditions
            .push(condition_evidence(object, cond));
        found.related = pods.into_iter().take(MAX_RELATED).collect();
        return Some(found);
    } else if PRESSURE.contains(&kind) && status == "True" {
        (
            ids::NODE_PRESSURE,
            format!("Node {} reports {kind} ({why})", object.name),
        )
    } else if kind == "NetworkUnavailable" && status == "True" {
        (
            ids::NODE_NETWORK_UNAVAILABLE,
            format!("Node {} has no working pod network ({why})", object.name),
        )
    } else if KNOWN_PROBLEMS.contains(&(kind, status)) {
        (
            ids::NODE_PROBLEM_CONDITION,
            format!("Node {} reports {kind}={status} ({why})", object.name),
        )
    } else {
        return None;
    };
    let mut found = finding(check, object, kind, message).events(snapshot);
    found
        .evidence
        .conditions
        .push(condition_evidence(object, cond));
    Some(found)
}

fn reason(cond: &NodeCondition) -> &str {
    cond.reason
        .as_deref()
        .unwrap_or(if cond.status == "Unknown" {
            "NodeStatusUnknown"
        } else {
            "NotReady"
        })
}

/// Whether the node is on its way out: deleted, or tainted by the cluster autoscaler or
/// Karpenter before they remove it. Such a node goes NotReady as it shuts down.
fn departing(node: &Node) -> bool {
    let taints = node.spec.as_ref().and_then(|s| s.taints.as_ref());
    node.metadata.deletion_timestamp.is_some()
        || taints
            .into_iter()
            .flatten()
            .any(|t| REMOVAL_TAINTS.contains(&t.key.as_str()))
}

fn condition_evidence(
    object: &ObjectRef,
    cond: &NodeCondition,
) -> kubewhy_model::ConditionEvidence {
    evidence::condition(
        object,
        &cond.type_,
        &cond.status,
        cond.reason.as_ref(),
        cond.message.as_ref(),
    )
}

/// The pods bound to the node, in namespace and name order.
fn pods_on(snapshot: &Snapshot, node: &str) -> Vec<ObjectRef> {
    snapshot
        .pods
        .iter()
        .filter(|p| p.spec.as_ref().and_then(|s| s.node_name.as_deref()) == Some(node))
        .map(object_ref)
        .collect()
}

/// Pods the scheduler could not place in part because nodes were cordoned: its message then
/// counts "node(s) were unschedulable". Pods that no cordon keeps out are not the cordon's fault.
fn unschedulable_pods(snapshot: &Snapshot) -> Vec<ObjectRef> {
    snapshot
        .pods
        .iter()
        .filter(|p| unschedulable(p))
        .map(object_ref)
        .collect()
}

fn unschedulable(pod: &Pod) -> bool {
    let status = pod.status.as_ref();
    status.and_then(|s| s.phase.as_deref()) == Some("Pending")
        && status
            .and_then(|s| s.conditions.as_ref())
            .into_iter()
            .flatten()
            .any(|c| {
                c.type_ == "PodScheduled"
                    && c.status == "False"
                    && c.reason.as_deref() == Some("Unschedulable")
                    && c.message
                        .as_deref()
                        .is_some_and(|m| m.contains("were unschedulable"))
            })
}
