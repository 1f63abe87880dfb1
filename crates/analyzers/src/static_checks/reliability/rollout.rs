//! Availability through rollouts and disruptions: replica counts, autoscaler floors, update
//! strategies, PodDisruptionBudgets, finished-Job cleanup and API versions that no longer exist.

use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kubewhy_model::{Finding, KubernetesVersion, ObjectRef};
use kubewhy_source::{
    LabelSelector, Snapshot, dynamic_ref, k8s::policy::v1::PodDisruptionBudget, object_ref,
};

use std::collections::BTreeMap;

use super::dangling::{Autoscaler, autoscalers};
use crate::{Context, findings::finding, ids, k8s::dynamic_of_kind};

/// API versions that Kubernetes no longer serves, with the kinds an entry covers (none: every
/// kind) and the release that removed them. Where one group/version lost its kinds in different
/// releases, the kind-specific rows come first.
const REMOVED_APIS: &[(&str, &[&str], &str)] = &[
    (
        "extensions/v1beta1",
        &[
            "Deployment",
            "DaemonSet",
            "ReplicaSet",
            "NetworkPolicy",
            "PodSecurityPolicy",
        ],
        "1.16",
    ),
    ("extensions/v1beta1", &[], "1.22"),
    ("apps/v1beta1", &[], "1.16"),
    ("apps/v1beta2", &[], "1.16"),
    ("networking.k8s.io/v1beta1", &[], "1.22"),
    ("rbac.authorization.k8s.io/v1beta1", &[], "1.22"),
    ("admissionregistration.k8s.io/v1beta1", &[], "1.22"),
    ("apiextensions.k8s.io/v1beta1", &[], "1.22"),
    ("apiregistration.k8s.io/v1beta1", &[], "1.22"),
    ("authentication.k8s.io/v1beta1", &[], "1.22"),
    ("authorization.k8s.io/v1beta1", &[], "1.22"),
    ("scheduling.k8s.io/v1beta1", &[], "1.22"),
    ("certificates.k8s.io/v1beta1", &[], "1.22"),
    ("coordination.k8s.io/v1beta1", &[], "1.22"),
    ("storage.k8s.io/v1beta1", &["CSIStorageCapacity"], "1.27"),
    ("storage.k8s.io/v1beta1", &[], "1.22"),
    ("policy/v1beta1", &[], "1.25"),
    ("batch/v1beta1", &[], "1.25"),
    ("autoscaling/v2beta1", &[], "1.25"),
    ("discovery.k8s.io/v1beta1", &[], "1.25"),
    ("events.k8s.io/v1beta1", &[], "1.25"),
    ("node.k8s.io/v1beta1", &[], "1.25"),
    ("autoscaling/v2beta2", &[], "1.26"),
    ("flowcontrol.apiserver.k8s.io/v1beta1", &[], "1.26"),
    ("flowcontrol.apiserver.k8s.io/v1beta2", &[], "1.29"),
    ("flowcontrol.apiserver.k8s.io/v1beta3", &[], "1.32"),
];

/// The release that removed this API version of this kind, if any.
fn removed_in(api_version: &str, kind: &str) -> Option<&'static str> {
    REMOVED_APIS
        .iter()
        .find(|(v, kinds, _)| *v == api_version && (kinds.is_empty() || kinds.contains(&kind)))
        .map(|(_, _, release)| *release)
}

/// A replicated object as written: the labels of its pods and its replica count.
struct Replicated {
    object: ObjectRef,
    labels: BTreeMap<String, String>,
    replicas: i32,
}

pub(super) fn check(cx: &Context<'_>) -> Vec<Finding> {
    let snapshot: &Snapshot = cx;
    let hpas = autoscalers(snapshot);
    let replicated = replicated(cx);
    let mut findings = Vec::new();
    // Policies, off by default: skipped unless asked for, as they fire on most workloads.
    if cx.enabled(ids::REPLICAS_BELOW_THREE) || cx.enabled(ids::HPA_MIN_REPLICAS_BELOW_THREE) {
        findings.extend(replicas(snapshot, &replicated, &hpas));
    }
    if cx.enabled(ids::ROLLOUT_STRATEGY_NOT_ROLLING) {
        findings.extend(strategies(snapshot));
    }
    for pdb in &snapshot.pod_disruption_budgets {
        findings.extend(disruption_budget(snapshot, pdb, &replicated, &hpas));
    }
    if cx.enabled(ids::JOB_TTL_MISCONFIGURED) {
        findings.extend(jobs(snapshot));
    }
    findings.extend(removed_versions(snapshot));
    findings
}

