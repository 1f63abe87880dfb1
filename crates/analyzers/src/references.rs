//! References: pods that name ConfigMaps, Secrets, claims or ServiceAccounts that do not
//! exist (the cause behind `CreateContainerConfigError` and `FailedMount`), and ConfigMaps
//! nothing uses.

use std::{
    borrow::Cow,
    collections::{BTreeMap, BTreeSet},
};

use kubewhy_model::{CheckId, EventEvidence, Finding, ObjectRef, Severity};
use kubewhy_source::{
    Snapshot,
    k8s::core::v1::{Container, PodSpec},
    object_ref,
};

use crate::{
    Analyzer, Context, evidence,
    findings::{Build, finding},
    ids,
    k8s::{get_in, in_namespace, namespace_of},
};

/// The reference analyzer.
pub struct ReferenceAnalyzer;

const CHECKS: &[CheckId] = &[ids::POD_REFERENCE_MISSING, ids::CONFIGMAP_UNUSED];

/// ConfigMaps that Kubernetes and common distributions create in every namespace or read
/// through the API rather than through a pod spec.
const SYSTEM_CONFIG_MAPS: &[&str] = &[
    "kube-root-ca.crt",
    "openshift-service-ca.crt",
    "istio-ca-root-cert",
    "extension-apiserver-authentication",
    "cluster-info",
    "kubeadm-config",
    "kubelet-config",
    "kube-apiserver-legacy-service-account-token-tracking",
    "aws-auth",
];

/// Namespaces whose ConfigMaps belong to the control plane and are read through the API.
const SYSTEM_NAMESPACES: &[&str] = &["kube-system", "kube-public", "kube-node-lease"];

/// Labels of ConfigMaps that sidecars discover through the API (Grafana dashboards and
/// data sources).
const API_READ_LABELS: &[&str] = &["grafana_dashboard", "grafana_datasource"];

/// Where a pod spec names its image pull Secrets.
const PULL_SECRETS: &str = "imagePullSecrets";

/// At most this many places are quoted per missing object.
const MAX_PLACES: usize = 3;

impl Analyzer for ReferenceAnalyzer {
    fn checks(&self) -> &'static [CheckId] {
        CHECKS
    }

    fn analyze(&self, snapshot: &Context<'_>) -> Vec<Finding> {
        let subjects = subjects(snapshot);
        let mut findings = Vec::new();
        for (object, spec) in &subjects {
            findings.extend(missing(snapshot, object, spec));
        }
        findings.extend(unused_config_maps(snapshot, &subjects));
        findings
    }
}

/// One object a pod spec refers to, and where.
#[derive(Debug, Clone)]
struct Reference {
    kind: &'static str,
    name: String,
    place: String,
    /// Marked `optional: true`: the pod starts without it.
    optional: bool,
}

type Key = (String, String, String);

fn key(object: &ObjectRef) -> Key {
    (
        object.kind.clone(),
        object.namespace.clone().unwrap_or_default(),
        object.name.clone(),
    )
}

/// Every pod spec to judge: the workloads' templates, which include the pods no workload in the
/// snapshot controls.
fn subjects<'a>(snapshot: &'a Context<'_>) -> Vec<(ObjectRef, Cow<'a, PodSpec>)> {
    snapshot
        .workloads()
        .map(|w| (w.object.clone(), Cow::Borrowed(&*w.spec)))
        .collect()
}

/// Every reference of a pod spec, in spec order.
fn references(spec: &PodSpec) -> Vec<Reference> {
    let mut out = Vec::new();
    let mut add = |kind, name: &str, place: String, optional: Option<bool>| {
        out.push(Reference {
            kind,
            name: name.to_owned(),
            place,
            optional: optional == Some(true),
        });
    };
    for volume in spec.volumes.iter().flatten() {
        let place = format!("volume {}", volume.name);
        if let Some(c) = &volume.config_map {
            add("ConfigMap", &c.name, place.clone(), c.optional);
        }
        if let Some(s) = &volume.secret {
            add(
                "Secret",
                s.secret_name.as_deref().unwrap_or(""),
                place.clone(),
                s.optional,
            );
        }
        if let Some(c) = &volume.persistent_volume_claim {
            add("PersistentVolumeClaim", &c.claim_name, place.clone(), None);
        }
        let sources = volume
            .projected
            .iter()
            .flat_map(|p| p.sources.iter().flatten());
        for source in sources {
            if let Some(c) = &source.config_map {
                add("ConfigMap", &c.name, place.clone(), c.optional);
            }
            if let Some(s) = &source.secret {
                add("Secret", &s.name, place.clone(), s.optional);
            }
        }
    }
    let init = spec.init_containers.iter().flatten();
    for container in init.chain(spec.containers.iter()) {
        container_references(container, &mut add);
    }
    for secret in spec.image_pull_secrets.iter().flatten() {
        add("Secret", &secret.name, PULL_SECRETS.to_owned(), None);
    }
    #[allow(deprecated)] // `serviceAccount` is the old spelling, still honoured by the API server.
    let account = spec
        .service_account_name
        .as_deref()
        .or(spec.service_account.as_deref());
    add(
        "ServiceAccount",
        account.unwrap_or("default"),
        "serviceAccountName".to_owned(),
        None,
    );
    out.retain(|r| !r.name.is_empty());
    out
}

