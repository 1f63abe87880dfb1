//! The snapshot: every object a run looks at, typed where kubewhy knows the kind, indexed for
//! the cross-object questions analyzers ask (owners, selectors, events of an object).

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    sync::Arc,
};

use jiff::Timestamp;
use k8s_openapi::{
    Metadata, Resource, api::core::v1::Event, apimachinery::pkg::apis::meta::v1::OwnerReference,
};
use kube::api::DynamicObject;
use kubewhy_model::{ClusterVersion, LogTarget, ObjectRef, Origin};
use serde_json::Value;

use crate::{
    graph::{Found, Graph, Key},
    listing::Listings,
    store::Store,
};

/// Deserializing a known kind failed at `path`.
pub(crate) type TypedError = serde_path_to_error::Error<serde_json::Error>;

/// A mapping in a manifest whose keys are not in alphabetical order, as written.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UnsortedKeys {
    /// Where the mapping is: `root`, `spec.template`, `spec.containers[0]`.
    pub path: String,
    /// The keys in alphabetical order.
    pub expected: Vec<String>,
    /// The keys as written.
    pub got: Vec<String>,
}

/// Labels of an object that has none.
static NO_LABELS: BTreeMap<String, String> = BTreeMap::new();

fn ref_key(object: &ObjectRef) -> Key {
    (
        object.kind.clone(),
        object.namespace.clone().unwrap_or_default(),
        object.name.clone(),
    )
}

macro_rules! define_snapshot {
    ($($field:ident: $ty:ty),* $(,)?) => {
        /// Every object of one run, read-only once built. Typed stores hold the kinds in
        /// [`for_each_kind!`](crate::for_each_kind); anything else is a dynamic object.
        #[derive(Debug, Clone, Default)]
        pub struct Snapshot {
            $(
                #[doc = concat!("Every `", stringify!($field), "` object.")]
                pub $field: Store<$ty>,
            )*
            /// Objects of kinds not in the table (CRDs, Gateway API, old API versions).
            pub dynamic: Vec<DynamicObject>,
            pub(crate) logs: BTreeMap<LogTarget, String>,
            pub(crate) observed_at: Option<Timestamp>,
            /// Whether `observed_at` is the input's newest timestamp rather than a clock reading.
            pub(crate) observed_inferred: bool,
            /// The object an inferred clock was read from.
            pub(crate) clock_source: Option<ObjectRef>,
            /// The cluster's release, when the source says (`/version`, a bundle's record).
            pub(crate) cluster_version: Option<ClusterVersion>,
            /// Objects read in a removed API version and converted: their reference (in the
            /// current version) and the version as written.
            pub(crate) written: BTreeMap<Key, (ObjectRef, String)>,
            /// Whether the input held objects with a status as the API server writes it, in
            /// lists or with server-set metadata: cluster state rather than manifests.
            pub(crate) cluster_state: bool,
            /// Manifests' unsorted mappings, by object; only file sources know key order.
            /// Objects written alike (100,000 events in one list) share one record.
            pub(crate) unsorted_keys: HashMap<Key, Arc<[UnsortedKeys]>>,
            unsorted_seen: HashSet<Arc<[UnsortedKeys]>>,
            /// Which kinds were read, and how.
            pub(crate) listings: Listings,
            /// Where file inputs' objects were read from.
            pub(crate) origins: HashMap<Key, Origin>,
            pub(crate) graph: Graph,
            events_by_object: HashMap<Key, Vec<usize>>,
        }

        impl Snapshot {
            /// Whether objects of a typed kind live in a namespace; `None` for kinds outside
            /// the table, whose scope only their definition knows.
            pub(crate) fn namespaced(api_version: &str, kind: &str) -> Option<bool> {
                $(
                    if api_version == <$ty as Resource>::API_VERSION
                        && kind == <$ty as Resource>::KIND
                    {
                        return Some(
                            std::any::TypeId::of::<<$ty as Resource>::Scope>()
                                == std::any::TypeId::of::<k8s_openapi::NamespaceResourceScope>(),
                        );
                    }
                )*
                None
            }

            /// Decodes `value` into its typed store when its kind is in the table; hands it back
            /// when it is not.
            pub(crate) fn insert_typed(
                &mut self,
                api_version: &str,
                kind: &str,
                value: Value,
            ) -> Result<Option<Value>, TypedError> {
                $(
                    if api_version == <$ty as Resource>::API_VERSION
                        && kind == <$ty as Resource>::KIND
                    {
                        self.$field.push(serde_path_to_error::deserialize(value)?);
                        return Ok(None);
                    }
                )*
                Ok(Some(value))
            }

            fn seal_stores(&mut self) -> Vec<String> {
                let mut duplicates = Vec::new();
                $( duplicates.extend(self.$field.seal()); )*
                duplicates
            }

            /// Offers every typed object's creation time to the clock.
            pub(crate) fn offer_creation_times(&self, newest: &mut crate::clock::Newest) {
                $(
                    for item in self.$field.iter() {
                        newest.offer(item, item.metadata().creation_timestamp.as_ref().map(|t| t.0));
                    }
                )*
            }

            /// How many objects of `kind` the snapshot holds (typed kinds; dynamic kinds by
            /// their `kind`).
            #[must_use]
            pub fn count_of(&self, kind: &str) -> usize {
                $(
                    if kind == <$ty as Resource>::KIND {
                        return self.$field.len();
                    }
                )*
                self.dynamic
                    .iter()
                    .filter(|d| d.types.as_ref().is_some_and(|t| t.kind == kind))
                    .count()
            }

            /// The namespace and name of every object of a typed `kind`.
            #[must_use]
            pub fn names_of(&self, kind: &str) -> Vec<(Option<String>, String)> {
                $(
                    if kind == <$ty as Resource>::KIND {
                        return self.$field.iter().map(|o| {
                            let meta = o.metadata();
                            (meta.namespace.clone(), meta.name.clone().unwrap_or_default())
                        }).collect();
                    }
                )*
                Vec::new()
            }

            /// How many objects the snapshot holds, events included.
            #[must_use]
            pub fn objects_scanned(&self) -> usize {
                0 $( + self.$field.len() )* + self.dynamic.len()
            }
        }
    };
}

