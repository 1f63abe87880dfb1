//! PodDisruptionBudgets that select no pods, or that allow no disruption even when every pod
//! they cover is healthy, which blocks node drains for good.

use kubewhy_model::{Finding, ObjectRef};
use kubewhy_source::{LabelSelector, Snapshot, k8s::policy::v1::PodDisruptionBudget, object_ref};

use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::{
    Context,
    findings::{Build, finding},
    ids,
    k8s::{in_namespace, namespace_of},
};

pub(super) fn check(cx: &Context<'_>) -> Vec<Finding> {
    let snapshot: &Snapshot = cx;
    let mut findings = Vec::new();
    for pdb in &snapshot.pod_disruption_budgets {
        let object = object_ref(pdb);
        findings.extend(selects_nothing(cx, pdb, &object));
        findings.extend(blocks_disruptions(snapshot, pdb, &object));
    }
    findings
}

fn selects_nothing(
    cx: &Context<'_>,
    pdb: &PodDisruptionBudget,
    object: &ObjectRef,
) -> Option<Finding> {
    let snapshot: &Snapshot = cx;
    let status = pdb.status.as_ref();
    // Without pods in the snapshot (manifests only, or a list that failed), only the
    // controller's count can tell.
    let counted_none = status.and_then(|s| s.expected_pods) == Some(0);
    let unseen = snapshot.pods.is_empty() || !cx.collected("Pod", object.namespace.as_deref());
    if unseen && !counted_none {
        return None;
    }
    // A PDB without a selector selects nothing; an empty selector selects every pod.
    let selector = pdb.spec.as_ref().and_then(|s| s.selector.as_ref());
    let namespace = object.namespace.as_deref().unwrap_or_default();
    if let Some(selector) = selector.map(LabelSelector::from_k8s) {
        let matches = in_namespace(&snapshot.pods, namespace).any(|p| {
            let labels = p.metadata.labels.clone().unwrap_or_default();
            selector.matches(&labels)
        });
        if matches {
            return None;
        }
    }
    let message = format!(
        "PodDisruptionBudget {} selects no pods in namespace {}",
        object.name,
        namespace_of(object)
    );
    Some(finding(ids::PDB_SELECTS_NO_PODS, object, "NoPods", message).events(snapshot))
}

fn blocks_disruptions(
    snapshot: &Snapshot,
    pdb: &PodDisruptionBudget,
    object: &ObjectRef,
) -> Option<Finding> {
    let status = pdb.status.as_ref()?;
    let allowed = status.disruptions_allowed?;
    let healthy = status.current_healthy?;
    let expected = status.expected_pods?;
    if allowed != 0 || expected == 0 || healthy < expected {
        return None;
    }
    let spec = pdb.spec.as_ref();
    let setting = spec
        .and_then(|s| {
            s.min_available
                .as_ref()
                .map(|v| format!("minAvailable {}", int_or_string(v)))
        })
        .or_else(|| {
            spec.and_then(|s| {
                s.max_unavailable
                    .as_ref()
                    .map(|v| format!("maxUnavailable {}", int_or_string(v)))
            })
        })
        .unwrap_or_else(|| "its budget".to_owned());
    let message = format!(
        "PodDisruptionBudget {} allows 0 disruptions although all {expected} of its pods are healthy ({setting}), so no node running them can be drained",
        object.name
    );
    let mut found = finding(
        ids::PDB_BLOCKS_DISRUPTIONS,
        object,
        "ZeroDisruptionsAllowed",
        message,
    )
    .events(snapshot);
    found.evidence.conditions.extend(
        status
            .conditions
            .iter()
            .flatten()
            .filter(|c| c.type_ == "DisruptionAllowed")
            .map(|c| {
                crate::evidence::condition(
                    object,
                    &c.type_,
                    &c.status,
                    Some(&c.reason),
                    Some(&c.message),
                )
            }),
    );
    Some(found)
}

fn int_or_string(value: &IntOrString) -> String {
    match value {
        IntOrString::Int(n) => n.to_string(),
        IntOrString::String(s) => s.clone(),
    }
}
