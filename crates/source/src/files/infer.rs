//! The kind of an object written without one, as some archivers write them (client-go strips
//! `kind` from list items; troubleshoot bundles and some scripts save bare arrays). The path
//! says it best (`pods/shop.json`, `config/pod/web.yaml`, sonobuoy's `core_v1_pods.json`);
//! failing that, the object's fields do (a Pod has `spec.containers`, a Node `status.nodeInfo`).

use std::{collections::HashMap, sync::OnceLock};

use serde_json::Value;

use crate::kind_names;

/// A kind an object is read as, when it does not say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Hint {
    /// `Pod`.
    pub kind: &'static str,
    /// The kind's current API version: `v1`.
    pub api_version: &'static str,
}

/// Kinds kubewhy keeps as dynamic objects, by the names archives give their files.
const EXTRA: &[(&str, &str, &[&str])] = &[
    (
        "CustomResourceDefinition",
        "apiextensions.k8s.io/v1",
        &[
            "customresourcedefinitions",
            "custom-resource-definitions",
            "crds",
        ],
    ),
    ("ResourceQuota", "v1", &["resourcequotas", "resource-quota"]),
    ("LimitRange", "v1", &["limitranges"]),
    ("PodTemplate", "v1", &["podtemplates"]),
    (
        "PriorityClass",
        "scheduling.k8s.io/v1",
        &["priorityclasses"],
    ),
    ("Lease", "coordination.k8s.io/v1", &["leases"]),
    (
        "VolumeAttachment",
        "storage.k8s.io/v1",
        &["volumeattachments"],
    ),
    ("CSIDriver", "storage.k8s.io/v1", &["csidrivers"]),
    ("CSINode", "storage.k8s.io/v1", &["csinodes"]),
    ("ControllerRevision", "apps/v1", &["controllerrevisions"]),
];

/// Typed kinds under the names troubleshoot gives their folders and files.
const ALIASES: &[(&str, &str)] = &[
    ("pvcs", "PersistentVolumeClaim"),
    ("pvs", "PersistentVolume"),
    ("ingress", "Ingress"),
    ("network-policy", "NetworkPolicy"),
    ("storage-classes", "StorageClass"),
    ("pod-disruption-budgets", "PodDisruptionBudget"),
];

fn table() -> &'static HashMap<String, Hint> {
    static TABLE: OnceLock<HashMap<String, Hint>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table = HashMap::new();
        for k in kind_names() {
            let hint = Hint {
                kind: k.kind,
                api_version: k.api_version,
            };
            table.insert(k.plural.to_owned(), hint);
            table.insert(k.kind.to_ascii_lowercase(), hint);
        }
        for (alias, kind) in ALIASES {
            if let Some(hint) = table.get(&kind.to_ascii_lowercase()).copied() {
                table.insert((*alias).to_owned(), hint);
            }
        }
        for (kind, api_version, names) in EXTRA {
            let hint = Hint { kind, api_version };
            table.insert(kind.to_ascii_lowercase(), hint);
            for name in *names {
                table.insert((*name).to_owned(), hint);
            }
        }
        table
    })
}

/// The kind a file or folder name stands for: `pods`, `pods.json`, `Pods.json`, `pod`,
/// sonobuoy's `core_v1_pods.json` and `apps_v1_deployments.json`.
pub(crate) fn by_name(name: &str) -> Option<Hint> {
    let lower = name.to_ascii_lowercase();
    let stem = ["json", "yaml", "yml"]
        .iter()
        .find_map(|ext| lower.strip_suffix(&format!(".{ext}")))
        .unwrap_or(&lower);
    let table = table();
    table
        .get(stem)
        .or_else(|| stem.rsplit('_').next().and_then(|last| table.get(last)))
        .copied()
}

/// The kind a path suggests: its file name first (`shop/pods.json`), then its folders, nearest
/// first (`pods/shop.json`, `config/pod/web.yaml`).
pub(crate) fn by_path(path: &str) -> Option<Hint> {
    let mut segments = path.rsplit(['/', '\\']);
    let file = segments.next()?;
    by_name(file).or_else(|| segments.take(3).find_map(by_name))
}

fn typed(kind: &str) -> Option<Hint> {
    table().get(&kind.to_ascii_lowercase()).copied()
}