/// Objects written in an API version the cluster's release no longer serves. Objects that were
/// converted on reading (an `extensions/v1beta1` Deployment is analysed as `apps/v1`) are
/// judged by the version they were written in; the release is the cluster's own when the source
/// says (`/version`, a bundle's record, `--kubernetes-version`), else the latest.
fn removed_versions(snapshot: &Snapshot) -> Vec<Finding> {
    let cluster = snapshot.kubernetes_version();
    let converted = snapshot
        .written_api_versions()
        .map(|(object, written)| (object.clone(), written.to_owned()));
    let dynamic = snapshot.dynamic.iter().map(|object| {
        let reference = dynamic_ref(object);
        let written = reference.api_version.clone();
        (reference, written)
    });
    let mut objects: Vec<(ObjectRef, String)> = converted.chain(dynamic).collect();
    objects.sort_by(|(a, _), (b, _)| {
        (&a.namespace, &a.kind, &a.name).cmp(&(&b.namespace, &b.kind, &b.name))
    });
    let mut findings = Vec::new();
    for (reference, written) in objects {
        let Some(release) = removed_in(&written, &reference.kind) else {
            continue;
        };
        // A release before the removal still serves the version.
        if release
            .parse::<KubernetesVersion>()
            .is_ok_and(|removed| cluster.version < removed)
        {
            continue;
        }
        let message = format!(
            "{reference} uses the API version {written}, which Kubernetes {release} removed; {}.",
            cluster.describe()
        );
        findings.push(finding(
            ids::API_VERSION_REMOVED,
            &reference,
            "RemovedApiVersion",
            message,
        ));
    }
    findings
}

/// Deployments, StatefulSets, DeploymentConfigs, and ReplicaSets and ReplicationControllers
/// that nothing owns, from the workload index, with one replica where `replicas` is unset. Their
/// pods carry the pod template's labels over the selector's `matchLabels`, for manifests
/// written without template labels (as kube-linter reads them).
fn replicated(cx: &Context<'_>) -> Vec<Replicated> {
    cx.pod_makers()
        .iter()
        .filter(|w| match w.object.kind.as_str() {
            "Deployment" | "StatefulSet" | "DeploymentConfig" => true,
            "ReplicaSet" | "ReplicationController" => w.meta.owner_references.is_none(),
            _ => false,
        })
        .map(|w| {
            let mut labels = w.match_labels.as_deref().cloned().unwrap_or_default();
            labels.extend(w.labels().clone());
            Replicated {
                object: w.object.clone(),
                labels,
                replicas: w.replicas.unwrap_or(1),
            }
        })
        .collect()
}

fn targets(hpa: &Autoscaler, object: &ObjectRef) -> bool {
    hpa.target_kind == object.kind
        && hpa.target_name == object.name
        && hpa.object.namespace == object.namespace
}

fn replicas(snapshot: &Snapshot, replicated: &[Replicated], hpas: &[Autoscaler]) -> Vec<Finding> {
    let mut out = Vec::new();
    // An autoscaler owns the replica count of its target; its floor is judged instead.
    for r in replicated
        .iter()
        .filter(|r| r.replicas < 3 && autoscaler_floor(snapshot, hpas, &r.object).is_none())
    {
        let message = format!(
            "{} runs {}, fewer than three.",
            r.object,
            replicas_text(r.replicas)
        );
        out.push(finding(
            ids::REPLICAS_BELOW_THREE,
            &r.object,
            "FewReplicas",
            message,
        ));
    }
    for hpa in hpas {
        let min = hpa.min_replicas.unwrap_or(1);
        if min < 3 {
            let message = format!(
                "{} may scale down to {}, fewer than three.",
                hpa.object,
                replicas_text(min)
            );
            out.push(finding(
                ids::HPA_MIN_REPLICAS_BELOW_THREE,
                &hpa.object,
                "LowMinReplicas",
                message,
            ));
        }
    }
    out
}

fn replicas_text(n: i32) -> String {
    if n == 1 {
        "1 replica".to_owned()
    } else {
        format!("{n} replicas")
    }
}

