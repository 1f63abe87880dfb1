//! What a pod's tolerations and node selection accept, as the scheduler judges them: a taint
//! tolerated, a node's labels matching the nodeSelector and required node affinity.

use std::collections::BTreeMap;

use kubewhy_source::k8s::core::v1::{
    Node, NodeSelector, NodeSelectorRequirement, NodeSelectorTerm, PodSpec, Taint, Toleration,
};

use super::{blocking_taints, count, extended_requests};

/// Whether `toleration` tolerates `taint`: same effect (or none given), and the same key and
/// value, or the key alone with `operator: Exists` (no key tolerates every taint).
pub(crate) fn tolerates(toleration: &Toleration, taint: &Taint) -> bool {
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

/// Whether a node whose label (or field) is `value` meets one requirement.
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
pub(crate) fn selector_mismatch(spec: &PodSpec, node: &Node) -> Option<String> {
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
        // An empty term matches no node (the scheduler's rule), not every node.
        let empty = |v: &Option<Vec<NodeSelectorRequirement>>| v.as_ref().is_none_or(Vec::is_empty);
        if empty(&term.match_expressions) && empty(&term.match_fields) {
            return false;
        }
        let exprs = term.match_expressions.iter().flatten();
        let fields = term.match_fields.iter().flatten();
        exprs
            .into_iter()
            .all(|r| requirement_holds(r, labels.get(&r.key).map(String::as_str)))
            && fields.into_iter().all(|r| {
                requirement_holds(
                    r,
                    (r.key == "metadata.name")
                        .then(|| node.metadata.name.as_deref().unwrap_or_default()),
                )
            })
    };
    (!required.node_selector_terms.iter().any(term_matches))
        .then(|| "required node affinity not matched".to_owned())
}

/// Whether the node's labels let the pod in: its nodeSelector and required node affinity hold.
pub(crate) fn selector_matches(spec: &PodSpec, node: &Node) -> bool {
    selector_mismatch(spec, node).is_none()
}

/// The required node affinity of a pod spec.
fn required_affinity(spec: &PodSpec) -> Option<&NodeSelector> {
    spec.affinity
        .as_ref()?
        .node_affinity
        .as_ref()?
        .required_during_scheduling_ignored_during_execution
        .as_ref()
}

/// `zone In (a, b) and gpu Exists`, or ` or `-joined for several terms.
fn describe_terms(selector: &NodeSelector) -> String {
    let requirement = |r: &NodeSelectorRequirement| {
        let values = r.values.as_deref().unwrap_or_default();
        if values.is_empty() {
            format!("{} {}", r.key, r.operator)
        } else {
            format!("{} {} ({})", r.key, r.operator, values.join(", "))
        }
    };
    let term = |t: &NodeSelectorTerm| {
        let parts: Vec<String> = t
            .match_expressions
            .iter()
            .flatten()
            .chain(t.match_fields.iter().flatten())
            .map(requirement)
            .collect();
        if parts.is_empty() {
            "{}".to_owned()
        } else {
            parts.join(" and ")
        }
    };
    let terms: Vec<String> = selector.node_selector_terms.iter().map(term).collect();
    terms.join(" or ")
}

/// `key=value:Effect`, as kubectl prints a taint.
fn show_taint(taint: &Taint) -> String {
    let value = taint
        .value
        .as_deref()
        .filter(|v| !v.is_empty())
        .map(|v| format!("={v}"))
        .unwrap_or_default();
    format!("{}{value}:{}", taint.key, taint.effect)
}

fn allocatable(node: &Node, resource: &str) -> i64 {
    let status = node.status.as_ref().and_then(|s| s.allocatable.as_ref());
    status
        .and_then(|a| a.get(resource))
        .and_then(|q| count(&q.0))
        .unwrap_or(0)
}

/// What keeps a Pending pod off the nodes, in the terms of its spec: nodeSelector labels and
/// required node affinity that no node satisfies, taints it does not tolerate on the nodes it
/// would otherwise go to, and extended resources (`8 nvidia.com/gpu`) no node has enough of.
/// Without nodes in the snapshot, the spec's constraints that the scheduler's message
/// (`scheduler`) points at are named instead.
pub(crate) fn unsatisfied(spec: &PodSpec, nodes: &[&Node], scheduler: &str) -> Vec<String> {
    let known = !nodes.is_empty();
    let selector_blamed = scheduler.contains("node affinity/selector")
        || scheduler.contains("node selector")
        || scheduler.contains("node(s) didn't match");
    let mut out = Vec::new();
    for (key, value) in spec.node_selector.iter().flatten() {
        let labelled = nodes.iter().any(|n| {
            n.metadata
                .labels
                .as_ref()
                .and_then(|l| l.get(key))
                .is_some_and(|v| v == value)
        });
        if known && !labelled {
            out.push(format!(
                "nodeSelector {key}={value} (no node has this label)"
            ));
        } else if !known && selector_blamed {
            out.push(format!("nodeSelector {key}={value}"));
        }
    }
    if let Some(required) = required_affinity(spec) {
        let terms_only = PodSpec {
            affinity: spec.affinity.clone(),
            ..PodSpec::default()
        };
        let fits = nodes.iter().any(|n| selector_matches(&terms_only, n));
        if known && !fits {
            out.push(format!(
                "required node affinity {} (no node matches)",
                describe_terms(required)
            ));
        } else if !known && selector_blamed {
            out.push(format!(
                "required node affinity {}",
                describe_terms(required)
            ));
        }
    }
    out.extend(untolerated(spec, nodes));
    for (resource, wanted) in extended_requests(spec) {
        let most = nodes
            .iter()
            .map(|n| allocatable(n, &resource))
            .max()
            .unwrap_or(0);
        let text = format!("{wanted} {resource} requested");
        if known && most == 0 {
            out.push(format!("{text} (no node offers {resource})"));
        } else if known && most < wanted {
            out.push(format!("{text} (no node has more than {most})"));
        } else if scheduler.contains(&resource) {
            out.push(format!("{text} (too few free where the pod may go)"));
        }
    }
    out
}

