//! Metadata conventions: default-class annotations, and the untyped objects (Gateway API,
//! OpenShift, custom resources) the snapshot holds as dynamic objects.

use kubewhy_source::{DynamicObject, Snapshot, meta::ObjectMeta};
use serde_json::Value;

/// Whether one of the `keys` annotations marks the class (an IngressClass, a StorageClass) as
/// the cluster default.
pub(crate) fn is_default_class(meta: &ObjectMeta, keys: &[&str]) -> bool {
    let annotations = meta.annotations.as_ref();
    keys.iter()
        .any(|key| annotations.and_then(|a| a.get(*key)).map(String::as_str) == Some("true"))
}

/// The condition of type `type_` in a dynamic object's `status.conditions` (Gateway API style).
pub(crate) fn dynamic_condition<'a>(status: &'a Value, type_: &str) -> Option<&'a Value> {
    status
        .get("conditions")?
        .as_array()?
        .iter()
        .find(|c| c.get("type").and_then(Value::as_str) == Some(type_))
}

/// Dynamic objects of one kind, in snapshot order.
pub(crate) fn dynamic_of_kind<'a>(
    snapshot: &'a Snapshot,
    kind: &'a str,
) -> impl Iterator<Item = &'a DynamicObject> + 'a {
    snapshot
        .dynamic
        .iter()
        .filter(move |d| d.types.as_ref().is_some_and(|t| t.kind == kind))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gateway_conditions_are_found_by_type() {
        let status = serde_json::json!({"conditions": [
            {"type": "Accepted", "status": "True"},
            {"type": "Programmed", "status": "False", "reason": "AddressNotAssigned"}
        ]});
        let programmed = dynamic_condition(&status, "Programmed").unwrap();
        assert_eq!(programmed["reason"], "AddressNotAssigned");
        assert!(dynamic_condition(&status, "ResolvedRefs").is_none());
    }
}