fn strategies(snapshot: &Snapshot) -> Vec<Finding> {
    let mut written: Vec<(ObjectRef, String)> = Vec::new();
    for d in &snapshot.deployments {
        written.extend(
            d.spec
                .strategy
                .as_ref()
                .and_then(|s| s.type_.clone())
                .map(|t| (object_ref(d), t)),
        );
    }
    for s in &snapshot.stateful_sets {
        written.extend(
            s.spec
                .update_strategy
                .as_ref()
                .and_then(|s| s.type_.clone())
                .map(|t| (object_ref(s), t)),
        );
    }
    for d in &snapshot.daemon_sets {
        written.extend(
            d.spec
                .update_strategy
                .as_ref()
                .and_then(|s| s.type_.clone())
                .map(|t| (object_ref(d), t)),
        );
    }
    for d in dynamic_of_kind(snapshot, "DeploymentConfig") {
        let kind = d
            .data
            .pointer("/spec/strategy/type")
            .and_then(serde_json::Value::as_str);
        written.extend(kind.map(|t| (dynamic_ref(d), t.to_owned())));
    }
    written
        .into_iter()
        .filter(|(_, kind)| kind != "RollingUpdate" && kind != "Rolling")
        .map(|(object, kind)| {
            let message =
                format!("{object} uses the {kind} update strategy instead of a rolling update.");
            finding(
                ids::ROLLOUT_STRATEGY_NOT_ROLLING,
                &object,
                "NotRolling",
                message,
            )
        })
        .collect()
}

fn disruption_budget(
    snapshot: &Snapshot,
    pdb: &PodDisruptionBudget,
    replicated: &[Replicated],
    hpas: &[Autoscaler],
) -> Vec<Finding> {
    let Some(spec) = &pdb.spec else {
        return Vec::new();
    };
    let object = object_ref(pdb);
    let mut out = Vec::new();
    if matches!(&spec.max_unavailable, Some(IntOrString::Int(0)))
        || matches!(&spec.max_unavailable, Some(IntOrString::String(s)) if s == "0%" || s == "0")
    {
        let message =
            format!("{object} sets maxUnavailable to 0, so no pod it covers can ever be evicted.");
        out.push(finding(
            ids::PDB_MAX_UNAVAILABLE_ZERO,
            &object,
            "MaxUnavailableZero",
            message,
        ));
    }
    if spec.unhealthy_pod_eviction_policy.is_none() {
        let message = format!("{object} does not set unhealthyPodEvictionPolicy.");
        out.push(finding(
            ids::PDB_UNHEALTHY_EVICTION_POLICY_UNSET,
            &object,
            "PolicyUnset",
            message,
        ));
    }
    let blocks = min_available(snapshot, pdb, replicated, hpas);
    if blocks.is_empty() {
        out.extend(every_pod_required(pdb));
    }
    out.extend(blocks);
    out
}

/// `minAvailable: 100%` blocks every eviction whatever runs under it: judged even when no
/// workload in the snapshot matches the selector (a PDB shipped apart from its workload).
fn every_pod_required(pdb: &PodDisruptionBudget) -> Option<Finding> {
    let spec = pdb.spec.as_ref()?;
    spec.selector.as_ref()?;
    let all = matches!(&spec.min_available, Some(IntOrString::String(s)) if s.trim() == "100%");
    all.then(|| {
        let object = object_ref(pdb);
        let message =
            format!("{object} sets minAvailable to 100%, so no pod it covers can ever be evicted.");
        finding(
            ids::PDB_MIN_AVAILABLE_BLOCKS_EVICTION,
            &object,
            "MinAvailableAll",
            message,
        )
    })
}

/// `minAvailable` at or above the fewest pods of a workload the PDB covers.
fn min_available(
    snapshot: &Snapshot,
    pdb: &PodDisruptionBudget,
    replicated: &[Replicated],
    hpas: &[Autoscaler],
) -> Vec<Finding> {
    let object = object_ref(pdb);
    let spec = pdb.spec.as_ref();
    let selector = spec
        .and_then(|s| s.selector.as_ref())
        .map(LabelSelector::from_k8s)
        .filter(|s| !s.is_empty());
    let (Some(min), Some(selector)) = (spec.and_then(|s| s.min_available.as_ref()), selector)
    else {
        return Vec::new();
    };
    let mut out = Vec::new();
    // The PDB covers the pods, so it is matched against the pod template labels.
    for r in replicated
        .iter()
        .filter(|r| r.object.namespace == object.namespace && selector.matches(&r.labels))
    {
        let floor = autoscaler_floor(snapshot, hpas, &r.object).unwrap_or(r.replicas);
        // A workload scaled to zero has no pods to evict; judge it at its first pod.
        let replicas = floor.max(1);
        let needed = match min {
            IntOrString::Int(n) => i64::from(*n),
            IntOrString::String(s) => {
                // A malformed percentage is the API server's to reject, not a zero.
                let Ok(percent) = s.trim_end_matches('%').parse::<i64>() else {
                    continue;
                };
                (i64::from(replicas) * percent + 99) / 100
            }
        };
        if i64::from(replicas) <= needed {
            let message = format!(
                "{object} requires {needed} available pods, but {} can run as few as {replicas}, so its pods can never be evicted.",
                r.object
            );
            let mut f = finding(
                ids::PDB_MIN_AVAILABLE_BLOCKS_EVICTION,
                &object,
                "MinAvailableTooHigh",
                message,
            );
            f.related.push(r.object.clone());
            out.push(f);
        }
    }
    out
}