/// The blocking taints the pod does not tolerate on the nodes its selector and affinity accept,
/// with how many of them carry each, when every such node has one. When no node is accepted,
/// the selector is what does not fit; when an accepted node is free of them, taints are not
/// what keeps the pod off.
fn untolerated(spec: &PodSpec, nodes: &[&Node]) -> Vec<String> {
    let tolerations = spec.tolerations.as_deref().unwrap_or_default();
    let accepted: Vec<&Node> = nodes
        .iter()
        .copied()
        .filter(|n| selector_matches(spec, n))
        .collect();
    let mut taints: BTreeMap<String, usize> = BTreeMap::new();
    for node in &accepted {
        let mut blocked = blocking_taints(node)
            .filter(|t| !tolerations.iter().any(|tol| tolerates(tol, t)))
            .peekable();
        if blocked.peek().is_none() {
            return Vec::new();
        }
        for taint in blocked {
            *taints.entry(show_taint(taint)).or_default() += 1;
        }
    }
    let total = accepted.len();
    let on = if total == 1 { "node" } else { "nodes" };
    taints
        .into_iter()
        .map(|(taint, n)| format!("taint {taint} not tolerated (on {n} of {total} {on})"))
        .collect()
}

#[cfg(test)]
mod tests {
    use kubewhy_source::{
        Snapshot,
        files::{Input, parse},
    };

    use super::*;

    fn snapshot(text: &str) -> Snapshot {
        let loaded = parse([Input {
            name: "test.yaml".to_owned(),
            text: text.to_owned(),
        }]);
        assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
        loaded.snapshot
    }

    #[test]
    fn an_empty_node_selector_term_matches_no_node() {
        let snapshot = snapshot(
            "
apiVersion: v1
kind: Node
metadata: {name: gpu-1, labels: {pool: gpu}}
---
apiVersion: v1
kind: Pod
metadata: {name: empty-term, namespace: ml}
spec:
  affinity:
    nodeAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        nodeSelectorTerms: [{}]
  containers: [{name: c, image: x}]
---
apiVersion: v1
kind: Pod
metadata: {name: pool-term, namespace: ml}
spec:
  affinity:
    nodeAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        nodeSelectorTerms:
        - {}
        - matchExpressions: [{key: pool, operator: In, values: [gpu]}]
  containers: [{name: c, image: x}]
",
        );
        let node = snapshot.nodes.iter().next().expect("a node");
        let spec = |name: &str| {
            let pod = snapshot.pods.get(Some("ml"), name).expect("the pod");
            pod.spec.clone().expect("a spec")
        };
        assert!(selector_mismatch(&spec("empty-term"), node).is_some());
        assert!(selector_mismatch(&spec("pool-term"), node).is_none());
    }

    const NODES: &str = "
apiVersion: v1
kind: Node
metadata: {name: cpu-1, labels: {pool: cpu}}
status: {allocatable: {cpu: '8'}}
---
apiVersion: v1
kind: Node
metadata: {name: gpu-1, labels: {pool: gpu}}
spec:
  taints: [{key: nvidia.com/gpu, value: present, effect: NoSchedule}]
status: {allocatable: {cpu: '48', nvidia.com/gpu: '4'}}
---
apiVersion: v1
kind: Pod
metadata: {name: big, namespace: ml}
spec:
  nodeSelector: {pool: gpu}
  containers:
  - name: c
    image: x
    resources: {limits: {nvidia.com/gpu: 8}}
---
apiVersion: v1
kind: Pod
metadata: {name: lost, namespace: ml}
spec:
  nodeSelector: {pool: a100}
  affinity:
    nodeAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        nodeSelectorTerms:
        - matchExpressions: [{key: zone, operator: In, values: [eu-1, eu-2]}]
  containers: [{name: c, image: x}]
";

    #[test]
    fn what_does_not_fit_is_named_in_the_terms_of_the_spec() {
        let snapshot = snapshot(NODES);
        let nodes: Vec<&Node> = snapshot.nodes.iter().collect();
        let spec = |name: &str| {
            let pod = snapshot.pods.get(Some("ml"), name).expect("the pod");
            pod.spec.clone().expect("a spec")
        };
        assert_eq!(
            unsatisfied(&spec("big"), &nodes, "0/2 nodes are available"),
            [
                "taint nvidia.com/gpu=present:NoSchedule not tolerated (on 1 of 1 node)",
                "8 nvidia.com/gpu requested (no node has more than 4)",
            ]
        );
        assert_eq!(
            unsatisfied(&spec("lost"), &nodes, ""),
            [
                "nodeSelector pool=a100 (no node has this label)",
                "required node affinity zone In (eu-1, eu-2) (no node matches)",
            ]
        );
        assert_eq!(
            unsatisfied(
                &spec("lost"),
                &[],
                "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector."
            ),
            [
                "nodeSelector pool=a100",
                "required node affinity zone In (eu-1, eu-2)"
            ]
        );
    }
}
