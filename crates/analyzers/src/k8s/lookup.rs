//! Lookups by namespace in which an object written without a namespace is in `default`, as it
//! is once applied: a manifest's Pod without `metadata.namespace` and the ConfigMap it names in
//! `default` are in the same namespace.

use kubewhy_source::{Object, Store};

/// The object named `name` in `namespace` (`None` for cluster-scoped kinds, or no namespace).
pub(crate) fn get_in<'a, K: Object>(
    store: &'a Store<K>,
    namespace: Option<&str>,
    name: &str,
) -> Option<&'a K> {
    let namespace = namespace.filter(|ns| !ns.is_empty());
    store.get(namespace, name).or_else(|| match namespace {
        None => store.get(Some("default"), name),
        Some("default") => store.get(None, name),
        Some(_) => None,
    })
}

/// The objects of `namespace`, with those written without one when it is `default` (or "").
pub(crate) fn in_namespace<'a, K: Object>(
    store: &'a Store<K>,
    namespace: &str,
) -> impl Iterator<Item = &'a K> + use<'a, K> {
    let namespace = if namespace.is_empty() {
        "default"
    } else {
        namespace
    };
    let bare: &[K] = if namespace == "default" {
        store.in_namespace("")
    } else {
        &[]
    };
    store.in_namespace(namespace).iter().chain(bare)
}

#[cfg(test)]
mod tests {
    use kubewhy_source::files::{Input, parse};

    use super::*;

    #[test]
    fn no_namespace_is_the_default_namespace() {
        let loaded = parse([Input {
            name: "m.yaml".into(),
            text: "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bare}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: placed, namespace: default}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: away, namespace: shop}\n".into(),
        }]);
        let maps = &loaded.snapshot.config_maps;
        assert!(get_in(maps, Some("default"), "bare").is_some());
        assert!(get_in(maps, None, "placed").is_some());
        assert!(get_in(maps, Some(""), "placed").is_some());
        assert!(get_in(maps, None, "away").is_none());
        let names: Vec<_> = in_namespace(maps, "default")
            .filter_map(|m| m.metadata.name.as_deref())
            .collect();
        assert_eq!(names, ["placed", "bare"]);
        assert_eq!(in_namespace(maps, "shop").count(), 1);
    }
}
