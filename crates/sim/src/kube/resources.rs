//! The simulator's view of a cluster: each kind as an API resource (group, version, plural,
//! scope) holding its objects serialized once, at load, with indexes by namespace, name and
//! label, so that a list page is a concatenation of stored bytes and a selector a lookup.

use std::{
    collections::{BTreeMap, HashMap},
    ops::Range,
};

use kubewhy_model::LogTarget;
use kubewhy_source::{Snapshot, dynamic_ref, live::Namespaced};
use serde_json::{Value, json};

/// One object: where it lives, its labels, and its JSON as served.
pub(super) struct Item {
    pub namespace: String,
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub bytes: Box<[u8]>,
}

impl Item {
    fn new(value: &Value) -> Option<Self> {
        let meta = value.get("metadata")?;
        let text = |key: &str| meta[key].as_str().unwrap_or_default().to_owned();
        let labels = meta["labels"]
            .as_object()
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                    .collect()
            })
            .unwrap_or_default();
        Some(Self {
            namespace: text("namespace"),
            name: text("name"),
            labels,
            bytes: serde_json::to_vec(value).ok()?.into_boxed_slice(),
        })
    }

    /// The object as JSON, for the rare requests that need more than its bytes (tables,
    /// metadata-only lists, field selectors on other fields, watch diffs).
    pub fn value(&self) -> Value {
        serde_json::from_slice(&self.bytes).unwrap_or(Value::Null)
    }
}

/// One API resource and its objects, sorted by namespace and name.
pub(super) struct Resource {
    pub group: String,
    pub version: String,
    pub kind: String,
    pub plural: String,
    pub namespaced: bool,
    pub items: Vec<Item>,
    namespaces: HashMap<String, Range<usize>>,
    names: HashMap<(String, String), usize>,
    /// Item positions, ascending, by label `key=value`.
    labels: HashMap<(String, String), Vec<usize>>,
}

impl Resource {
    fn new(group: &str, version: &str, kind: &str, plural: &str, namespaced: bool) -> Self {
        Self {
            group: group.to_owned(),
            version: version.to_owned(),
            kind: kind.to_owned(),
            plural: plural.to_owned(),
            namespaced,
            items: Vec::new(),
            namespaces: HashMap::new(),
            names: HashMap::new(),
            labels: HashMap::new(),
        }
    }

    pub fn group_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// Sorts the items and builds the indexes.
    fn seal(&mut self) {
        self.items
            .sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
        self.items
            .dedup_by(|b, a| a.namespace == b.namespace && a.name == b.name);
        for (i, item) in self.items.iter().enumerate() {
            self.namespaces
                .entry(item.namespace.clone())
                .and_modify(|r| r.end = i + 1)
                .or_insert(i..i + 1);
            self.names
                .insert((item.namespace.clone(), item.name.clone()), i);
            for (k, v) in &item.labels {
                self.labels
                    .entry((k.clone(), v.clone()))
                    .or_default()
                    .push(i);
            }
        }
    }

    /// The positions of the items in `namespace` (all without one).
    pub fn in_namespace(&self, namespace: Option<&str>) -> Range<usize> {
        match namespace {
            None => 0..self.items.len(),
            Some(ns) => self.namespaces.get(ns).cloned().unwrap_or(0..0),
        }
    }

    /// The positions of the items labelled `key=value`, ascending.
    pub fn labelled(&self, key: &str, value: &str) -> &[usize] {
        self.labels
            .get(&(key.to_owned(), value.to_owned()))
            .map_or(&[], Vec::as_slice)
    }

    /// The item named `name` in `namespace`.
    pub fn find(&self, namespace: Option<&str>, name: &str) -> Option<&Item> {
        let key = (namespace.unwrap_or_default().to_owned(), name.to_owned());
        self.names.get(&key).map(|&i| &self.items[i])
    }
}

/// Every resource the simulator serves, and the pod logs.
pub(super) struct Resources {
    pub list: Vec<Resource>,
    index: HashMap<(String, String, String), usize>,
    pub logs: BTreeMap<LogTarget, String>,
}

