//! Nodes: readiness and the taints that keep pods away.

use kubewhy_source::k8s::core::v1::{Node, Taint};

/// Whether the node's Ready condition is True.
pub(crate) fn node_ready(node: &Node) -> bool {
    let conditions = node.status.as_ref().and_then(|s| s.conditions.as_ref());
    conditions
        .into_iter()
        .flatten()
        .any(|c| c.type_ == "Ready" && c.status == "True")
}

/// The node's name.
pub(crate) fn node_name(node: &Node) -> &str {
    node.metadata.name.as_deref().unwrap_or_default()
}

/// Taints that keep pods that do not tolerate them off the node: `NoSchedule` and `NoExecute`.
pub(crate) fn blocking_taints(node: &Node) -> impl Iterator<Item = &Taint> {
    let taints = node.spec.as_ref().and_then(|s| s.taints.as_ref());
    taints
        .into_iter()
        .flatten()
        .filter(|t| matches!(t.effect.as_str(), "NoSchedule" | "NoExecute"))
}