/// The floor of the autoscaler that owns an object's replica count: an HPA's `minReplicas`
/// (default 1) or a KEDA ScaledObject's `minReplicaCount` (default 0). None when nothing
/// autoscales it.
pub(super) fn autoscaler_floor(
    snapshot: &Snapshot,
    hpas: &[Autoscaler],
    object: &ObjectRef,
) -> Option<i32> {
    autoscaler_of(snapshot, hpas, object).map(|(_, floor)| floor)
}

/// The HorizontalPodAutoscaler or KEDA ScaledObject that owns an object's replica count, with
/// its floor (see [`autoscaler_floor`]).
pub(super) fn autoscaler_of(
    snapshot: &Snapshot,
    hpas: &[Autoscaler],
    object: &ObjectRef,
) -> Option<(ObjectRef, i32)> {
    if let Some(hpa) = hpas.iter().find(|h| targets(h, object)) {
        return Some((hpa.object.clone(), hpa.min_replicas.unwrap_or(1)));
    }
    let keda = dynamic_of_kind(snapshot, "ScaledObject").find(|s| {
        let target = |field: &str| {
            s.data
                .pointer(&format!("/spec/scaleTargetRef/{field}"))
                .and_then(serde_json::Value::as_str)
        };
        target("kind").unwrap_or("Deployment") == object.kind
            && target("name") == Some(object.name.as_str())
            && s.metadata.namespace == object.namespace
    })?;
    let min = keda
        .data
        .pointer("/spec/minReplicaCount")
        .and_then(serde_json::Value::as_i64);
    let floor = min.and_then(|n| i32::try_from(n).ok()).unwrap_or(0);
    Some((dynamic_ref(keda), floor))
}

/// Annotations under which Helm or Argo CD delete a hook Job themselves.
const HOOK_DELETE_POLICIES: &[&str] = &[
    "helm.sh/hook-delete-policy",
    "argocd.argoproj.io/hook-delete-policy",
];

/// A Job whose cleanup is someone else's: one a CronJob or any other controller owns, or a Helm
/// or Argo CD hook with a delete policy.
fn managed(job: &kubewhy_source::k8s::batch::v1::Job) -> bool {
    let owners = job.metadata.owner_references.iter().flatten();
    let hooked = job
        .metadata
        .annotations
        .as_ref()
        .is_some_and(|a| HOOK_DELETE_POLICIES.iter().any(|k| a.contains_key(*k)));
    hooked || { owners }.any(|o| o.kind == "CronJob" || o.controller == Some(true))
}

fn jobs(snapshot: &Snapshot) -> Vec<Finding> {
    let mut out = Vec::new();
    for job in &snapshot.jobs {
        if !managed(job)
            && job
                .spec
                .as_ref()
                .is_some_and(|s| s.ttl_seconds_after_finished.is_none())
        {
            let object = object_ref(job);
            let message = format!(
                "{object} is a standalone Job without ttlSecondsAfterFinished, so it is kept forever once finished."
            );
            out.push(finding(
                ids::JOB_TTL_MISCONFIGURED,
                &object,
                "StandaloneJobNoTtl",
                message,
            ));
        }
    }
    for cron in &snapshot.cron_jobs {
        if cron
            .spec
            .job_template
            .spec
            .as_ref()
            .is_some_and(|s| s.ttl_seconds_after_finished.is_some())
        {
            let object = object_ref(cron);
            let message = format!(
                "The Job template of {object} sets ttlSecondsAfterFinished, which competes with the CronJob's history limits."
            );
            out.push(finding(
                ids::JOB_TTL_MISCONFIGURED,
                &object,
                "CronJobTtlSet",
                message,
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::removed_in;

    #[test]
    fn removal_release_depends_on_kind_where_it_differs() {
        assert_eq!(removed_in("extensions/v1beta1", "Deployment"), Some("1.16"));
        assert_eq!(removed_in("extensions/v1beta1", "Ingress"), Some("1.22"));
        assert_eq!(
            removed_in("storage.k8s.io/v1beta1", "CSIStorageCapacity"),
            Some("1.27")
        );
        assert_eq!(
            removed_in("storage.k8s.io/v1beta1", "StorageClass"),
            Some("1.22")
        );
        assert_eq!(
            removed_in("flowcontrol.apiserver.k8s.io/v1beta3", "FlowSchema"),
            Some("1.32")
        );
        assert_eq!(removed_in("apps/v1", "Deployment"), None);
    }
}