crate::for_each_kind!(define_snapshot);

/// When an event last happened: `lastTimestamp`, else the series' or the event's own time.
#[must_use]
pub fn event_last_seen(event: &Event) -> Option<Timestamp> {
    event
        .last_timestamp
        .as_ref()
        .map(|t| t.0)
        .or_else(|| {
            event
                .series
                .as_ref()
                .and_then(|s| s.last_observed_time.as_ref())
                .map(|t| t.0)
        })
        .or_else(|| event.event_time.as_ref().map(|t| t.0))
        .or_else(|| event.first_timestamp.as_ref().map(|t| t.0))
}

impl Snapshot {
    /// Sorts the stores and builds the cross-object indexes. Returns the objects that appeared
    /// twice (the later copy is kept).
    pub(crate) fn seal(&mut self) -> Vec<String> {
        let duplicates = self.seal_stores();
        self.dynamic.sort_by_cached_key(dynamic_ref);
        self.graph = Graph::build(self);
        self.unsorted_seen = HashSet::new();
        self.index_events();
        if self.observed_at.is_none()
            && let Some((newest, source)) = crate::clock::newest(self)
        {
            self.observed_at = Some(newest);
            self.observed_inferred = true;
            self.clock_source = Some(source);
        }
        duplicates
    }

    fn index_events(&mut self) {
        let mut by_object: HashMap<Key, Vec<usize>> = HashMap::new();
        for (i, event) in self.events.iter().enumerate() {
            let involved = &event.involved_object;
            let key = (
                involved.kind.clone().unwrap_or_default(),
                involved.namespace.clone().unwrap_or_default(),
                involved.name.clone().unwrap_or_default(),
            );
            by_object.entry(key).or_default().push(i);
        }
        let events = self.events.as_slice();
        for list in by_object.values_mut() {
            // Most recent first; ties broken by name so the order is deterministic.
            list.sort_by(|&a, &b| {
                event_last_seen(&events[b])
                    .cmp(&event_last_seen(&events[a]))
                    .then_with(|| events[a].metadata.name.cmp(&events[b].metadata.name))
            });
        }
        self.events_by_object = by_object;
    }

    /// When the snapshot was taken; for files, the newest timestamp they contain (see
    /// [`Self::observed_inferred`]).
    #[must_use]
    pub fn observed_at(&self) -> Option<Timestamp> {
        self.observed_at
    }

    /// Sets the clock: a real one, not inferred.
    pub(crate) fn set_clock(&mut self, now: Timestamp) {
        self.observed_at = Some(now);
        self.observed_inferred = false;
        self.clock_source = None;
    }

    /// The cluster's release, when the source said: the API server's `/version`, a file of the
    /// input that records it, or `--kubernetes-version`.
    #[must_use]
    pub fn cluster_version(&self) -> Option<&ClusterVersion> {
        self.cluster_version.as_ref()
    }

    /// The release to judge against: [`Self::cluster_version`], else the newest release kubewhy
    /// knows.
    #[must_use]
    pub fn kubernetes_version(&self) -> ClusterVersion {
        self.cluster_version
            .clone()
            .unwrap_or_else(ClusterVersion::latest)
    }

