//! Object metadata as an API server returns it: uids, resource versions, creation times,
//! owner references and `managedFields` entries derived from the fields each manager owns.

use serde_json::{Map, Value, json};

use super::Rng;

/// The generated cluster's "now": every timestamp is at or before it.
pub(super) const NOW: &str = "2026-11-20T09:30:00Z";

/// A timestamp `minutes` before [`NOW`], as RFC 3339.
pub(super) fn ago(minutes: u64) -> String {
    let now: jiff::Timestamp = NOW.parse().unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    let minutes = i64::try_from(minutes).unwrap_or(i64::MAX);
    let then = now
        .checked_sub(jiff::SignedDuration::from_mins(minutes))
        .unwrap_or(now);
    then.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// A uid in the API server's format (a version-4 UUID), drawn from the generator.
pub(super) fn uid(rng: &mut Rng) -> String {
    let (a, b) = (rng.next(), rng.next());
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        (b >> 48) & 0x3fff | 0x8000,
        b & 0xffff_ffff_ffff
    )
}

/// The identity of an object, kept to reference it from owners, selectors and events.
#[derive(Debug, Clone)]
pub(super) struct Ident {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub name: String,
    pub namespace: Option<String>,
    pub uid: String,
}

impl Ident {
    pub fn new(
        rng: &mut Rng,
        api_version: &'static str,
        kind: &'static str,
        namespace: Option<&str>,
        name: impl Into<String>,
    ) -> Self {
        Self {
            api_version,
            kind,
            name: name.into(),
            namespace: namespace.map(str::to_owned),
            uid: uid(rng),
        }
    }

    /// An `ownerReferences` entry naming this object as the controller.
    pub fn owner_reference(&self) -> Value {
        json!({"apiVersion": self.api_version, "kind": self.kind, "name": self.name,
               "uid": self.uid, "controller": true, "blockOwnerDeletion": true})
    }

    /// An event's `involvedObject` or a reference of another kind to this object.
    pub fn object_reference(&self) -> Value {
        let mut reference = json!({"kind": self.kind, "name": self.name, "uid": self.uid,
                                   "apiVersion": self.api_version, "resourceVersion": "1000"});
        if let Some(ns) = &self.namespace {
            reference["namespace"] = ns.clone().into();
        }
        reference
    }
}

/// `metadata` for `ident`, created `age` minutes ago, with labels, annotations and owners.
pub(super) fn metadata(
    rng: &mut Rng,
    ident: &Ident,
    age: u64,
    labels: &Value,
    annotations: Option<Value>,
    owner: Option<&Ident>,
) -> Value {
    let mut meta = Map::new();
    meta.insert("name".into(), ident.name.clone().into());
    if let Some(ns) = &ident.namespace {
        meta.insert("namespace".into(), ns.clone().into());
    }
    meta.insert("uid".into(), ident.uid.clone().into());
    meta.insert(
        "resourceVersion".into(),
        (100_000 + rng.below(9_000_000)).to_string().into(),
    );
    meta.insert("generation".into(), (1 + rng.below(4)).into());
    meta.insert("creationTimestamp".into(), ago(age).into());
    if labels.as_object().is_some_and(|l| !l.is_empty()) {
        meta.insert("labels".into(), labels.clone());
    }
    if let Some(annotations) = annotations {
        meta.insert("annotations".into(), annotations);
    }
    if let Some(owner) = owner {
        meta.insert("ownerReferences".into(), json!([owner.owner_reference()]));
    }
    Value::Object(meta)
}

/// `metadata.managedFields` as a server-side-applying API server records them: one entry per
/// manager, each listing the fields it set in the `FieldsV1` format.
pub(super) fn managed_fields(
    object: &Value,
    spec_manager: &str,
    status_manager: Option<&str>,
    at: &str,
) -> Value {
    let mut spec_fields = Map::new();
    if let Some(meta) = object.get("metadata") {
        let mut owned = Map::new();
        for key in ["labels", "annotations", "ownerReferences"] {
            if let Some(value) = meta.get(key) {
                owned.insert(format!("f:{key}"), fields_v1(value));
            }
        }
        spec_fields.insert("f:metadata".into(), Value::Object(owned));
    }
    for (key, value) in object.as_object().into_iter().flatten() {
        if !matches!(key.as_str(), "apiVersion" | "kind" | "metadata" | "status") {
            spec_fields.insert(format!("f:{key}"), fields_v1(value));
        }
    }
    let mut entries = vec![
        json!({"manager": spec_manager, "operation": "Update", "apiVersion": object["apiVersion"],
        "time": at, "fieldsType": "FieldsV1", "fieldsV1": spec_fields}),
    ];
    if let (Some(manager), Some(status)) = (status_manager, object.get("status")) {
        entries.push(json!({"manager": manager, "operation": "Update", "apiVersion": object["apiVersion"],
            "time": at, "fieldsType": "FieldsV1", "fieldsV1": {"f:status": fields_v1(status)}, "subresource": "status"}));
    }
    Value::Array(entries)
}

/// The `FieldsV1` set of `value`: `f:` for keys, `k:` for list items keyed by name, `.` for
/// the field itself.
fn fields_v1(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut out = Map::new();
            out.insert(".".into(), json!({}));
            for (key, child) in map {
                out.insert(format!("f:{key}"), fields_v1(child));
            }
            Value::Object(out)
        }
        Value::Array(items) => {
            let mut out = Map::new();
            for item in items {
                let key = ["name", "type", "containerPort", "port", "ip"]
                    .iter()
                    .find_map(|k| item.get(*k).map(|v| (k, v)));
                match key {
                    Some((k, v)) => {
                        out.insert(format!("k:{{\"{k}\":{v}}}"), fields_v1(item));
                    }
                    None => {
                        out.insert(format!("v:{item}"), json!({}));
                    }
                }
            }
            Value::Object(out)
        }
        _ => json!({}),
    }
}

/// Inserts `managedFields` into an object's metadata, after the other fields as servers do.
pub(super) fn with_managed_fields(
    mut object: Value,
    spec_manager: &str,
    status_manager: Option<&str>,
) -> Value {
    let at = object
        .pointer("/metadata/creationTimestamp")
        .and_then(Value::as_str)
        .unwrap_or(NOW)
        .to_owned();
    let fields = managed_fields(&object, spec_manager, status_manager, &at);
    if let Some(meta) = object.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.insert("managedFields".into(), fields);
    }
    object
}
