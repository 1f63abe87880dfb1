//! Walks a snapshot for names: every object's metadata, then what each kind refers to, then
//! dynamic objects and logs. A name counts whether or not the object it names exists: the
//! missing Secret is often exactly the name an explanation is about.

use k8s_openapi::{Metadata, Resource};
use kubewhy_model::ObjectRef;
use kubewhy_source::meta::{ObjectMeta, OwnerReference};
use kubewhy_source::{DynamicObject, Snapshot, dynamic_ref, object_ref};
use serde_json::Value;

use super::{DictionaryBuilder, MAX_NAME_LEN, kinds};
use crate::Category;
use crate::detect::value_is_placeholder;

/// Annotations whose values repeat the object itself (its names are collected already).
const SKIPPED_ANNOTATIONS: &[&str] = &["kubectl.kubernetes.io/last-applied-configuration"];

pub(super) fn collect(b: &mut DictionaryBuilder, snapshot: &Snapshot) {
    all_metadata(b, snapshot);
    kinds::collect(b, snapshot);
    for object in &snapshot.dynamic {
        dynamic(b, snapshot, object);
    }
    for (target, _) in snapshot.logs() {
        b.add(&target.namespace, Category::Namespace);
        b.add(&target.pod, Category::Pod);
        container_name(b, &target.container);
    }
}

macro_rules! metadata_of_every_store {
    ($($field:ident: $ty:ty),* $(,)?) => {
        fn all_metadata(b: &mut DictionaryBuilder, snapshot: &Snapshot) {
            $(
                for item in snapshot.$field.iter() {
                    let kind = <$ty as Resource>::KIND;
                    if kind == "Event" {
                        // An event's name is its object's name plus a suffix.
                        namespace(b, item.metadata());
                        continue;
                    }
                    object_metadata(b, snapshot, kind, item.metadata(), || object_ref(item));
                }
            )*
        }
    };
}

kubewhy_source::for_each_kind!(metadata_of_every_store);

/// The names in one object's metadata: its own name (under its top owner's when it has one),
/// namespace, label and annotation values, owners and uid. `reference` is only built for
/// objects with owners, to find the top one.
pub(super) fn object_metadata(
    b: &mut DictionaryBuilder,
    snapshot: &Snapshot,
    kind: &str,
    meta: &ObjectMeta,
    reference: impl FnOnce() -> ObjectRef,
) {
    let name = meta.name.as_deref().unwrap_or("");
    let category = Category::of_kind(kind);
    let owners = meta.owner_references.as_deref().unwrap_or(&[]);
    // Objects with the same controller share its top owner: look it up once per controller.
    let controller = owners
        .iter()
        .find(|o| o.controller == Some(true))
        .or_else(|| owners.first());
    let root = controller.and_then(|owner| {
        // Uids are unique in a cluster; manifests without them are keyed by the owner's name.
        let by_name;
        let key = if owner.uid.is_empty() {
            let ns = meta.namespace.as_deref().unwrap_or("");
            by_name = format!("{ns}/{}/{}", owner.kind, owner.name);
            by_name.as_str()
        } else {
            owner.uid.as_str()
        };
        if let Some(&root) = b.roots.get(key) {
            return root;
        }
        let ns = meta.namespace.as_deref();
        let id = if let Some((root_kind, root_name)) = quick_root(snapshot, ns, owner) {
            b.add(root_name, Category::of_kind(root_kind))
        } else {
            let root = snapshot.root_of(&reference());
            if root.kind != kind || root.name != name {
                b.add(&root.name, Category::of_kind(&root.kind))
            } else {
                None
            }
        };
        b.roots.insert(key.into(), id);
        id
    });
    match root {
        Some(owner) => b.owned_by(name, category, owner),
        None => {
            b.add(name, category);
        }
    }
    namespace(b, meta);
    for owner in owners {
        b.add(&owner.name, Category::of_kind(&owner.kind));
    }
    labels(b, meta.labels.iter().flatten().map(|(_, v)| v.as_str()));
    for (key, value) in meta.annotations.iter().flatten() {
        if !SKIPPED_ANNOTATIONS.contains(&key.as_str()) {
            free_value(b, value, Category::Annotation);
        }
    }
    if let Some(uid) = &meta.uid {
        // UUIDs are found by their shape anywhere; other uids (test data, some tools) are names.
        if !looks_like_uuid(uid) {
            b.add(uid, Category::Uid);
        }
    }
}

/// The top owner of an object whose controller is `owner`, for the common chains (a
/// ReplicaSet's Deployment, a Job's CronJob) without walking the ownership graph; `None` sends
/// the caller to [`Snapshot::root_of`], which also guesses owners that are not in the snapshot.
fn quick_root<'s>(
    snapshot: &'s Snapshot,
    namespace: Option<&str>,
    owner: &'s OwnerReference,
) -> Option<(&'s str, &'s str)> {
    let (owners, top_kind) = match owner.kind.as_str() {
        "ReplicaSet" => (
            snapshot
                .replica_sets
                .get(namespace, &owner.name)?
                .metadata
                .owner_references
                .as_deref(),
            "Deployment",
        ),
        "Job" => (
            snapshot
                .jobs
                .get(namespace, &owner.name)?
                .metadata
                .owner_references
                .as_deref(),
            "CronJob",
        ),
        _ => return None,
    };
    let Some(top) = owners.and_then(|o| o.iter().find(|o| o.controller == Some(true))) else {
        // The ReplicaSet or Job is the top owner itself, unless it has owners of another kind.
        return owners
            .is_none_or(<[_]>::is_empty)
            .then_some((owner.kind.as_str(), owner.name.as_str()));
    };
    if top.kind != top_kind {
        return None;
    }
    // A Deployment or CronJob with owners of its own (an operator's) takes the long way.
    let top_has_owners = match top_kind {
        "Deployment" => snapshot
            .deployments
            .get(namespace, &top.name)
            .is_some_and(|d| {
                d.metadata
                    .owner_references
                    .as_ref()
                    .is_some_and(|o| !o.is_empty())
            }),
        _ => snapshot
            .cron_jobs
            .get(namespace, &top.name)
            .is_some_and(|c| {
                c.metadata
                    .owner_references
                    .as_ref()
                    .is_some_and(|o| !o.is_empty())
            }),
    };
    (!top_has_owners).then_some((top_kind, top.name.as_str()))
}

