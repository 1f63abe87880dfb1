//! Secrets, as kubewhy is allowed to see them: metadata and type, never values.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::{Deserialize, Deserializer, Serialize};

/// The annotation `kubectl apply` keeps the whole applied manifest in: for a Secret, its
/// values too.
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// A Secret without its `data` and `stringData`. Deserializing a full Secret into this type
/// drops the values on the floor, so even a manifest full of secrets never keeps them in memory
/// past parsing. Live clusters are asked for metadata only.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SecretMeta {
    /// The Secret's metadata, without the last-applied configuration (it holds the values).
    #[serde(deserialize_with = "metadata_without_values")]
    pub metadata: ObjectMeta,
    /// The Secret's type, when the source shows it (files do, metadata-only lists don't).
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub type_: Option<String>,
}

fn metadata_without_values<'de, D: Deserializer<'de>>(d: D) -> Result<ObjectMeta, D::Error> {
    let mut metadata = ObjectMeta::deserialize(d)?;
    if let Some(annotations) = metadata.annotations.as_mut() {
        annotations.remove(LAST_APPLIED);
    }
    Ok(metadata)
}

impl k8s_openapi::Resource for SecretMeta {
    const API_VERSION: &'static str = "v1";
    const GROUP: &'static str = "";
    const KIND: &'static str = "Secret";
    const VERSION: &'static str = "v1";
    const URL_PATH_SEGMENT: &'static str = "secrets";
    type Scope = k8s_openapi::NamespaceResourceScope;
}

impl k8s_openapi::Metadata for SecretMeta {
    type Ty = ObjectMeta;

    fn metadata(&self) -> &ObjectMeta {
        &self.metadata
    }

    fn metadata_mut(&mut self) -> &mut ObjectMeta {
        &mut self.metadata
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_values_are_dropped_when_parsed() {
        let secret: SecretMeta = serde_json::from_value(serde_json::json!({
            "apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": {"name": "db", "namespace": "shop"},
            "data": {"password": "aHVudGVyMg=="}, "stringData": {"token": "hunter2"}
        }))
        .unwrap();
        let back = serde_json::to_string(&secret).unwrap();
        assert!(
            !back.contains("aHVudGVyMg") && !back.contains("hunter2"),
            "{back}"
        );
        assert_eq!(secret.type_.as_deref(), Some("Opaque"));
    }

    #[test]
    fn the_values_kubectl_apply_keeps_in_an_annotation_are_dropped_too() {
        let applied = r#"{"apiVersion":"v1","kind":"Secret","data":{"password":"aHVudGVyMg=="}}"#;
        let secret: SecretMeta = serde_json::from_value(serde_json::json!({
            "apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "db", "annotations": {
                "kubectl.kubernetes.io/last-applied-configuration": applied,
                "team": "payments",
            }},
        }))
        .unwrap();
        let back = serde_json::to_string(&secret).unwrap();
        assert!(!back.contains("aHVudGVyMg"), "{back}");
        assert!(back.contains("payments"), "{back}");
    }
}
