//! What a pod's tolerations and node selection accept, as the scheduler judges them: a taint
//! tolerated, a node's labels matching the nodeSelector and required node affinity.

use std::collections::BTreeMap;

use kubewhy_source::k8s::core::v1::{Node, NodeSelectorRequirement, PodSpec, Taint, Toleration};

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
pub(super) fn selector_mismatch(spec: &PodSpec, node: &Node) -> Option<String> {
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
}
