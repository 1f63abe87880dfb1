//! Finding any object of the snapshot by kind, namespace and name, or by uid, without a copy of
//! what the stores hold: a typed kind is found by binary search in its store, a dynamic object
//! in a sorted list of keys. Owner walks read owners and labels from the object itself.

use std::collections::HashMap;

use k8s_openapi::{Metadata, Resource, apimachinery::pkg::apis::meta::v1::ObjectMeta};
use kubewhy_model::ObjectRef;

use crate::Snapshot;

/// Kind, namespace (empty for cluster-scoped objects) and name.
pub(crate) type Key = (String, String, String);

/// The indexes built when the snapshot is sealed.
#[derive(Debug, Clone, Default)]
pub(crate) struct Graph {
    /// Every dynamic object's key and place, sorted by key (stable: the last copy read is last).
    dynamic: Vec<(Key, usize)>,
    /// Every object's key, by uid.
    uids: HashMap<String, Key>,
}

/// An object found in the snapshot.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Found<'a> {
    api_version: &'a str,
    kind: &'a str,
    pub meta: &'a ObjectMeta,
}

impl Found<'_> {
    /// The object's reference, as [`crate::object_ref`] and [`crate::dynamic_ref`] make it.
    pub fn object(&self) -> ObjectRef {
        ObjectRef {
            api_version: self.api_version.to_owned(),
            kind: self.kind.to_owned(),
            namespace: self.meta.namespace.clone(),
            name: self.meta.name.clone().unwrap_or_default(),
            uid: self.meta.uid.clone(),
        }
    }
}

fn key_of(kind: &str, meta: &ObjectMeta) -> Key {
    (
        kind.to_owned(),
        meta.namespace.clone().unwrap_or_default(),
        meta.name.clone().unwrap_or_default(),
    )
}

macro_rules! define_typed_lookups {
    ($($field:ident: $ty:ty),* $(,)?) => {
        impl Snapshot {
            fn find_typed(&self, kind: &str, namespace: &str, name: &str) -> Option<Found<'_>> {
                $(
                    if kind == <$ty as Resource>::KIND {
                        return self.$field.get(Some(namespace), name).map(|item| Found {
                            api_version: <$ty as Resource>::API_VERSION,
                            kind: <$ty as Resource>::KIND,
                            meta: item.metadata(),
                        });
                    }
                )*
                None
            }

            fn typed_uids(&self, uids: &mut HashMap<String, Key>) {
                $(
                    for item in self.$field.iter() {
                        let meta = item.metadata();
                        if let Some(uid) = &meta.uid {
                            uids.insert(uid.clone(), key_of(<$ty as Resource>::KIND, meta));
                        }
                    }
                )*
            }
        }
    };
}

crate::for_each_kind!(define_typed_lookups);

impl Graph {
    /// Indexes a snapshot whose stores are sealed and whose dynamic objects are sorted.
    pub(crate) fn build(snapshot: &Snapshot) -> Self {
        let mut uids = HashMap::new();
        snapshot.typed_uids(&mut uids);
        let mut dynamic = Vec::with_capacity(snapshot.dynamic.len());
        for (i, object) in snapshot.dynamic.iter().enumerate() {
            let kind = object.types.as_ref().map_or("", |t| t.kind.as_str());
            let key = key_of(kind, &object.metadata);
            // Read after the typed kinds, a dynamic object wins a clash, as it always has.
            if let Some(uid) = &object.metadata.uid {
                uids.insert(uid.clone(), key.clone());
            }
            dynamic.push((key, i));
        }
        dynamic.sort_by(|a, b| a.0.cmp(&b.0));
        Self { dynamic, uids }
    }
}

impl Snapshot {
    /// The object of `kind` named `name` in `namespace` (empty for cluster-scoped objects).
    /// A dynamic object wins over a typed one with the same key.
    pub(crate) fn find(&self, kind: &str, namespace: &str, name: &str) -> Option<Found<'_>> {
        let keys = &self.graph.dynamic;
        let wanted = (kind, namespace, name);
        let end =
            keys.partition_point(|(k, _)| (k.0.as_str(), k.1.as_str(), k.2.as_str()) <= wanted);
        let dynamic = end
            .checked_sub(1)
            .map(|last| &keys[last])
            .filter(|(k, _)| (k.0.as_str(), k.1.as_str(), k.2.as_str()) == wanted)
            .map(|&(_, i)| {
                let object = &self.dynamic[i];
                let types = object.types.as_ref();
                Found {
                    api_version: types.map_or("", |t| t.api_version.as_str()),
                    kind: types.map_or("", |t| t.kind.as_str()),
                    meta: &object.metadata,
                }
            });
        dynamic.or_else(|| self.find_typed(kind, namespace, name))
    }

    /// The object whose uid is `uid`.
    pub(crate) fn find_uid(&self, uid: &str) -> Option<Found<'_>> {
        let (kind, namespace, name) = self.graph.uids.get(uid)?;
        self.find(kind, namespace, name)
    }
}
