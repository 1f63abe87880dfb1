//! Objects written in API versions that Kubernetes removed (`extensions/v1beta1` Deployments,
//! `batch/v1beta1` CronJobs, `policy/v1beta1` PodDisruptionBudgets...) are converted on reading
//! into their current equivalents, as the API server converted them while it still served both,
//! so that every check sees them. The version as written is kept in the snapshot for
//! `api-version-removed`.

use serde_json::{Map, Value, json};

/// Converts `value` in place when `api_version`/`kind` is a removed version with a current
/// equivalent; returns the current API version it now has.
pub(crate) fn convert(api_version: &str, kind: &str, value: &mut Value) -> Option<&'static str> {
    let current = current_version(api_version, kind)?;
    match kind {
        "Deployment" | "DaemonSet" | "ReplicaSet" | "StatefulSet" => default_selector(value),
        "Ingress" => ingress(value),
        "PodDisruptionBudget" => empty_selector_selects_nothing(value),
        _ => {}
    }
    if let Some(object) = value.as_object_mut() {
        object.insert("apiVersion".to_owned(), Value::String(current.to_owned()));
    }
    Some(current)
}

/// The current API version of a kind written in a removed one.
fn current_version(api_version: &str, kind: &str) -> Option<&'static str> {
    Some(match (api_version, kind) {
        (
            "extensions/v1beta1" | "apps/v1beta1" | "apps/v1beta2",
            "Deployment" | "DaemonSet" | "ReplicaSet" | "StatefulSet",
        ) => "apps/v1",
        ("batch/v1beta1" | "batch/v2alpha1", "CronJob") => "batch/v1",
        ("extensions/v1beta1" | "networking.k8s.io/v1beta1", "Ingress")
        | ("networking.k8s.io/v1beta1", "IngressClass")
        | ("extensions/v1beta1", "NetworkPolicy") => "networking.k8s.io/v1",
        ("policy/v1beta1", "PodDisruptionBudget") => "policy/v1",
        ("autoscaling/v2beta2", "HorizontalPodAutoscaler") => "autoscaling/v2",
        ("storage.k8s.io/v1beta1", "StorageClass") => "storage.k8s.io/v1",
        (
            "rbac.authorization.k8s.io/v1beta1",
            "Role" | "ClusterRole" | "RoleBinding" | "ClusterRoleBinding",
        ) => "rbac.authorization.k8s.io/v1",
        _ => return None,
    })
}

/// The beta workload APIs defaulted a missing selector to the template's labels; `apps/v1`
/// requires one.
fn default_selector(value: &mut Value) {
    let labels = value.pointer("/spec/template/metadata/labels").cloned();
    let Some(spec) = value.get_mut("spec").and_then(Value::as_object_mut) else {
        return;
    };
    if spec.get("selector").is_none_or(Value::is_null)
        && let Some(labels) = labels
    {
        spec.insert("selector".to_owned(), json!({ "matchLabels": labels }));
    }
}

/// In `policy/v1beta1` an empty selector selects no pods; in `policy/v1` it selects all of the
/// namespace's. Dropping it keeps the meaning.
fn empty_selector_selects_nothing(value: &mut Value) {
    let Some(spec) = value.get_mut("spec").and_then(Value::as_object_mut) else {
        return;
    };
    let empty = spec
        .get("selector")
        .and_then(Value::as_object)
        .is_some_and(|s| {
            s.values().all(|v| {
                v.is_null()
                    || v.as_object().is_some_and(Map::is_empty)
                    || v.as_array().is_some_and(Vec::is_empty)
            })
        });
    if empty {
        spec.remove("selector");
    }
}