macro_rules! typed_resources {
    ($($field:ident: $ty:ty),* $(,)?) => {
        /// A resource for every typed kind, empty.
        fn typed() -> Vec<Resource> {
            vec![$(
                Resource::new(
                    <$ty as k8s_openapi::Resource>::GROUP,
                    <$ty as k8s_openapi::Resource>::VERSION,
                    <$ty as k8s_openapi::Resource>::KIND,
                    <$ty as k8s_openapi::Resource>::URL_PATH_SEGMENT,
                    <$ty as Namespaced>::NAMESPACED,
                ),
            )*]
        }

        /// The snapshot's typed objects as JSON, with their `apiVersion` and `kind`.
        fn typed_values(snapshot: &Snapshot) -> Vec<Value> {
            let mut values = Vec::new();
            $(
                values.extend(snapshot.$field.iter().filter_map(|item| {
                    let mut value = serde_json::to_value(item).ok()?;
                    value["apiVersion"] = <$ty as k8s_openapi::Resource>::API_VERSION.into();
                    value["kind"] = <$ty as k8s_openapi::Resource>::KIND.into();
                    Some(value)
                }));
            )*
            values
        }
    };
}

kubewhy_source::for_each_kind!(typed_resources);

/// The plural Kubernetes would use for a kind it has no schema for.
fn guess_plural(kind: &str) -> String {
    let lower = kind.to_ascii_lowercase();
    if lower.ends_with('s') || lower.ends_with('x') {
        format!("{lower}es")
    } else if let Some(stem) = lower
        .strip_suffix('y')
        .filter(|s| !s.ends_with(['a', 'e', 'o', 'u']))
    {
        format!("{stem}ies")
    } else {
        format!("{lower}s")
    }
}

impl Resources {
    /// Serves the snapshot's objects.
    pub fn new(snapshot: &Snapshot) -> Self {
        let mut values = typed_values(snapshot);
        for object in &snapshot.dynamic {
            let reference = dynamic_ref(object);
            if let Ok(mut value) = serde_json::to_value(object) {
                value["apiVersion"] = reference.api_version.into();
                value["kind"] = reference.kind.into();
                values.push(value);
            }
        }
        Self::from_values(values, snapshot)
    }

    /// Serves `values` as they are (`managedFields` and all), with the snapshot's logs.
    pub fn from_values(values: Vec<Value>, snapshot: &Snapshot) -> Self {
        let mut list = typed();
        let mut index: HashMap<(String, String, String), usize> = list
            .iter()
            .enumerate()
            .map(|(i, r)| ((r.group.clone(), r.version.clone(), r.kind.clone()), i))
            .collect();
        for value in values {
            let api_version = value["apiVersion"].as_str().unwrap_or_default();
            let kind = value["kind"].as_str().unwrap_or_default();
            let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
            let key = (group.to_owned(), version.to_owned(), kind.to_owned());
            let i = *index.entry(key).or_insert_with(|| {
                let namespaced = value.pointer("/metadata/namespace").is_some();
                list.push(Resource::new(
                    group,
                    version,
                    kind,
                    &guess_plural(kind),
                    namespaced,
                ));
                list.len() - 1
            });
            list[i].items.extend(Item::new(&value));
        }
        for resource in &mut list {
            resource.seal();
        }
        index = list
            .iter()
            .enumerate()
            .map(|(i, r)| ((r.group.clone(), r.version.clone(), r.plural.clone()), i))
            .collect();
        let logs = snapshot
            .logs()
            .map(|(target, text)| (target.clone(), text.to_owned()))
            .collect();
        Self { list, index, logs }
    }

    pub fn get(&self, group: &str, version: &str, plural: &str) -> Option<&Resource> {
        self.index
            .get(&(group.to_owned(), version.to_owned(), plural.to_owned()))
            .map(|&i| &self.list[i])
    }

