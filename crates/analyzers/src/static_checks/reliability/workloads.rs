//! Controller-level checks that look at more than one object: replica counts against the
//! autoscalers that own them, PodDisruptionBudget coverage of replicated workloads, and the
//! governing Service of a StatefulSet. Replica counts are judged in manifests only: on a cluster
//! the API server fills `replicas` in, and an autoscaler keeps rewriting it.

use kubewhy_model::{Finding, ObjectRef};
use kubewhy_source::{LabelSelector, Snapshot, k8s::apps::v1::StatefulSet, object_ref};

use super::{
    dangling::{Autoscaler, autoscalers},
    rollout::autoscaler_of,
};
use crate::{
    Context,
    findings::{Build, finding},
    ids,
    k8s::{describe, get_in, headless, in_namespace, namespace_of, service_selects},
    workload::Workload,
};

pub(super) fn check(cx: &Context<'_>) -> Vec<Finding> {
    let snapshot: &Snapshot = cx;
    let hpas = autoscalers(snapshot);
    let mut findings = Vec::new();
    if !cx.live() {
        for d in cx.workloads().filter(|w| w.object.kind == "Deployment") {
            findings.extend(replicas(snapshot, &hpas, d));
        }
    }
    if cx.enabled(ids::WORKLOAD_NO_PDB) {
        let replicated = cx
            .workloads()
            .filter(|w| matches!(w.object.kind.as_str(), "Deployment" | "StatefulSet"));
        for w in replicated {
            findings.extend(no_pdb(cx, &hpas, w));
        }
    }
    for set in &snapshot.stateful_sets {
        findings.extend(governing_service(snapshot, set));
    }
    findings
}

/// A Deployment whose `replicas` fights its autoscaler, or that leaves its size to the default.
fn replicas(snapshot: &Snapshot, hpas: &[Autoscaler], d: &Workload<'_>) -> Option<Finding> {
    let object = &d.object;
    match (d.replicas, autoscaler_of(snapshot, hpas, object)) {
        (Some(n), Some((autoscaler, _))) if n > 0 => {
            let message = format!(
                "{} sets replicas to {n}, but {} scales it: every apply of the manifest resets the size the autoscaler chose.",
                describe(object),
                describe(&autoscaler)
            );
            Some(
                finding(
                    ids::DEPLOYMENT_REPLICAS_CONFLICT_HPA,
                    object,
                    "ReplicasWithAutoscaler",
                    message,
                )
                .related(autoscaler),
            )
        }
        (None, None) => {
            let message = format!(
                "{} does not set replicas and no autoscaler scales it, so it runs a single pod.",
                describe(object)
            );
            Some(finding(
                ids::DEPLOYMENT_REPLICAS_UNSET,
                object,
                "ReplicasUnset",
                message,
            ))
        }
        _ => None,
    }
}

/// A Deployment or StatefulSet of at least two pods (its autoscaler's floor, else its
/// `replicas`) that no PodDisruptionBudget of its namespace covers.
fn no_pdb(cx: &Context<'_>, hpas: &[Autoscaler], w: &Workload<'_>) -> Option<Finding> {
    let namespace = w.object.namespace.as_deref();
    if !cx.collected("PodDisruptionBudget", namespace) {
        return None;
    }
    let pods = autoscaler_of(cx, hpas, &w.object).map_or(w.replicas.unwrap_or(1), |(_, f)| f);
    if pods < 2 {
        return None;
    }
    let labels = w.labels();
    let covered = in_namespace(&cx.pod_disruption_budgets, namespace_of(&w.object)).any(|p| {
        p.spec
            .as_ref()
            .and_then(|s| s.selector.as_ref())
            .is_some_and(|s| LabelSelector::from_k8s(s).matches(labels))
    });
    (!covered).then(|| {
        let message = format!(
            "{} runs {pods} pods, and no PodDisruptionBudget covers them, so a node drain may evict all of them at once.",
            describe(&w.object)
        );
        finding(ids::WORKLOAD_NO_PDB, &w.object, "NoPodDisruptionBudget", message)
    })
}

/// The governing Service of a StatefulSet exists but does not give its pods their DNS names:
/// it is not headless, or it does not select the StatefulSet's pods. A missing Service is
/// `statefulset-service-missing`'s.
fn governing_service(snapshot: &Snapshot, set: &StatefulSet) -> Option<Finding> {
    let name = set.spec.service_name.as_deref().filter(|s| !s.is_empty())?;
    let object = object_ref(set);
    let service = get_in(&snapshot.services, object.namespace.as_deref(), name)?;
    let labels = set
        .spec
        .template
        .metadata
        .as_ref()
        .and_then(|m| m.labels.clone())
        .unwrap_or_default();
    let (reason, problem) = if !headless(service) {
        ("ServiceNotHeadless", "is not headless (clusterIP: None)")
    } else if !service_selects(service, &labels) {
        ("ServiceSelectsOtherPods", "does not select its pods")
    } else {
        return None;
    };
    let message = format!(
        "{} names Service {name} as its governing Service, which {problem}, so its pods get no stable DNS names.",
        describe(&object)
    );
    let related = ObjectRef::new("v1", "Service", object.namespace.as_deref(), name);
    Some(
        finding(
            ids::STATEFULSET_SERVICE_NOT_HEADLESS,
            &object,
            reason,
            message,
        )
        .related(related),
    )
}
