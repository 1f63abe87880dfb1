//! Where GPU pods can go: Pending GPU pods with the reason each GPU node turns them down, and
//! GPU nodes without a taint that ordinary pods occupy.

use std::collections::{BTreeMap, HashMap};

use kubewhy_model::{ConditionEvidence, Finding, Severity};
use kubewhy_source::{
    Snapshot,
    k8s::core::v1::{Node, Pod, PodSpec},
    object_ref,
};

use crate::{
    evidence,
    findings::finding,
    ids,
    k8s::{
        blocking_taints, count, is_accelerator, is_static, node_name, pod_accelerators,
        selector_mismatch, tolerates, unscheduled,
    },
};

/// At most this many squatting pods are named.
const MAX_NAMED_PODS: usize = 5;

/// At most this many GPU nodes are named for a Pending pod: a large cluster has hundreds.
const MAX_NAMED_NODES: usize = 10;

/// Whether a pod holds node resources: scheduled and not finished.
fn holds_resources(pod: &Pod) -> bool {
    let phase = pod.status.as_ref().and_then(|s| s.phase.as_deref());
    !matches!(phase, Some("Succeeded" | "Failed"))
}

/// Running pods by node name, built once per run: looking them up per node would scan every pod
/// for every node (and, for Pending pods, for every Pending pod too).
fn pods_by_node(snapshot: &Snapshot) -> HashMap<&str, Vec<&Pod>> {
    let mut by_node: HashMap<&str, Vec<&Pod>> = HashMap::new();
    for pod in snapshot.pods.iter().filter(|p| holds_resources(p)) {
        if let Some(node) = pod.spec.as_ref().and_then(|s| s.node_name.as_deref()) {
            by_node.entry(node).or_default().push(pod);
        }
    }
    by_node
}

/// What the pods on each node hold of each accelerator.
fn accelerators_in_use<'a>(
    by_node: &HashMap<&'a str, Vec<&Pod>>,
) -> HashMap<&'a str, BTreeMap<String, i64>> {
    by_node
        .iter()
        .map(|(node, pods)| {
            let mut used: BTreeMap<String, i64> = BTreeMap::new();
            for spec in pods.iter().filter_map(|p| p.spec.as_ref()) {
                for (resource, n) in pod_accelerators(spec) {
                    *used.entry(resource).or_default() += n;
                }
            }
            (*node, used)
        })
        .collect()
}

fn allocatable(node: &Node, resource: &str) -> i64 {
    let status = node.status.as_ref().and_then(|s| s.allocatable.as_ref());
    status
        .and_then(|a| a.get(resource))
        .and_then(|q| count(&q.0))
        .unwrap_or(0)
}

/// Every reason `node` turns down a pod that needs `wanted` of `resource`.
fn rejections(
    in_use: &HashMap<&str, BTreeMap<String, i64>>,
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
    let used = in_use
        .get(node_name(node))
        .and_then(|u| u.get(resource))
        .copied()
        .unwrap_or(0);
    let free = (total - used).max(0);
    if free < wanted {
        out.push((
            "InsufficientResource",
            format!("{free} of {total} {resource} free, {wanted} needed"),
        ));
    }
    out
}

/// `gpu-pod-unschedulable`: a Pending pod that asks for accelerators, with each GPU node's
/// reasons for turning it down.
pub(super) fn pending(snapshot: &Snapshot) -> Vec<Finding> {
    if snapshot.nodes.is_empty() {
        return Vec::new();
    }
    let mut in_use = None;
    let mut findings = Vec::new();
    for pod in snapshot.pods.iter().filter(|p| unscheduled(p)) {
        let Some(spec) = pod.spec.as_ref() else {
            continue;
        };
        for (resource, wanted) in pod_accelerators(spec) {
            // Counted once, and only when some pod waits for an accelerator.
            let in_use = in_use.get_or_insert_with(|| accelerators_in_use(&pods_by_node(snapshot)));
            let ask = Ask {
                spec,
                resource: &resource,
                wanted,
            };
            findings.push(pending_finding(snapshot, in_use, pod, &ask));
        }
    }
    findings
}

/// What a Pending pod asks for: `wanted` of the accelerator `resource`.
struct Ask<'a> {
    spec: &'a PodSpec,
    resource: &'a str,
    wanted: i64,
}

/// One GPU node's verdict on the pod.
struct Verdict<'a> {
    node: &'a Node,
    /// The first reason's token (`Fits` when there is none): nodes are grouped by it.
    reason: &'static str,
    condition: ConditionEvidence,
}

impl Verdict<'_> {
    fn summary(&self) -> String {
        let text = self.condition.message.as_deref().unwrap_or_default();
        format!("{} ({text})", node_name(self.node))
    }
}

