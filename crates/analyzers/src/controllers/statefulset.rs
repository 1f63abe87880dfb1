//! StatefulSets: the governing Service, the StorageClasses of their claims, and replicas that
//! do not become ready (named by the first pod that is not, with why).

use kubewhy_model::{Finding, ObjectRef};
use kubewhy_source::{
    Snapshot,
    k8s::{apps::v1::StatefulSet, core::v1::Pod},
    object_ref,
};

use super::{GRACE_SECONDS, age_seconds, deployment::pod_ready, finding, human_duration};

pub(super) fn check(snapshot: &Snapshot) -> Vec<Finding> {
    let mut findings = Vec::new();
    for set in &snapshot.stateful_sets {
        let object = object_ref(set);
        let namespace = object.namespace.as_deref();
        if let Some(service) = set.spec.service_name.as_deref().filter(|s| !s.is_empty())
            && snapshot.services.get(namespace, service).is_none()
        {
            let message = format!(
                "StatefulSet {} names governing Service {service}, which does not exist in namespace {}",
                object.name,
                namespace.unwrap_or("default")
            );
            let mut found = finding(
                snapshot,
                "statefulset-service-missing",
                &object,
                "ServiceNotFound",
                message,
            );
            found.related.push(ObjectRef {
                api_version: "v1".into(),
                kind: "Service".into(),
                namespace: object.namespace.clone(),
                name: service.to_owned(),
                uid: None,
            });
            findings.push(found);
        }
        findings.extend(missing_storage_classes(snapshot, set, &object));
        findings.extend(not_ready(snapshot, set, &object));
    }
    findings
}

/// Claims of the StatefulSet (its templates, and claims its pod template mounts) whose
/// StorageClass does not exist. A claim without `storageClassName` uses the default class.
fn missing_storage_classes(
    snapshot: &Snapshot,
    set: &StatefulSet,
    object: &ObjectRef,
) -> Vec<Finding> {
    let namespace = object.namespace.as_deref();
    let templates = set.spec.volume_claim_templates.iter().flatten().map(|t| {
        let name = t.metadata.name.clone().unwrap_or_default();
        (format!("volumeClaimTemplate {name}"), t.spec.as_ref())
    });
    let mounted = set
        .spec
        .template
        .spec
        .iter()
        .flat_map(|s| s.volumes.iter().flatten());
    let claims = mounted.filter_map(|v| {
        let claim = &v.persistent_volume_claim.as_ref()?.claim_name;
        let pvc = snapshot.persistent_volume_claims.get(namespace, claim)?;
        // A bound claim has its volume already: the class no longer matters.
        let bound = pvc.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Bound");
        (!bound).then(|| (format!("PersistentVolumeClaim {claim}"), pvc.spec.as_ref()))
    });
    let mut findings = Vec::new();
    for (what, spec) in templates.chain(claims) {
        let Some(class) = spec.and_then(|s| s.storage_class_name.as_deref()) else {
            continue;
        };
        // "" asks for no dynamic provisioning; that is not a class name.
        if class.is_empty() || snapshot.storage_classes.get(None, class).is_some() {
            continue;
        }
        let message = format!(
            "StatefulSet {} uses {what} with StorageClass {class}, which does not exist",
            object.name
        );
        let mut found = finding(
            snapshot,
            "statefulset-storage-class-missing",
            object,
            "StorageClassNotFound",
            message,
        );
        found.related.push(ObjectRef {
            api_version: "storage.k8s.io/v1".into(),
            kind: "StorageClass".into(),
            namespace: None,
            name: class.to_owned(),
            uid: None,
        });
        findings.push(found);
    }
    findings
}

fn not_ready(snapshot: &Snapshot, set: &StatefulSet, object: &ObjectRef) -> Option<Finding> {
    let desired = set.spec.replicas.unwrap_or(1);
    let ready = set.status.as_ref()?.ready_replicas.unwrap_or(0);
    if desired == 0 || ready >= desired {
        return None;
    }
    let uid = set.metadata.uid.as_deref().unwrap_or_default();
    let mut pods: Vec<&Pod> = snapshot.pods.owned_by(uid).collect();
    pods.sort_by_key(|p| ordinal(p.metadata.name.as_deref().unwrap_or_default()));
    let first = pods.iter().copied().find(|p| !pod_ready(p));
    let since = first.map_or(set.metadata.creation_timestamp.as_ref(), not_ready_since);
    let age = age_seconds(snapshot, since)?;
    if age < GRACE_SECONDS {
        return None;
    }
    let (reason, detail) = match first {
        Some(pod) => {
            let (reason, why) = why_not_ready(pod);
            let name = pod.metadata.name.as_deref().unwrap_or_default();
            (
                reason,
                format!(
                    "pod {name} has not been ready for {}: {why}",
                    human_duration(age)
                ),
            )
        }
        None if pods.is_empty() => ("NoPods".to_owned(), "none of its pods exists".to_owned()),
        None => (
            "PodsMissing".to_owned(),
            "its other pods were not created".to_owned(),
        ),
    };
    let message = format!(
        "StatefulSet {} has {ready} of {desired} replicas ready; {detail}",
        object.name
    );
    let mut found = finding(
        snapshot,
        "statefulset-replicas-not-ready",
        object,
        &reason,
        message,
    );
    found.related.extend(first.map(object_ref));
    Some(found)
}

/// `web-10` sorts after `web-9`: pods start in ordinal order, so the lowest one that is not
/// ready is the one holding the others back.
fn ordinal(name: &str) -> (u64, String) {
    let number = name.rsplit('-').next().and_then(|n| n.parse().ok());
    (number.unwrap_or(u64::MAX), name.to_owned())
}

fn not_ready_since(pod: &Pod) -> Option<&kubewhy_source::meta::Time> {
    let status = pod.status.as_ref();
    conds!(status.and_then(|s| s.conditions.as_ref()))
        .find(|c| c.type_ == "Ready")
        .and_then(|c| c.since)
        .or(pod.metadata.creation_timestamp.as_ref())
}

/// Why a pod is not ready: a short token (an unscheduled pod's reason, a container's waiting
/// reason, or its phase) and the sentence that explains it.
fn why_not_ready(pod: &Pod) -> (String, String) {
    let status = pod.status.as_ref();
    let conditions = || conds!(status.and_then(|s| s.conditions.as_ref()));
    if let Some(cond) = conditions().find(|c| c.type_ == "PodScheduled" && c.status == "False") {
        return (
            cond.reason.unwrap_or("Unschedulable").to_owned(),
            cond.explain(),
        );
    }
    let containers = status.into_iter().flat_map(|s| {
        let init = s.init_container_statuses.iter().flatten();
        init.chain(s.container_statuses.iter().flatten())
    });
    let waiting = containers
        .filter_map(|c| Some((c.name.as_str(), c.state.as_ref()?.waiting.as_ref()?)))
        .find(|(_, w)| w.reason.is_some());
    if let Some((container, w)) = waiting {
        let reason = w.reason.clone().unwrap_or_default();
        let message = w
            .message
            .as_deref()
            .map(str::trim)
            .filter(|m| !m.is_empty());
        let text = match message {
            Some(m) => format!("container {container} is {reason}: {m}"),
            None => format!("container {container} is {reason}"),
        };
        return (reason, text);
    }
    let phase = status
        .and_then(|s| s.phase.clone())
        .unwrap_or_else(|| "Unknown".to_owned());
    let text = conditions()
        .find(|c| c.type_ == "Ready" && c.status != "True")
        .map_or_else(|| format!("phase {phase}"), |c| c.explain());
    (phase, text)
}