fn namespace(b: &mut DictionaryBuilder, meta: &ObjectMeta) {
    if let Some(ns) = &meta.namespace {
        b.add(ns, Category::Namespace);
    }
}

/// Label values, as in metadata and selectors.
pub(super) fn labels<'a>(b: &mut DictionaryBuilder, values: impl IntoIterator<Item = &'a str>) {
    for value in values {
        b.add(value, Category::Label);
    }
}

/// A container's name, unless it is generic (`app`, `sidecar`, `istio-proxy`).
pub(super) fn container_name(b: &mut DictionaryBuilder, name: &str) {
    if !crate::vocab::vocabulary().is_generic_container(name) {
        b.add(name, Category::Container);
    }
}

/// A value of free text (an annotation, an env value): the whole value when it is short, and
/// every host-like token in it (`accounts-db` in `postgres://accounts-db:5432/app`).
pub(super) fn free_value(b: &mut DictionaryBuilder, value: &str, category: Category) {
    url_credentials(b, value);
    // A URL is scrubbed by its parts (its host, its credentials), which reads better than one
    // pseudonym for the whole of it.
    if value.len() <= MAX_NAME_LEN && !value.contains('\n') && !value.contains("://") {
        b.add(value, category);
    }
    if value.contains(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '.')) {
        for token in value
            .split(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_')))
            .map(|t| t.trim_matches(['.', '-', '_']))
        {
            if token.len() < 4 || token.len() >= value.len() || !token.contains(['-', '.']) {
                continue;
            }
            let service = token
                .strip_suffix(".svc.cluster.local")
                .or_else(|| token.strip_suffix(".svc"))
                .and_then(|s| s.split_once('.'));
            if let Some((name, namespace)) = service {
                b.service(name, namespace);
            } else {
                let kind = if token.contains('.') {
                    Category::Host
                } else {
                    category
                };
                b.add(token, kind);
            }
        }
    }
}

/// The credentials of every URL in `value` (`postgres://svc_orders:s3cr3t@db/orders`): the
/// password is a secret wherever it shows up again (a log that prints it alone), and the user
/// is a name (a log line that says `as svc_orders`).
fn url_credentials(b: &mut DictionaryBuilder, value: &str) {
    for (at, _) in value.match_indices("://") {
        let rest = &value[at + 3..];
        let authority = rest
            .split(['/', '?', '#', ' ', '"', '\''])
            .next()
            .unwrap_or("");
        let Some((userinfo, _)) = authority.rsplit_once('@') else {
            continue;
        };
        let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
        if !password.is_empty() && !value_is_placeholder(password) {
            b.add(password, Category::Secret);
        }
        if user.len() >= 3 && !value_is_placeholder(user) {
            b.add(user, Category::User);
        }
    }
}

fn looks_like_uuid(s: &str) -> bool {
    s.len() == 36
        && s.bytes().enumerate().all(|(i, c)| {
            if matches!(i, 8 | 13 | 18 | 23) {
                c == b'-'
            } else {
                c.is_ascii_hexdigit()
            }
        })
}

/// A dynamic object: its metadata, then every string in its body whose key says it is a name
/// or a host (`secretName`, `serviceName`, `issuerRef.name`, `hosts`).
fn dynamic(b: &mut DictionaryBuilder, snapshot: &Snapshot, object: &DynamicObject) {
    let kind = object.types.as_ref().map_or("", |t| t.kind.as_str());
    object_metadata(b, snapshot, kind, &object.metadata, || dynamic_ref(object));
    walk(b, &object.data, None, 0);
}

fn walk(b: &mut DictionaryBuilder, value: &Value, key: Option<&str>, depth: usize) {
    // Bodies are trees of bounded depth; the bound guards against pathological input.
    if depth > 32 {
        return;
    }
    match value {
        Value::Object(map) => {
            let kind = map.get("kind").and_then(Value::as_str);
            for (k, v) in map {
                if k == "name"
                    && let (Some(kind), Some(name)) = (kind, v.as_str())
                {
                    b.add(name, Category::of_kind(kind));
                    continue;
                }
                walk(b, v, Some(k), depth + 1);
            }
        }
        Value::Array(items) => {
            for item in items {
                walk(b, item, key, depth + 1);
            }
        }
        Value::String(s) => {
            if let Some(category) = key.and_then(key_category) {
                b.add(s, category);
            }
        }
        _ => {}
    }
}

/// What a string under `key` names, in a body kubewhy has no type for.
fn key_category(key: &str) -> Option<Category> {
    Some(match key {
        "secretName" | "secret" => Category::SecretName,
        "serviceName" | "service" => Category::Service,
        "configMapName" | "configMap" => Category::ConfigMap,
        "claimName" => Category::Pvc,
        "namespace" | "targetNamespace" => Category::Namespace,
        "nodeName" => Category::Node,
        "serviceAccountName" => Category::ServiceAccount,
        "storageClassName" => Category::StorageClass,
        "host" | "hosts" | "hostname" | "hostnames" | "commonName" | "dnsNames" => Category::Host,
        "name" => Category::Object,
        k if k.ends_with("Name") => Category::Object,
        _ => return None,
    })
}