fn node_verdict<'a>(
    in_use: &HashMap<&str, BTreeMap<String, i64>>,
    node: &'a Node,
    ask: &Ask<'_>,
) -> Verdict<'a> {
    let reasons = rejections(in_use, ask.spec, node, ask.resource, ask.wanted);
    let text = if reasons.is_empty() {
        "fits now".to_owned()
    } else {
        let texts: Vec<&str> = reasons.iter().map(|(_, text)| text.as_str()).collect();
        texts.join("; ")
    };
    let reason = reasons.first().map_or("Fits", |(token, _)| *token);
    let condition = ConditionEvidence {
        object: format!("Node/{}", node_name(node)),
        type_: format!("Fits {}", ask.resource),
        status: if reasons.is_empty() { "True" } else { "False" }.to_owned(),
        reason: Some(reason.to_owned()),
        message: Some(text),
    };
    Verdict {
        node,
        reason,
        condition,
    }
}

/// The verdicts to name, at most `MAX_NAMED_NODES`, taken in turn from each group of nodes with
/// the same first reason (so that a rare reason is not crowded out) and listed group by group;
/// and how many of each group are left unnamed.
fn pick_named(verdicts: Vec<Verdict<'_>>) -> (Vec<Verdict<'_>>, Vec<(&'static str, usize)>) {
    let mut groups: Vec<(&'static str, Vec<Verdict<'_>>)> = Vec::new();
    for verdict in verdicts {
        match groups
            .iter_mut()
            .find(|(reason, _)| *reason == verdict.reason)
        {
            Some((_, group)) => group.push(verdict),
            None => groups.push((verdict.reason, vec![verdict])),
        }
    }
    let mut quota = vec![0; groups.len()];
    let mut budget = MAX_NAMED_NODES;
    while budget > 0 {
        let before = budget;
        for (i, (_, group)) in groups.iter().enumerate() {
            if budget > 0 && quota[i] < group.len() {
                quota[i] += 1;
                budget -= 1;
            }
        }
        if budget == before {
            break;
        }
    }
    let mut named = Vec::new();
    let mut rest = Vec::new();
    for ((reason, group), take) in groups.into_iter().zip(quota) {
        if group.len() > take {
            rest.push((reason, group.len() - take));
        }
        named.extend(group.into_iter().take(take));
    }
    (named, rest)
}

fn pending_finding(
    snapshot: &Snapshot,
    in_use: &HashMap<&str, BTreeMap<String, i64>>,
    pod: &Pod,
    ask: &Ask<'_>,
) -> Finding {
    let (resource, wanted) = (ask.resource, ask.wanted);
    let object = object_ref(pod);
    let verdicts: Vec<Verdict<'_>> = snapshot
        .nodes
        .iter()
        .filter(|n| allocatable(n, resource) > 0)
        .map(|node| node_verdict(in_use, node, ask))
        .collect();
    let offering = verdicts.len();
    let (named, rest) = pick_named(verdicts);
    let (reason, message) = if offering == 0 {
        (
            "NoNodeWithResource",
            format!(
                "Pod {} requests {wanted} {resource}, but no node advertises {resource} in its allocatable resources",
                object.name
            ),
        )
    } else {
        let summaries: Vec<String> = named.iter().map(Verdict::summary).collect();
        let more = if rest.is_empty() {
            String::new()
        } else {
            let counts: Vec<String> = rest.iter().map(|(r, n)| format!("{n} {r}")).collect();
            let total: usize = rest.iter().map(|(_, n)| n).sum();
            format!(" and {total} more ({})", counts.join(", "))
        };
        (
            "NoNodeFits",
            format!(
                "Pod {} requests {wanted} {resource} and is Pending; nodes with {resource}: {}{more}",
                object.name,
                summaries.join(", ")
            ),
        )
    };
    let mut found = finding(ids::GPU_POD_UNSCHEDULABLE, &object, reason, message);
    found.related = named.iter().map(|v| object_ref(v.node)).collect();
    found.evidence.conditions = named.into_iter().map(|v| v.condition).collect();
    found.evidence.events = evidence::events(snapshot, &object);
    found
}

/// Pods that need no accelerator and run on the node for no reason of their own: DaemonSet pods
/// and static (mirror) pods run on every node and are left out.
fn squatters<'a>(on_node: &[&'a Pod]) -> Vec<&'a Pod> {
    on_node
        .iter()
        .copied()
        .filter(|p| {
            let mut owners = p.metadata.owner_references.iter().flatten();
            let daemon = owners.any(|o| o.kind == "DaemonSet");
            !daemon
                && !is_static(p)
                && p.spec
                    .as_ref()
                    .is_none_or(|s| pod_accelerators(s).is_empty())
        })
        .collect()
}

fn accelerators(node: &Node) -> Vec<(String, i64)> {
    let status = node.status.as_ref().and_then(|s| s.allocatable.as_ref());
    status
        .into_iter()
        .flatten()
        .filter(|(name, _)| is_accelerator(name))
        .filter_map(|(name, q)| count(&q.0).filter(|n| *n > 0).map(|n| (name.clone(), n)))
        .collect()
}

