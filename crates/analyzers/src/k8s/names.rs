//! How messages name objects and containers. The report shows an issue's namespace, so
//! messages name objects by kind and name; an object written without a namespace is in
//! `default` (or the namespace kubectl is told to use), never in an empty one.

use std::collections::BTreeMap;

use kubewhy_model::ObjectRef;

/// `Deployment web`.
pub(crate) fn describe(object: &ObjectRef) -> String {
    format!("{} {}", object.kind, object.name)
}

/// `"app" of Deployment web`: a container of a workload, after the word "container".
pub(crate) fn container_of(container: &str, object: &ObjectRef) -> String {
    format!("\"{container}\" of {} {}", object.kind, object.name)
}

/// `Container app` or `Init container wait-for-db`.
pub(crate) fn container_label(name: &str, init: bool) -> String {
    let kind = if init { "Init container" } else { "Container" };
    format!("{kind} {name}")
}

/// The object's namespace for matching and messages: `default` when it names none. Objects of
/// a manifest without `metadata.namespace` land in the namespace given with `-n`, which the
/// source has already filled in, else in `default`.
pub(crate) fn namespace_of(object: &ObjectRef) -> &str {
    object
        .namespace
        .as_deref()
        .filter(|ns| !ns.is_empty())
        .unwrap_or("default")
}

/// `a`, `a and b`, `a, b and c`.
pub(crate) fn and_list<S: AsRef<str>>(items: &[S]) -> String {
    match items {
        [] => String::new(),
        [one] => one.as_ref().to_owned(),
        [rest @ .., last] => {
            let rest: Vec<&str> = rest.iter().map(AsRef::as_ref).collect();
            format!("{} and {}", rest.join(", "), last.as_ref())
        }
    }
}

/// `k=v,k2=v2`.
pub(crate) fn show_labels(labels: &BTreeMap<String, String>) -> String {
    labels
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_read_as_prose_and_empty_namespaces_are_default() {
        assert_eq!(and_list::<&str>(&[]), "");
        assert_eq!(and_list(&["a"]), "a");
        assert_eq!(and_list(&["a", "b", "c"]), "a, b and c");
        let bare = ObjectRef::new("v1", "Pod", None, "web");
        assert_eq!(namespace_of(&bare), "default");
        let empty = ObjectRef::new("v1", "Pod", Some(""), "web");
        assert_eq!(namespace_of(&empty), "default");
    }
}