/// The kind an object's fields give away, when they do so unambiguously. Only objects with
/// `metadata` qualify: a configuration file with a `data` key is no ConfigMap.
pub(crate) fn by_shape(value: &Value) -> Option<Hint> {
    value.get("metadata")?.as_object()?;
    let has = |pointer: &str| value.pointer(pointer).is_some();
    let namespaced = has("/metadata/namespace");
    let kind = if has("/involvedObject") {
        "Event"
    } else if has("/spec/containers") {
        "Pod"
    } else if has("/spec/jobTemplate") {
        "CronJob"
    } else if has("/spec/template/spec/containers") {
        return workload(value);
    } else if has("/status/nodeInfo") || has("/spec/podCIDR") || has("/spec/providerID") {
        "Node"
    } else if has("/spec/scaleTargetRef") {
        "HorizontalPodAutoscaler"
    } else if has("/spec/accessModes") && has("/spec/resources") {
        "PersistentVolumeClaim"
    } else if has("/spec/capacity") {
        "PersistentVolume"
    } else if has("/subsets") {
        "Endpoints"
    } else if has("/addressType") {
        "EndpointSlice"
    } else if has("/roleRef") {
        if namespaced {
            "RoleBinding"
        } else {
            "ClusterRoleBinding"
        }
    } else if value.pointer("/rules/0/verbs").is_some() {
        if namespaced { "Role" } else { "ClusterRole" }
    } else if has("/spec/podSelector") {
        "NetworkPolicy"
    } else if has("/spec/rules") || has("/spec/defaultBackend") || has("/spec/backend") {
        "Ingress"
    } else if has("/provisioner") {
        "StorageClass"
    } else if has("/spec/minAvailable") || has("/spec/maxUnavailable") {
        "PodDisruptionBudget"
    } else if has("/spec/ports") || has("/spec/clusterIP") {
        "Service"
    } else if has("/spec/names/kind") && has("/spec/group") {
        "CustomResourceDefinition"
    } else if has("/data") || has("/binaryData") {
        if has("/type") { "Secret" } else { "ConfigMap" }
    } else {
        return None;
    };
    typed(kind)
}

/// Which of the pod-template kinds an object is; `None` when its fields do not tell.
fn workload(value: &Value) -> Option<Hint> {
    let has = |pointer: &str| value.pointer(pointer).is_some();
    let owned_by = |kind: &str| {
        value
            .pointer("/metadata/ownerReferences")
            .and_then(Value::as_array)
            .is_some_and(|o| {
                o.iter()
                    .any(|r| r.get("kind").and_then(Value::as_str) == Some(kind))
            })
    };
    let kind = if has("/spec/serviceName") || has("/spec/volumeClaimTemplates") {
        "StatefulSet"
    } else if has("/status/desiredNumberScheduled") {
        "DaemonSet"
    } else if has("/spec/completions") || has("/spec/backoffLimit") || has("/status/startTime") {
        "Job"
    } else if has("/status/fullyLabeledReplicas") || owned_by("Deployment") {
        "ReplicaSet"
    } else if has("/spec/strategy") || has("/status/updatedReplicas") {
        "Deployment"
    } else {
        return None;
    };
    typed(kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(hint: Option<Hint>) -> Option<&'static str> {
        hint.map(|h| h.kind)
    }

    #[test]
    fn paths_name_kinds_as_archivers_write_them() {
        for (path, expected) in [
            ("cluster-resources/pods/shop.json", "Pod"),
            ("cluster-resources/nodes.json", "Node"),
            ("cluster-resources/pvcs/shop.json", "PersistentVolumeClaim"),
            (
                "cluster-resources/custom-resource-definitions.json",
                "CustomResourceDefinition",
            ),
            ("resources/ns/shop/core_v1_pods.json", "Pod"),
            ("resources/cluster/Nodes.json", "Node"),
            ("namespaces/shop/apps/deployments.yaml", "Deployment"),
            ("config/pod/web.yaml", "Pod"),
            ("dump/shop/events.json", "Event"),
        ] {
            assert_eq!(kind(by_path(path)), Some(expected), "{path}");
        }
        assert_eq!(kind(by_path("manifests/web.yaml")), None);
        assert_eq!(by_path("pods/x.json").map(|h| h.api_version), Some("v1"));
    }

    #[test]
    fn shapes_give_kinds_away_only_when_unambiguous() {
        let pod = serde_json::json!({"metadata": {"name": "a"}, "spec": {"containers": []}, "status": {"phase": "Running"}});
        assert_eq!(kind(by_shape(&pod)), Some("Pod"));
        let node = serde_json::json!({"metadata": {"name": "n"}, "status": {"nodeInfo": {}}});
        assert_eq!(kind(by_shape(&node)), Some("Node"));
        let sts = serde_json::json!({"metadata": {}, "spec": {"serviceName": "db", "template": {"spec": {"containers": []}}}});
        assert_eq!(kind(by_shape(&sts)), Some("StatefulSet"));
        let bare =
            serde_json::json!({"metadata": {}, "spec": {"template": {"spec": {"containers": []}}}});
        assert_eq!(kind(by_shape(&bare)), None);
        assert_eq!(
            kind(by_shape(&serde_json::json!({"data": {"a": "b"}}))),
            None
        );
    }
}
