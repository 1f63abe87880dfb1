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

impl<K: Object> Store<K> {
    pub(crate) fn push(&mut self, item: K) {
        self.items.push(item);
    }

    /// Sorts, drops duplicates (the last one read wins, as with `kubectl apply`) and builds the
    /// indexes. Returns the names of the duplicates dropped.
    pub(crate) fn seal(&mut self) -> Vec<String> {
        // A stable sort keeps input order among equal keys, so "last wins" is well defined.
        self.items
            .sort_by(|a, b| key(a.metadata()).cmp(&key(b.metadata())));
        let mut duplicates = Vec::new();
        let mut kept: Vec<K> = Vec::with_capacity(self.items.len());
        for item in self.items.drain(..) {
            if let Some(last) = kept.last_mut()
                && key(last.metadata()) == key(item.metadata())
            {
                duplicates.push(object_ref(&item).to_string());
                *last = item;
                continue;
            }
            kept.push(item);
        }
        self.items = kept;
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