    /// `/apis`: every non-core group with its versions.
    pub fn groups(&self) -> Value {
        let mut groups: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for r in self.list.iter().filter(|r| !r.group.is_empty()) {
            let versions = groups.entry(&r.group).or_default();
            if !versions.contains(&r.version.as_str()) {
                versions.push(&r.version);
            }
        }
        let groups: Vec<Value> = groups
            .into_iter()
            .map(|(name, versions)| {
                let versions: Vec<Value> = versions
                    .iter()
                    .map(|v| json!({"groupVersion": format!("{name}/{v}"), "version": v}))
                    .collect();
                json!({"name": name, "versions": versions, "preferredVersion": versions[0]})
            })
            .collect();
        json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
    }

    /// `/api/v1` or `/apis/{group}/{version}`: the resources of one group version.
    pub fn resource_list(&self, group: &str, version: &str) -> Option<Value> {
        let resources: Vec<Value> = self
            .list
            .iter()
            .filter(|r| r.group == group && r.version == version)
            .flat_map(|r| {
                let main = json!({
                    "name": r.plural, "singularName": r.kind.to_ascii_lowercase(), "namespaced": r.namespaced,
                    "kind": r.kind, "verbs": ["get", "list", "watch"],
                });
                let log = (r.kind == "Pod").then(|| json!({"name": "pods/log", "singularName": "", "namespaced": true, "kind": "Pod", "verbs": ["get"]}));
                std::iter::once(main).chain(log)
            })
            .collect();
        if resources.is_empty() {
            return None;
        }
        let group_version = if group.is_empty() {
            version.to_owned()
        } else {
            format!("{group}/{version}")
        };
        Some(
            json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version, "resources": resources}),
        )
    }
}

/// What changed from `old` to `new`, object by object, as watch events.
pub(super) fn diff(old: &Resources, new: &Resources) -> Vec<super::Change> {
    let mut changes = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let change = |resource: &Resource, kind, item: &Item| super::Change {
        plural: resource.plural.clone(),
        kind,
        object: item.value(),
    };
    for resource in &new.list {
        let before = old.get(&resource.group, &resource.version, &resource.plural);
        seen.insert(&resource.plural);
        for item in &resource.items {
            let previous = before.and_then(|r| r.find(Some(&item.namespace), &item.name));
            match previous {
                None => changes.push(change(resource, "ADDED", item)),
                Some(previous) if previous.bytes != item.bytes => {
                    changes.push(change(resource, "MODIFIED", item));
                }
                Some(_) => {}
            }
        }
        for item in before.map_or(&[][..], |r| r.items.as_slice()) {
            if resource.find(Some(&item.namespace), &item.name).is_none() {
                changes.push(change(resource, "DELETED", item));
            }
        }
    }
    for resource in old.list.iter().filter(|r| !seen.contains(&r.plural)) {
        for item in &resource.items {
            changes.push(change(resource, "DELETED", item));
        }
    }
    changes
}

/// The objects of a text of JSON documents (objects, `List`s and `…List`s), up to the first
/// thing that is not JSON (a dump's log blocks). Items of a typed list that lack their
/// `apiVersion` and `kind` get the list's.
#[must_use]
pub fn json_objects(text: &str) -> Vec<Value> {
    let mut objects = Vec::new();
    for document in serde_json::Deserializer::from_str(text).into_iter::<Value>() {
        let Ok(document) = document else { break };
        flatten(document, &mut objects);
    }
    objects
}

fn flatten(document: Value, out: &mut Vec<Value>) {
    match document {
        Value::Array(items) => items.into_iter().for_each(|i| flatten(i, out)),
        Value::Object(mut map) if map.get("items").is_some_and(Value::is_array) => {
            let api_version = map.get("apiVersion").cloned();
            let kind = map
                .get("kind")
                .and_then(Value::as_str)
                .and_then(|k| k.strip_suffix("List"))
                .filter(|k| !k.is_empty())
                .map(str::to_owned);
            let Some(Value::Array(items)) = map.remove("items") else {
                return;
            };
            for mut item in items {
                if let (Some(object), Some(kind)) = (item.as_object_mut(), &kind) {
                    object.entry("kind").or_insert_with(|| kind.clone().into());
                    if let Some(v) = &api_version {
                        object.entry("apiVersion").or_insert_with(|| v.clone());
                    }
                }
                flatten(item, out);
            }
        }
        object @ Value::Object(_) => out.push(object),
        _ => {}
    }
}
