//! A store of one kind of object, sorted by namespace and name, with indexes by owner and label.

use std::collections::HashMap;

use k8s_openapi::{Metadata, Resource, apimachinery::pkg::apis::meta::v1::ObjectMeta};
use kubewhy_model::ObjectRef;

/// The bound every stored kind satisfies.
pub trait Object: Resource + Metadata<Ty = ObjectMeta> {}
impl<K: Resource + Metadata<Ty = ObjectMeta>> Object for K {}

/// All objects of one kind. Lookups by name are binary searches; a namespace is a contiguous
/// slice; owners and labels have hash indexes built once when the snapshot is sealed.
#[derive(Debug, Clone)]
pub struct Store<K> {
    items: Vec<K>,
    by_owner: HashMap<String, Vec<usize>>,
    by_label: HashMap<(String, String), Vec<usize>>,
}

impl<K> Default for Store<K> {
    fn default() -> Self {
        Self {
            items: Vec::new(),
            by_owner: HashMap::new(),
            by_label: HashMap::new(),
        }
    }
}

fn key(meta: &ObjectMeta) -> (&str, &str) {
    (
        meta.namespace.as_deref().unwrap_or(""),
        meta.name.as_deref().unwrap_or(""),
    )
}

impl<K: Object + crate::Compact> Store<K> {
    /// Adds an object, compacted: what no check reads is dropped before it is held.
    pub(crate) fn push(&mut self, mut item: K) {
        item.compact();
        self.items.push(item);
    }

    /// Adds a whole list, compacted, moved in without a second copy when the store is empty.
    pub(crate) fn extend(&mut self, mut items: Vec<K>) {
        items.iter_mut().for_each(crate::Compact::compact);
        if self.items.is_empty() {
            self.items = items;
        } else {
            self.items.append(&mut items);
        }
    }
}

impl<K: Object> Store<K> {
    /// Sorts, drops duplicates (the last one read wins, as with `kubectl apply`) and builds the
    /// indexes. Returns the names of the duplicates dropped.
    pub(crate) fn seal(&mut self) -> Vec<String> {
        // A stable sort keeps input order among equal keys, so "last wins" is well defined.
        self.items
            .sort_by(|a, b| key(a.metadata()).cmp(&key(b.metadata())));
        // In place: a second copy of a large kind is what a cluster's peak memory is made of.
        let mut duplicates = Vec::new();
        self.items.dedup_by(|later, kept| {
            if key(later.metadata()) != key(kept.metadata()) {
                return false;
            }
            duplicates.push(object_ref(later).to_string());
            std::mem::swap(later, kept);
            true
        });
        self.items.shrink_to_fit();
        self.by_owner.clear();
        self.by_label.clear();
        for (i, item) in self.items.iter().enumerate() {
            let meta = item.metadata();
            for owner in meta.owner_references.iter().flatten() {
                self.by_owner.entry(owner.uid.clone()).or_default().push(i);
            }
            for (k, v) in meta.labels.iter().flatten() {
                self.by_label
                    .entry((k.clone(), v.clone()))
                    .or_default()
                    .push(i);
            }
        }
        duplicates
    }

    /// Every object, sorted by namespace and name.
    pub fn iter(&self) -> std::slice::Iter<'_, K> {
        self.items.iter()
    }

    /// Every object, as a slice.
    #[must_use]
    pub fn as_slice(&self) -> &[K] {
        &self.items
    }

    /// How many objects.
    #[must_use]
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True when there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The object named `name` in `namespace` (`None` for cluster-scoped kinds).
    #[must_use]
    pub fn get(&self, namespace: Option<&str>, name: &str) -> Option<&K> {
        let wanted = (namespace.unwrap_or(""), name);
        self.items
            .binary_search_by(|item| key(item.metadata()).cmp(&wanted))
            .ok()
            .map(|i| &self.items[i])
    }

    /// The objects in `namespace`.
    #[must_use]
    pub fn in_namespace(&self, namespace: &str) -> &[K] {
        let start = self
            .items
            .partition_point(|item| key(item.metadata()).0 < namespace);
        let end = self
            .items
            .partition_point(|item| key(item.metadata()).0 <= namespace);
        &self.items[start..end]
    }

    /// The objects with an ownerReference to `uid`.
    pub fn owned_by<'a>(&'a self, uid: &str) -> impl Iterator<Item = &'a K> + 'a {
        self.by_owner
            .get(uid)
            .into_iter()
            .flatten()
            .map(|&i| &self.items[i])
    }

    /// The objects in `namespace` whose labels contain every pair of `match_labels`. An empty
    /// selector matches everything, as in Kubernetes.
    #[must_use]
    pub fn matching_labels<'a: 'b, 'b>(
        &'a self,
        namespace: &'b str,
        match_labels: &'b [(String, String)],
    ) -> Box<dyn Iterator<Item = &'a K> + 'b> {
        // Start from the rarest pair's posting list, then check the rest.
        let rarest = match_labels
            .iter()
            .map(|pair| self.by_label.get(pair).map_or(&[][..], Vec::as_slice))
            .min_by_key(|list| list.len());
        let in_namespace = move |item: &&K| key(item.metadata()).0 == namespace;
        let has_all = move |item: &&K| {
            let labels = item.metadata().labels.as_ref();
            match_labels
                .iter()
                .all(|(k, v)| labels.and_then(|l| l.get(k)) == Some(v))
        };
        match rarest {
            Some(list) => Box::new(
                list.iter()
                    .map(|&i| &self.items[i])
                    .filter(in_namespace)
                    .filter(has_all),
            ),
            None => Box::new(self.in_namespace(namespace).iter()),
        }
    }
}

impl<'a, K> IntoIterator for &'a Store<K> {
    type Item = &'a K;
    type IntoIter = std::slice::Iter<'a, K>;

    fn into_iter(self) -> Self::IntoIter {
        self.items.iter()
    }
}

/// The reference to a stored object.
pub fn object_ref<K: Object>(item: &K) -> ObjectRef {
    let meta = item.metadata();
    ObjectRef {
        api_version: K::API_VERSION.to_owned(),
        kind: K::KIND.to_owned(),
        namespace: meta.namespace.clone(),
        name: meta.name.clone().unwrap_or_default(),
        uid: meta.uid.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::k8s::core::v1::Pod;

    fn pod(name: &str, image: &str) -> Pod {
        serde_json::from_value(serde_json::json!({
            "metadata": {"name": name, "namespace": "shop"},
            "spec": {"containers": [{"name": "app", "image": image}]}
        }))
        .unwrap()
    }

    fn image(pod: &Pod) -> &str {
        pod.spec.as_ref().unwrap().containers[0]
            .image
            .as_deref()
            .unwrap()
    }

    #[test]
    fn of_an_object_read_twice_the_last_copy_is_kept() {
        let mut store = Store::default();
        for (name, image) in [
            ("web", "web:1"),
            ("api", "api:1"),
            ("web", "web:2"),
            ("web", "web:3"),
        ] {
            store.push(pod(name, image));
        }
        let duplicates = store.seal();
        assert_eq!(duplicates.len(), 2, "{duplicates:?}");
        let names: Vec<_> = store
            .iter()
            .map(|p| p.metadata.name.as_deref().unwrap())
            .collect();
        assert_eq!(names, ["api", "web"]);
        assert_eq!(image(store.get(Some("shop"), "web").unwrap()), "web:3");
        assert_eq!(image(store.get(Some("shop"), "api").unwrap()), "api:1");
    }
}
