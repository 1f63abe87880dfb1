//! StatefulSets: the governing Service, the StorageClasses of their claims, and replicas that
//! do not become ready (named by the first pod that is not, with why).

use kubewhy_model::{Finding, ObjectRef};
use kubewhy_source::{
    Snapshot,
    k8s::{apps::v1::StatefulSet, core::v1::Pod},
    object_ref,
};

use super::{GRACE_SECONDS, status_stale};
use crate::{
    Context,
    findings::{Build, finding},
    ids,
    k8s::{conds, namespace_of, not_ready_since, pod_ready, since},
};

pub(super) fn check(cx: &Context<'_>) -> Vec<Finding> {
    let snapshot: &Snapshot = cx;
    let mut findings = Vec::new();
    for set in &snapshot.stateful_sets {
        let object = object_ref(set);
        let namespace = object.namespace.as_deref();
        if let Some(service) = set.spec.service_name.as_deref().filter(|s| !s.is_empty())
            && snapshot.listed("Service", namespace)
            && snapshot.services.get(namespace, service).is_none()
        {
            let message = format!(
                "StatefulSet {} names governing Service {service}, which does not exist in namespace {}",
                object.name,
                namespace_of(&object)
            );
            let service = ObjectRef::new("v1", "Service", namespace, service);
            let found = finding(
                ids::STATEFULSET_SERVICE_MISSING,
                &object,
                "ServiceNotFound",
                message,
            )
            .events(snapshot)
            .related(service);
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
        if class.is_empty()
            || !snapshot.listed("StorageClass", None)
            || snapshot.storage_classes.get(None, class).is_some()
        {
            continue;
        }
        let message = format!(
            "StatefulSet {} uses {what} with StorageClass {class}, which does not exist",
            object.name
        );
        let class = ObjectRef::new("storage.k8s.io/v1", "StorageClass", None, class);
        let found = finding(
            ids::STATEFULSET_STORAGE_CLASS_MISSING,
            object,
            "StorageClassNotFound",
            message,
        )
        .events(snapshot)
        .related(class);
        findings.push(found);
    }
    findings
}

fn not_ready(snapshot: &Snapshot, set: &StatefulSet, object: &ObjectRef) -> Option<Finding> {
    let desired = set.spec.replicas.unwrap_or(1);
    let status = set.status.as_ref()?;
    let ready = status.ready_replicas.unwrap_or(0);
    // A status of an older generation lags behind a scale-up or an update by design.
    if desired == 0
        || ready >= desired
        || status_stale(set.metadata.generation, status.observed_generation)
    {
        return None;
    }
    let uid = set.metadata.uid.as_deref().unwrap_or_default();
    let mut pods: Vec<&Pod> = snapshot.pods.owned_by(uid).collect();
    pods.sort_by_key(|p| ordinal(p.metadata.name.as_deref().unwrap_or_default()));
    let first = pods.iter().copied().find(|p| !pod_ready(p));
    // When every existing pod is ready the next one is yet to be created: the newest pod's
    // creation is when the controller last made progress, not the StatefulSet's own.
    let newest = pods
        .iter()
        .filter_map(|p| p.metadata.creation_timestamp.as_ref())
        .max_by_key(|t| t.0);
    let since_when = match first {
        Some(pod) => not_ready_since(pod),
        None => newest.or(set.metadata.creation_timestamp.as_ref()),
    };
    let age = since(snapshot, since_when)?;
    if age.seconds() < GRACE_SECONDS {
        return None;
    }
    let detail = match first {
        Some(pod) => {
            let name = pod.metadata.name.as_deref().unwrap_or_default();
            format!(
                "pod {name} has not been ready {}: {}",
                age.lasting(),
                why_not_ready(pod)
            )
        }
        None if pods.is_empty() => "none of its pods exists".to_owned(),
        None if age.is_exact() => format!(
            "its other pods were not created in the {} since the newest one",
            age.duration()
        ),
        None => format!(
            "its other pods were not created since the newest one, created {}",
            age.ago()
        ),
    };
    let message = format!(
        "StatefulSet {} has {ready} of {desired} replicas ready; {detail}",
        object.name
    );
    // One fingerprint reason: the pod's own reason flips between runs (ContainerCreating,
    // CrashLoopBackOff, Error...) and would churn the issue; it stays in the message.
    let found = finding(
        ids::STATEFULSET_REPLICAS_NOT_READY,
        object,
        "ReplicasNotReady",
        message,
    )
    .events(snapshot)
    .related_all(first.map(object_ref));
    Some(found)
}

/// `web-10` sorts after `web-9`: pods start in ordinal order, so the lowest one that is not
/// ready is the one holding the others back.
fn ordinal(name: &str) -> (u64, String) {
    let number = name.rsplit('-').next().and_then(|n| n.parse().ok());
    (number.unwrap_or(u64::MAX), name.to_owned())
}

/// Why a pod is not ready: an unscheduled pod's condition, a container's waiting reason, or
/// its phase.
fn why_not_ready(pod: &Pod) -> String {
    let status = pod.status.as_ref();
    let conditions = || conds!(status.and_then(|s| s.conditions.as_ref()));
    if let Some(cond) = conditions().find(|c| c.type_ == "PodScheduled" && c.status == "False") {
        return cond.explain();
    }
    let containers = status.into_iter().flat_map(|s| {
        let init = s.init_container_statuses.iter().flatten();
        init.chain(s.container_statuses.iter().flatten())
    });
    let waiting = containers
        .filter_map(|c| Some((c.name.as_str(), c.state.as_ref()?.waiting.as_ref()?)))
        .find(|(_, w)| w.reason.is_some());
    if let Some((container, w)) = waiting {
        let reason = w.reason.as_deref().unwrap_or_default();
        let message = w
            .message
            .as_deref()
            .map(str::trim)
            .filter(|m| !m.is_empty());
        return match message {
            Some(m) => format!("container {container} is {reason}: {m}"),
            None => format!("container {container} is {reason}"),
        };
    }
    let phase = status.and_then(|s| s.phase.as_deref()).unwrap_or("Unknown");
    conditions()
        .find(|c| c.type_ == "Ready" && c.status != "True")
        .map_or_else(|| format!("phase {phase}"), |c| c.explain())
}
