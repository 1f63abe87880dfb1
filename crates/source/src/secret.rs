//! Secrets, as kubewhy is allowed to see them: metadata and type, never values.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::{Deserialize, Serialize};

/// A Secret without its `data` and `stringData`. Deserializing a full Secret into this type
/// drops the values on the floor, so even a manifest full of secrets never keeps them in memory
/// past parsing. Live clusters are asked for metadata only.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SecretMeta {
    /// The Secret's metadata.
    pub metadata: ObjectMeta,
    /// The Secret's type, when the source shows it (files do, metadata-only lists don't).
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub type_: Option<String>,
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
}