fn container_references(
    container: &Container,
    add: &mut impl FnMut(&'static str, &str, String, Option<bool>),
) {
    let name = &container.name;
    for from in container.env_from.iter().flatten() {
        let place = format!("envFrom of container {name}");
        if let Some(c) = &from.config_map_ref {
            add("ConfigMap", &c.name, place.clone(), c.optional);
        }
        if let Some(s) = &from.secret_ref {
            add("Secret", &s.name, place, s.optional);
        }
    }
    for var in container.env.iter().flatten() {
        let Some(source) = &var.value_from else {
            continue;
        };
        let place = format!("env {} of container {name}", var.name);
        if let Some(c) = &source.config_map_key_ref {
            add("ConfigMap", &c.name, place.clone(), c.optional);
        }
        if let Some(s) = &source.secret_key_ref {
            add("Secret", &s.name, place, s.optional);
        }
    }
}

/// Whether the object exists; `None` when the snapshot cannot tell because objects of that
/// kind were not listed there (a manifest folder without Secrets, a Secrets list that answered
/// 403, a run scoped to another namespace).
fn exists(cx: &Context<'_>, kind: &str, namespace: Option<&str>, name: &str) -> Option<bool> {
    let ns = namespace;
    match kind {
        "ConfigMap" if SYSTEM_CONFIG_MAPS.contains(&name) => None,
        "ConfigMap" if cx.listed(kind, ns) => Some(get_in(&cx.config_maps, ns, name).is_some()),
        "Secret" if cx.listed(kind, ns) => Some(get_in(&cx.secrets, ns, name).is_some()),
        "PersistentVolumeClaim" if cx.listed(kind, ns) => {
            Some(get_in(&cx.persistent_volume_claims, ns, name).is_some())
        }
        "ServiceAccount" if cx.service_account_in_use(ns, name) => Some(true),
        // Every namespace has its own ServiceAccounts; judge only namespaces that were listed.
        "ServiceAccount"
            if cx.listed(kind, ns)
                && in_namespace(&cx.service_accounts, ns.unwrap_or_default())
                    .next()
                    .is_some() =>
        {
            Some(get_in(&cx.service_accounts, ns, name).is_some())
        }
        _ => None,
    }
}

fn missing(cx: &Context<'_>, object: &ObjectRef, spec: &PodSpec) -> Vec<Finding> {
    let snapshot: &Snapshot = cx;
    // Missing objects in spec order, each with the places that name it.
    let mut found: Vec<((&'static str, String), Vec<String>)> = Vec::new();
    for reference in references(spec).into_iter().filter(|r| !r.optional) {
        if exists(
            cx,
            reference.kind,
            object.namespace.as_deref(),
            &reference.name,
        ) != Some(false)
        {
            continue;
        }
        let id = (reference.kind, reference.name);
        match found.iter_mut().find(|(k, _)| *k == id) {
            Some((_, places)) => places.push(reference.place),
            None => found.push((id, vec![reference.place])),
        }
    }
    if found.is_empty() {
        return Vec::new();
    }
    let events = pod_events(snapshot, object);
    found
        .into_iter()
        .map(|((kind, name), places)| {
            // Every kind a pod spec names is in the core group.
            let missing = ObjectRef::new("v1", kind, object.namespace.as_deref(), name);
            missing_finding(object, kind, &missing.name, places)
                .related(missing)
                .with_events(events.clone())
        })
        .collect()
}

/// The finding for one missing object. A Secret named only in `imagePullSecrets` does not stop
/// the pod: the kubelet pulls without it, which fails only for a private registry.
fn missing_finding(
    object: &ObjectRef,
    kind: &'static str,
    name: &str,
    mut places: Vec<String>,
) -> Finding {
    let namespace = namespace_of(object);
    places.dedup();
    let pull_only = kind == "Secret" && places.iter().all(|p| p == PULL_SECRETS);
    let more = places.len().saturating_sub(MAX_PLACES);
    places.truncate(MAX_PLACES);
    if more > 0 {
        places.push(format!("{more} more"));
    }
    let where_ = places.join(", ");
    let mut message = format!(
        "{} {} refers to {kind} {name}, which does not exist in namespace {namespace} ({where_})",
        object.kind, object.name
    );
    let (reason, severity) = if pull_only {
        message.push_str(
            "; the kubelet pulls images without it, which fails if the registry needs credentials",
        );
        (
            "ImagePullSecretNotFound".to_owned(),
            Some(Severity::Warning),
        )
    } else {
        (format!("{kind}NotFound"), None)
    };
    let found = finding(ids::POD_REFERENCE_MISSING, object, reason, message);
    match severity {
        Some(severity) => found.severity(severity),
        None => found,
    }
}

/// Warning events of the object, else of the first of its pods that has any (a Deployment's
/// pods carry the FailedMount and CreateContainerConfigError events).
fn pod_events(snapshot: &Snapshot, object: &ObjectRef) -> Vec<EventEvidence> {
    let own = evidence::events(snapshot, object);
    if !own.is_empty() || object.kind == "Pod" {
        return own;
    }
    let object_key = key(object);
    in_namespace(&snapshot.pods, namespace_of(object))
        .map(object_ref)
        .filter(|pod| key(&snapshot.root_of(pod)) == object_key)
        .map(|pod| evidence::events(snapshot, &pod))
        .find(|events| !events.is_empty())
        .unwrap_or_default()
}

fn unused_config_maps(
    snapshot: &Snapshot,
    subjects: &[(ObjectRef, Cow<'_, PodSpec>)],
) -> Vec<Finding> {
    let mut used: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let specs = subjects.iter().map(|(o, s)| (namespace_of(o), s.as_ref()));
    let pods = snapshot.pods.iter().filter_map(|p| {
        let namespace = p.metadata.namespace.as_deref().filter(|n| !n.is_empty());
        Some((namespace.unwrap_or("default"), p.spec.as_ref()?))
    });
    for (namespace, spec) in specs.chain(pods) {
        let names = references(spec)
            .into_iter()
            .filter(|r| r.kind == "ConfigMap")
            .map(|r| r.name);
        used.entry(namespace.to_owned()).or_default().extend(names);
    }
    let mut findings = Vec::new();
    for config_map in &snapshot.config_maps {
        let object = object_ref(config_map);
        let namespace = namespace_of(&object);
        // Without the namespace's pods, a ConfigMap that only a bare pod mounts looks unused.
        if !snapshot.listings().is_files() && !snapshot.listed("Pod", Some(namespace)) {
            continue;
        }
        let meta = &config_map.metadata;
        let labels = meta.labels.as_ref();
        let exempt = SYSTEM_CONFIG_MAPS.contains(&object.name.as_str())
            || SYSTEM_NAMESPACES.contains(&namespace)
            || meta
                .owner_references
                .as_ref()
                .is_some_and(|o| !o.is_empty())
            || API_READ_LABELS
                .iter()
                .any(|l| labels.is_some_and(|m| m.contains_key(*l)))
            || used
                .get(namespace)
                .is_some_and(|names| names.contains(&object.name));
        if exempt {
            continue;
        }
        let message = format!(
            "ConfigMap {} is not used by any pod or pod template in namespace {}",
            object.name,
            namespace_of(&object)
        );
        findings.push(finding(ids::CONFIGMAP_UNUSED, &object, "Unused", message));
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pod_without_service_account_name_uses_default_and_optional_refs_are_marked() {
        let spec: PodSpec = serde_json::from_value(serde_json::json!({
            "containers": [{
                "name": "app",
                "envFrom": [{"secretRef": {"name": "extra", "optional": true}}],
                "env": [{"name": "A", "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "a"}}}]
            }]
        }))
        .unwrap();
        let found: Vec<(&str, String, bool)> = references(&spec)
            .into_iter()
            .map(|r| (r.kind, r.name, r.optional))
            .collect();
        assert_eq!(
            found,
            [
                ("Secret", "extra".to_owned(), true),
                ("ConfigMap", "cfg".to_owned(), false),
                ("ServiceAccount", "default".to_owned(), false),
            ]
        );
    }
}
