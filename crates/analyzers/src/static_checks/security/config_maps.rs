//! Credentials written into ConfigMaps: keys named like a password, token or key that hold a
//! literal, and values shaped like a private key or an issuer's token. ConfigMaps are readable by
//! anyone who may read the namespace's configuration, and are not encrypted at rest.

use kubewhy_model::Finding;
use kubewhy_source::{k8s::core::v1::ConfigMap, object_ref};

use crate::{
    Context,
    findings::finding,
    ids,
    k8s::{and_list, credential_in, describe, secret_entry},
};

pub(super) fn check(cx: &Context<'_>) -> Vec<Finding> {
    cx.config_maps.iter().filter_map(secret_data).collect()
}

/// One finding per ConfigMap, naming the keys (never the values) that hold credentials.
fn secret_data(map: &ConfigMap) -> Option<Finding> {
    let mut keys = Vec::new();
    for (key, value) in map.data.iter().flatten() {
        if let Some(what) = credential_in(value) {
            keys.push(format!("{key} ({what})"));
        } else if secret_entry(key, value) {
            keys.push(key.clone());
        }
    }
    if keys.is_empty() {
        return None;
    }
    let object = object_ref(map);
    let noun = if keys.len() == 1 { "key" } else { "keys" };
    let message = format!(
        "{} holds what looks like a credential in {noun} {}.",
        describe(&object),
        and_list(&keys)
    );
    Some(finding(
        ids::CONFIGMAP_SECRET_DATA,
        &object,
        "CredentialInConfigMap",
        message,
    ))
}