    /// Records the cluster's release unless the source already knows it.
    pub fn default_cluster_version(&mut self, version: ClusterVersion) {
        self.cluster_version.get_or_insert(version);
    }

    /// The API version `object` was written in, when that is a removed one that was converted
    /// to its current equivalent on reading (`extensions/v1beta1` for a Deployment now held as
    /// `apps/v1`).
    #[must_use]
    pub fn written_api_version(&self, object: &ObjectRef) -> Option<&str> {
        self.written
            .get(&ref_key(object))
            .map(|(_, version)| version.as_str())
    }

    /// Every converted object, in kind, namespace and name order: its reference (in the current
    /// API version) and the version it was written in.
    pub fn written_api_versions(&self) -> impl Iterator<Item = (&ObjectRef, &str)> {
        self.written
            .values()
            .map(|(object, version)| (object, version.as_str()))
    }

    pub(crate) fn record_written(&mut self, object: &ObjectRef, written: Option<&str>) {
        match written {
            Some(version) => {
                self.written
                    .insert(ref_key(object), (object.clone(), version.to_owned()));
            }
            // A later copy in the current version replaces the converted one.
            None => {
                if !self.written.is_empty() {
                    self.written.remove(&ref_key(object));
                }
            }
        }
    }

    /// Whether the snapshot saw every object of `kind` in `namespace` (`None` for cluster-scoped
    /// kinds): a complete, unselected listing that did not fail. Only then may a check claim that
    /// an object of that kind does not exist. File inputs are what the user gave: a kind counts
    /// as seen when the input holds at least one object of it.
    #[must_use]
    pub fn listed(&self, kind: &str, namespace: Option<&str>) -> bool {
        if self.listings.is_files() {
            self.count_of(kind) > 0
        } else {
            self.listings.covers(kind, namespace)
        }
    }

    /// How each kind was read.
    #[must_use]
    pub fn listings(&self) -> &Listings {
        &self.listings
    }

    /// Where `object` was read from, for file inputs.
    #[must_use]
    pub fn origin(&self, object: &ObjectRef) -> Option<&Origin> {
        self.origins.get(&ref_key(object))
    }

    pub(crate) fn record_origin(&mut self, object: &ObjectRef, origin: Origin) {
        self.origins.insert(ref_key(object), origin);
    }

    /// The labels of `object`, when the snapshot holds it.
    #[must_use]
    pub fn labels_of(&self, object: &ObjectRef) -> Option<&BTreeMap<String, String>> {
        self.lookup(object)
            .map(|found| found.meta.labels.as_ref().unwrap_or(&NO_LABELS))
    }