/// A node an ordinary pod can be scheduled to: not cordoned, and no taint that keeps pods away.
fn open_to_all(node: &Node) -> bool {
    node.spec.as_ref().and_then(|s| s.unschedulable) != Some(true)
        && blocking_taints(node).next().is_none()
}

/// `gpu-node-untainted`: a GPU node any pod may land on, in a cluster that also has other nodes
/// open to ordinary pods.
pub(super) fn untainted(snapshot: &Snapshot) -> Vec<Finding> {
    let gpu_nodes: Vec<(&Node, Vec<(String, i64)>)> = snapshot
        .nodes
        .iter()
        .map(|n| (n, accelerators(n)))
        .collect();
    // When the only nodes open to ordinary pods are GPU nodes (the others tainted control
    // planes or cordoned), there is nowhere else for those pods to go.
    if !gpu_nodes
        .iter()
        .any(|(n, a)| a.is_empty() && open_to_all(n))
    {
        return Vec::new();
    }
    let flagged: Vec<(&Node, Vec<(String, i64)>)> = gpu_nodes
        .into_iter()
        .filter(|(node, a)| !a.is_empty() && blocking_taints(node).next().is_none())
        .collect();
    if flagged.is_empty() {
        return Vec::new();
    }
    let by_node = pods_by_node(snapshot);
    flagged
        .into_iter()
        .map(|(node, offered)| {
            let on_node = by_node.get(node_name(node)).map_or(&[][..], Vec::as_slice);
            untainted_finding(node, &offered, &squatters(on_node))
        })
        .collect()
}

fn untainted_finding(node: &Node, offered: &[(String, i64)], pods: &[&Pod]) -> Finding {
    let offered: Vec<String> = offered
        .iter()
        .map(|(name, n)| format!("{n} {name}"))
        .collect();
    let offered = offered.join(", ");
    let name = node_name(node);
    let named: Vec<String> = pods
        .iter()
        .take(MAX_NAMED_PODS)
        .map(|p| {
            let namespace = p.metadata.namespace.as_deref().filter(|n| !n.is_empty());
            let namespace = namespace.unwrap_or("default");
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
    let mut found = finding(ids::GPU_NODE_UNTAINTED, &object_ref(node), reason, message);
    found.severity = severity;
    found.related = pods
        .iter()
        .take(MAX_NAMED_PODS)
        .map(|p| object_ref(*p))
        .collect();
    found
}

#[cfg(test)]
mod tests {
    use kubewhy_source::files::{Input, parse};

    use super::*;

    fn snapshot(text: &str) -> Snapshot {
        let loaded = parse([Input {
            name: "test.yaml".to_owned(),
            text: text.to_owned(),
        }]);
        assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
        loaded.snapshot
    }

    const GPU_WORKERS: &str = "
apiVersion: v1
kind: Node
metadata: {name: control-plane}
spec:
  taints: [{key: node-role.kubernetes.io/control-plane, effect: NoSchedule}]
status: {allocatable: {cpu: '4'}}
---
apiVersion: v1
kind: Node
metadata: {name: drained}
spec: {unschedulable: true}
status: {allocatable: {cpu: '4'}}
---
apiVersion: v1
kind: Node
metadata: {name: gpu-1}
status: {allocatable: {cpu: '48', nvidia.com/gpu: '8'}}
";

    #[test]
    fn gpu_workers_beside_only_tainted_or_cordoned_nodes_are_not_flagged() {
        assert!(untainted(&snapshot(GPU_WORKERS)).is_empty());
        let open = "---\napiVersion: v1\nkind: Node\nmetadata: {name: cpu-1}\nstatus: {allocatable: {cpu: '4'}}\n";
        assert_eq!(
            untainted(&snapshot(&format!("{GPU_WORKERS}{open}"))).len(),
            1
        );
    }

    #[test]
    fn at_most_ten_nodes_are_named_taking_each_reason_in_turn() {
        let node = Node::default();
        let verdict = |reason: &'static str| Verdict {
            node: &node,
            reason,
            condition: ConditionEvidence {
                object: String::new(),
                type_: String::new(),
                status: "False".to_owned(),
                reason: Some(reason.to_owned()),
                message: None,
            },
        };
        let mut verdicts: Vec<Verdict<'_>> =
            (0..20).map(|_| verdict("InsufficientResource")).collect();
        verdicts.push(verdict("Cordoned"));
        verdicts.push(verdict("Cordoned"));
        let (named, rest) = pick_named(verdicts);
        assert_eq!(named.len(), MAX_NAMED_NODES);
        assert_eq!(named.iter().filter(|v| v.reason == "Cordoned").count(), 2);
        assert_eq!(rest, vec![("InsufficientResource", 12)]);
    }
}
