//! The simulator's view of a snapshot: each kind as an API resource (group, version, plural,
//! scope) holding its objects as JSON, ready to be listed, filtered and paged.

use std::collections::{BTreeMap, HashMap};

use kubewhy_model::LogTarget;
use kubewhy_source::{Snapshot, dynamic_ref, live::Namespaced};
use serde_json::{Value, json};

/// One API resource and its objects, sorted by namespace and name.
pub(super) struct Resource {
    pub group: String,
    pub version: String,
    pub kind: String,
    pub plural: String,
    pub namespaced: bool,
    pub items: Vec<Value>,
}

impl Resource {
    pub fn group_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
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
        fn typed(snapshot: &Snapshot) -> Vec<Resource> {
            vec![$(
                Resource {
                    group: <$ty as k8s_openapi::Resource>::GROUP.to_owned(),
                    version: <$ty as k8s_openapi::Resource>::VERSION.to_owned(),
                    kind: <$ty as k8s_openapi::Resource>::KIND.to_owned(),
                    plural: <$ty as k8s_openapi::Resource>::URL_PATH_SEGMENT.to_owned(),
                    namespaced: <$ty as Namespaced>::NAMESPACED,
                    items: snapshot.$field.iter().filter_map(|item| {
                        let mut value = serde_json::to_value(item).ok()?;
                        value["apiVersion"] = <$ty as k8s_openapi::Resource>::API_VERSION.into();
                        value["kind"] = <$ty as k8s_openapi::Resource>::KIND.into();
                        Some(value)
                    }).collect(),
                },
            )*]
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
    pub fn new(snapshot: &Snapshot) -> Self {
        let mut list = typed(snapshot);
        let mut dynamic: BTreeMap<(String, String), Resource> = BTreeMap::new();
        for object in &snapshot.dynamic {
            let reference = dynamic_ref(object);
            let (group, version) = match reference.api_version.split_once('/') {
                Some((g, v)) => (g.to_owned(), v.to_owned()),
                None => (String::new(), reference.api_version.clone()),
            };
            let entry = dynamic
                .entry((reference.api_version.clone(), reference.kind.clone()))
                .or_insert_with(|| Resource {
                    group,
                    version,
                    plural: guess_plural(&reference.kind),
                    kind: reference.kind.clone(),
                    namespaced: reference.namespace.is_some(),
                    items: Vec::new(),
                });
            if let Ok(mut value) = serde_json::to_value(object) {
                value["apiVersion"] = reference.api_version.into();
                value["kind"] = reference.kind.into();
                entry.items.push(value);
            }
        }
        list.extend(dynamic.into_values());
        let index = list
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
    let key = |item: &Value| {
        let meta = &item["metadata"];
        (
            meta["namespace"].as_str().unwrap_or_default().to_owned(),
            meta["name"].as_str().unwrap_or_default().to_owned(),
        )
    };
    let mut changes = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for resource in &new.list {
        let before: HashMap<_, &Value> = old
            .get(&resource.group, &resource.version, &resource.plural)
            .map(|r| r.items.iter().map(|i| (key(i), i)).collect())
            .unwrap_or_default();
        seen.insert(&resource.plural);
        let mut present = std::collections::HashSet::new();
        for item in &resource.items {
            let k = key(item);
            let kind = match before.get(&k) {
                None => "ADDED",
                Some(previous) if *previous != item => "MODIFIED",
                Some(_) => {
                    present.insert(k);
                    continue;
                }
            };
            present.insert(k);
            changes.push(super::Change {
                plural: resource.plural.clone(),
                kind,
                object: item.clone(),
            });
        }
        for (k, item) in before {
            if !present.contains(&k) {
                changes.push(super::Change {
                    plural: resource.plural.clone(),
                    kind: "DELETED",
                    object: item.clone(),
                });
            }
        }
    }
    for resource in old.list.iter().filter(|r| !seen.contains(&r.plural)) {
        for item in &resource.items {
            changes.push(super::Change {
                plural: resource.plural.clone(),
                kind: "DELETED",
                object: item.clone(),
            });
        }
    }
    changes
}