    /// The events whose involved object is `object`, most recent first. Matched by kind,
    /// namespace and name, never by name alone.
    pub fn events_for<'a>(&'a self, object: &ObjectRef) -> impl Iterator<Item = &'a Event> + 'a {
        let events = self.events.as_slice();
        self.events_by_object
            .get(&ref_key(object))
            .into_iter()
            .flatten()
            .map(move |&i| &events[i])
    }

    /// The log the snapshot carries for a container, if any.
    #[must_use]
    pub fn log(&self, target: &LogTarget) -> Option<&str> {
        self.logs.get(target).map(String::as_str)
    }

    /// The mappings of `object`'s manifest whose keys are not sorted (file sources only).
    #[must_use]
    pub fn unsorted_keys(&self, object: &ObjectRef) -> &[UnsortedKeys] {
        self.unsorted_keys
            .get(&ref_key(object))
            .map_or(&[], |found| found)
    }

    pub(crate) fn record_unsorted_keys(&mut self, object: &ObjectRef, value: &Value) {
        let mut found = Vec::new();
        collect_unsorted(value, "root", &mut found);
        if found.is_empty() {
            return;
        }
        let found: Arc<[UnsortedKeys]> = found.into();
        let shared = if let Some(seen) = self.unsorted_seen.get(&found) {
            Arc::clone(seen)
        } else {
            self.unsorted_seen.insert(Arc::clone(&found));
            found
        };
        self.unsorted_keys.insert(ref_key(object), shared);
    }

    /// Every log the snapshot carries.
    pub fn logs(&self) -> impl Iterator<Item = (&LogTarget, &str)> {
        self.logs
            .iter()
            .map(|(target, text)| (target, text.as_str()))
    }

    /// The top owner of `object`, following controller ownerReferences through the snapshot.
    /// When an owner is not in the snapshot, its reference is used as the root; a missing
    /// ReplicaSet of a Deployment's pod is recognized by the `pod-template-hash` label.
    #[must_use]
    pub fn root_of(&self, object: &ObjectRef) -> ObjectRef {
        self.owner_chain(object)
            .pop()
            .unwrap_or_else(|| object.clone())
    }

    /// The owners of `object`, nearest first, up to the top owner (see [`Self::root_of`]).
    #[must_use]
    pub fn owner_chain(&self, object: &ObjectRef) -> Vec<ObjectRef> {
        let mut chain = Vec::new();
        let mut current = object.clone();
        // A bound, in case a broken input makes owners point at each other.
        for _ in 0..8 {
            let Some(found) = self.lookup(&current) else {
                break;
            };
            let owners = found.meta.owner_references.as_deref().unwrap_or_default();
            let labels = found.meta.labels.as_ref().unwrap_or(&NO_LABELS);
            let Some(owner) = controller(owners) else {
                break;
            };
            // A static pod's mirror names its Node as owner, but the Node does not manage it:
            // the kubelet runs it from a file, so the Pod is its own root (on its node).
            if owner.kind == "Node" {
                break;
            }
            let namespace = current.namespace.clone();
            let owner_ref = self
                .find_uid(&owner.uid)
                .or_else(|| {
                    let namespace = namespace.as_deref().unwrap_or_default();
                    self.find(&owner.kind, namespace, &owner.name)
                })
                .map(|found| found.object());
            let Some(found) = owner_ref else {
                chain.push(missing_owner_root(owner, namespace, labels));
                break;
            };
            chain.push(found.clone());
            current = found;
        }
        chain
    }

    /// Whether the snapshot shows a running cluster (pods with status, events, or objects of any
    /// kind with a status as the API server writes it), as dumps and `kubectl get` output do,
    /// rather than manifests that were never applied.
    #[must_use]
    pub fn observed(&self) -> bool {
        self.cluster_state
            || !self.events.is_empty()
            || self
                .pods
                .iter()
                .any(|pod| pod.status.as_ref().is_some_and(|s| s.phase.is_some()))
    }

    /// Whether the snapshot holds an object with this uid.
    #[must_use]
    pub fn contains_uid(&self, uid: &str) -> bool {
        self.find_uid(uid).is_some()
    }

    /// Whether the snapshot holds `object` (matched by kind, namespace and name).
    #[must_use]
    pub fn contains(&self, object: &ObjectRef) -> bool {
        self.lookup(object).is_some()
    }

    fn lookup(&self, object: &ObjectRef) -> Option<Found<'_>> {
        let namespace = object.namespace.as_deref().unwrap_or_default();
        self.find(&object.kind, namespace, &object.name)
    }
}

fn collect_unsorted(value: &Value, path: &str, found: &mut Vec<UnsortedKeys>) {
    let child = |key: &str| {
        if path == "root" {
            key.to_owned()
        } else {
            format!("{path}.{key}")
        }
    };
    match value {
        Value::Object(map) => {
            let got: Vec<String> = map.keys().cloned().collect();
            let mut expected = got.clone();
            expected.sort();
            if expected != got {
                found.push(UnsortedKeys {
                    path: path.to_owned(),
                    expected,
                    got,
                });
            }
            for (key, nested) in map {
                collect_unsorted(nested, &child(key), found);
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                collect_unsorted(item, &format!("{path}[{i}]"), found);
            }
        }
        _ => {}
    }
}

fn controller(owners: &[OwnerReference]) -> Option<&OwnerReference> {
    owners
        .iter()
        .find(|o| o.controller == Some(true))
        .or_else(|| owners.first())
}

fn missing_owner_root(
    owner: &OwnerReference,
    namespace: Option<String>,
    labels: &BTreeMap<String, String>,
) -> ObjectRef {
    let hash_suffix = labels.get("pod-template-hash").map(|h| format!("-{h}"));
    let deployment = hash_suffix
        .filter(|_| owner.kind == "ReplicaSet")
        .and_then(|suffix| owner.name.strip_suffix(&suffix).map(str::to_owned));
    match deployment {
        Some(name) => ObjectRef {
            api_version: "apps/v1".into(),
            kind: "Deployment".into(),
            namespace,
            name,
            uid: None,
        },
        None => ObjectRef {
            api_version: owner.api_version.clone(),
            kind: owner.kind.clone(),
            namespace,
            name: owner.name.clone(),
            uid: Some(owner.uid.clone()),
        },
    }
}

/// The reference to a dynamic object.
#[must_use]
pub fn dynamic_ref(object: &DynamicObject) -> ObjectRef {
    let types = object.types.clone().unwrap_or_default();
    ObjectRef {
        api_version: types.api_version,
        kind: types.kind,
        namespace: object.metadata.namespace.clone(),
        name: object.metadata.name.clone().unwrap_or_default(),
        uid: object.metadata.uid.clone(),
    }
}