/// `serviceName`/`servicePort` backends become `service: {name, port}`, `backend` becomes
/// `defaultBackend`, and paths without a `pathType` get `ImplementationSpecific`, the beta
/// APIs' behaviour.
pub(crate) fn ingress(value: &mut Value) {
    let Some(spec) = value.get_mut("spec").and_then(Value::as_object_mut) else {
        return;
    };
    if let Some(mut backend) = spec.remove("backend") {
        convert_backend(&mut backend);
        spec.entry("defaultBackend").or_insert(backend);
    }
    let rules = spec.get_mut("rules").and_then(Value::as_array_mut);
    for rule in rules.into_iter().flatten() {
        let paths = rule
            .pointer_mut("/http/paths")
            .and_then(Value::as_array_mut);
        for path in paths.into_iter().flatten() {
            if let Some(backend) = path.get_mut("backend") {
                convert_backend(backend);
            }
            if let Some(path) = path.as_object_mut() {
                path.entry("pathType")
                    .or_insert_with(|| "ImplementationSpecific".into());
            }
        }
    }
}

fn convert_backend(backend: &mut Value) {
    let Some(map) = backend.as_object_mut() else {
        return;
    };
    let Some(name) = map.remove("serviceName") else {
        return;
    };
    let port = match map.remove("servicePort") {
        Some(Value::Number(n)) => json!({ "number": n }),
        Some(Value::String(s)) => match s.parse::<u16>() {
            Ok(n) => json!({ "number": n }),
            Err(_) => json!({ "name": s }),
        },
        _ => json!({}),
    };
    map.insert("service".to_owned(), json!({ "name": name, "port": port }));
}

/// Whether an Ingress still uses the beta backend fields (`serviceName`), as objects written
/// without an `apiVersion` sometimes do.
pub(crate) fn has_beta_backends(value: &Value) -> bool {
    value.pointer("/spec/backend/serviceName").is_some()
        || value
            .pointer("/spec/rules")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|r| r.pointer("/http/paths").and_then(Value::as_array))
            .flatten()
            .any(|p| p.pointer("/backend/serviceName").is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn beta_ingresses_become_v1_with_service_backends() {
        let mut ingress = json!({
            "apiVersion": "extensions/v1beta1", "kind": "Ingress",
            "spec": {
                "backend": {"serviceName": "web", "servicePort": 80},
                "rules": [{"http": {"paths": [{"path": "/api", "backend": {"serviceName": "api", "servicePort": "http"}}]}}]
            }
        });
        assert!(has_beta_backends(&ingress));
        assert_eq!(
            convert("extensions/v1beta1", "Ingress", &mut ingress),
            Some("networking.k8s.io/v1")
        );
        assert_eq!(ingress["apiVersion"], "networking.k8s.io/v1");
        assert_eq!(
            ingress["spec"]["defaultBackend"],
            json!({"service": {"name": "web", "port": {"number": 80}}})
        );
        let path = &ingress["spec"]["rules"][0]["http"]["paths"][0];
        assert_eq!(path["backend"]["service"]["port"], json!({"name": "http"}));
        assert_eq!(path["pathType"], "ImplementationSpecific");
    }

    #[test]
    fn beta_workloads_get_the_selector_the_api_server_defaulted() {
        let mut deployment = json!({
            "spec": {"template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": []}}}
        });
        assert_eq!(
            convert("extensions/v1beta1", "Deployment", &mut deployment),
            Some("apps/v1")
        );
        assert_eq!(
            deployment["spec"]["selector"],
            json!({"matchLabels": {"app": "web"}})
        );
        let mut pdb = json!({"spec": {"minAvailable": 1, "selector": {}}});
        assert_eq!(
            convert("policy/v1beta1", "PodDisruptionBudget", &mut pdb),
            Some("policy/v1")
        );
        assert!(pdb["spec"].get("selector").is_none());
        assert_eq!(
            convert("batch/v1beta1", "CronJob", &mut json!({})),
            Some("batch/v1")
        );
        assert_eq!(convert("apps/v1", "Deployment", &mut json!({})), None);
        assert_eq!(
            convert("extensions/v1beta1", "PodSecurityPolicy", &mut json!({})),
            None
        );
    }
}
