//! Model volumes: a ReadWriteOnce claim that several pods of one workload mount. A volume that
//! attaches to one node at a time leaves the pods on every other node in ContainerCreating.

use std::collections::BTreeSet;

use kubewhy_model::{Finding, Severity};
use kubewhy_source::{
    Snapshot,
    k8s::core::v1::{PersistentVolumeClaim, Pod},
    object_ref,
};

use super::frameworks;
use crate::{
    evidence,
    findings::finding,
    ids,
    k8s::{describe, pod_accelerators},
    workload::Workload,
};

/// Whether the workload runs ML: a recognized framework or an accelerator request.
fn is_ml(workload: &Workload<'_>) -> bool {
    workload
        .containers()
        .any(|(c, _)| frameworks::recognize(c).is_some())
        || !pod_accelerators(&workload.spec).is_empty()
}

/// The workload's scheduled, running pods in the snapshot.
fn scheduled_pods<'a>(snapshot: &'a Snapshot, workload: &Workload<'_>) -> Vec<(&'a Pod, String)> {
    let namespace = workload.object.namespace.as_deref().unwrap_or_default();
    snapshot
        .pods
        .in_namespace(namespace)
        .iter()
        .filter(|p| {
            let phase = p.status.as_ref().and_then(|s| s.phase.as_deref());
            !matches!(phase, Some("Succeeded" | "Failed"))
                && snapshot.root_of(&object_ref(*p)) == workload.object
        })
        .filter_map(|p| {
            let node = p.spec.as_ref()?.node_name.clone()?;
            Some((p, node))
        })
        .collect()
}

/// The claim's single-attach access mode, unless it also allows attaching to many nodes.
fn single_attach_mode(pvc: &PersistentVolumeClaim) -> Option<&'static str> {
    let modes = pvc
        .spec
        .as_ref()
        .and_then(|s| s.access_modes.as_deref())
        .unwrap_or_default();
    let has = |mode: &str| modes.iter().any(|m| m == mode);
    if has("ReadWriteMany") || has("ReadOnlyMany") {
        None
    } else if has("ReadWriteOncePod") {
        Some("ReadWriteOncePod")
    } else {
        has("ReadWriteOnce").then_some("ReadWriteOnce")
    }
}

/// Reason, message and a severity that overrides the catalog's, when pods of the workload
/// cannot all mount the claim: judged by where its pods run, or by its replicas when the
/// snapshot holds none.
fn verdict(
    workload: &Workload<'_>,
    pods: &[(&Pod, String)],
    mode: &str,
    claim: &str,
) -> Option<(&'static str, String, Option<Severity>)> {
    let nodes: BTreeSet<&str> = pods.iter().map(|(_, node)| node.as_str()).collect();
    let object = describe(&workload.object);
    if pods.is_empty() {
        let many = workload.object.kind == "DaemonSet" || workload.replicas.unwrap_or(1) > 1;
        let replicas = workload.replicas.map_or_else(
            || "one pod per node".to_owned(),
            |r| format!("{r} replicas"),
        );
        let text =
            format!("{object} runs {replicas} that all mount {mode} PersistentVolumeClaim {claim}");
        many.then_some(("SharedByReplicas", text, None))
    } else if nodes.len() > 1 || (mode == "ReadWriteOncePod" && pods.len() > 1) {
        let list: Vec<&str> = nodes.into_iter().collect();
        let text = format!(
            "{object} has {} pods on nodes {} that all mount {mode} PersistentVolumeClaim {claim}",
            pods.len(),
            list.join(", ")
        );
        Some(("SharedAcrossNodes", text, Some(Severity::Error)))
    } else {
        None
    }
}

/// `model-volume-rwo-shared`.
pub(super) fn check(snapshot: &Snapshot, workload: &Workload<'_>) -> Vec<Finding> {
    let mut claims = workload
        .spec
        .volumes
        .iter()
        .flatten()
        .filter_map(|v| v.persistent_volume_claim.as_ref())
        .peekable();
    if claims.peek().is_none() || !is_ml(workload) {
        return Vec::new();
    }
    let namespace = workload.object.namespace.as_deref();
    // Finding the workload's pods walks owner chains: done once, and only for a single-attach
    // claim.
    let mut scheduled = None;
    let mut findings = Vec::new();
    for claim in claims {
        let Some(pvc) = snapshot
            .persistent_volume_claims
            .get(namespace, &claim.claim_name)
        else {
            continue;
        };
        let Some(mode) = single_attach_mode(pvc) else {
            continue;
        };
        let pods: &[(&Pod, String)] =
            scheduled.get_or_insert_with(|| scheduled_pods(snapshot, workload));
        let Some((reason, message, severity)) = verdict(workload, pods, mode, &claim.claim_name)
        else {
            continue;
        };
        let mut found = finding(
            ids::MODEL_VOLUME_RWO_SHARED,
            &workload.object,
            reason,
            message,
        );
        if let Some(severity) = severity {
            found.severity = severity;
        }
        found.related.push(object_ref(pvc));
        let events = pods
            .iter()
            .flat_map(|(p, _)| evidence::events(snapshot, &object_ref(*p)));
        found.evidence.events = events.take(evidence::MAX_EVENTS).collect();
        findings.push(found);
    }
    findings
}
