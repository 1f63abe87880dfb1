//! Availability through rollouts and disruptions: replica counts, autoscaler floors, update
//! strategies, PodDisruptionBudgets, finished-Job cleanup and API versions that no longer exist.

use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kubewhy_model::{Finding, ObjectRef};
use kubewhy_source::{
    LabelSelector, Snapshot, dynamic_ref, k8s::policy::v1::PodDisruptionBudget, object_ref,
};

use super::dangling::{Autoscaler, autoscalers};
use super::{dynamic_of_kind, finding};
use crate::Context;

/// API versions that Kubernetes no longer serves, with the release that removed them.
const REMOVED_APIS: &[(&str, &str)] = &[
    ("extensions/v1beta1", "1.22"),
    ("apps/v1beta1", "1.16"),
    ("apps/v1beta2", "1.16"),
    ("networking.k8s.io/v1beta1", "1.22"),
    ("rbac.authorization.k8s.io/v1beta1", "1.22"),
    ("admissionregistration.k8s.io/v1beta1", "1.22"),
    ("apiextensions.k8s.io/v1beta1", "1.22"),
    ("scheduling.k8s.io/v1beta1", "1.22"),
    ("certificates.k8s.io/v1beta1", "1.22"),
    ("coordination.k8s.io/v1beta1", "1.22"),
    ("policy/v1beta1", "1.25"),
    ("batch/v1beta1", "1.25"),
    ("autoscaling/v2beta1", "1.25"),
    ("discovery.k8s.io/v1beta1", "1.25"),
    ("events.k8s.io/v1beta1", "1.25"),
    ("autoscaling/v2beta2", "1.26"),
    ("flowcontrol.apiserver.k8s.io/v1beta1", "1.26"),
    ("flowcontrol.apiserver.k8s.io/v1beta2", "1.29"),
];

/// A replicated object as written: its selector labels, pod labels and replica count.
struct Replicated {
    object: ObjectRef,
    selector_labels: std::collections::BTreeMap<String, String>,
    replicas: i32,
}

pub(super) fn check(cx: &Context<'_>) -> Vec<Finding> {
    let snapshot: &Snapshot = cx;
    let hpas = autoscalers(snapshot);
    let replicated = replicated(snapshot);
    let mut findings = Vec::new();
    // Policies, off by default: skipped unless asked for, as they fire on most workloads.
    if cx.enabled("replicas-below-three") || cx.enabled("hpa-min-replicas-below-three") {
        findings.extend(replicas(&replicated, &hpas));
    }
    if cx.enabled("rollout-strategy-not-rolling") {
        findings.extend(strategies(snapshot));
    }
    for pdb in &snapshot.pod_disruption_budgets {
        findings.extend(disruption_budget(snapshot, pdb, &replicated, &hpas));
    }
    if cx.enabled("job-ttl-misconfigured") {
        findings.extend(jobs(snapshot));
    }
    for object in &snapshot.dynamic {
        let reference = dynamic_ref(object);
        if let Some((_, release)) = REMOVED_APIS
            .iter()
            .find(|(v, _)| *v == reference.api_version)
        {
            let message = format!(
                "{reference} uses the API version {}, which Kubernetes {release} removed.",
                reference.api_version
            );
            findings.push(finding(
                "api-version-removed",
                reference,
                "RemovedApiVersion",
                message,
            ));
        }
    }
    findings
}

/// Deployments, StatefulSets, DeploymentConfigs and uncontrolled ReplicaSets and
/// ReplicationControllers, with one replica where `replicas` is unset.
fn replicated(snapshot: &Snapshot) -> Vec<Replicated> {
    let labels =
        |s: &kubewhy_source::meta::LabelSelector| s.match_labels.clone().unwrap_or_default();
    let mut out = Vec::new();
    for d in &snapshot.deployments {
        out.push(Replicated {
            object: object_ref(d),
            selector_labels: labels(&d.spec.selector),
            replicas: d.spec.replicas.unwrap_or(1),
        });
    }
    for s in &snapshot.stateful_sets {
        out.push(Replicated {
            object: object_ref(s),
            selector_labels: labels(&s.spec.selector),
            replicas: s.spec.replicas.unwrap_or(1),
        });
    }
    for r in snapshot
        .replica_sets
        .iter()
        .filter(|r| r.metadata.owner_references.is_none())
    {
        out.push(Replicated {
            object: object_ref(r),
            selector_labels: labels(&r.spec.selector),
            replicas: r.spec.replicas.unwrap_or(1),
        });
    }
    for r in snapshot
        .replication_controllers
        .iter()
        .filter(|r| r.metadata.owner_references.is_none())
    {
        let spec = r.spec.as_ref();
        out.push(Replicated {
            object: object_ref(r),
            selector_labels: spec.and_then(|s| s.selector.clone()).unwrap_or_default(),
            replicas: spec.and_then(|s| s.replicas).unwrap_or(1),
        });
    }
    for d in dynamic_of_kind(snapshot, "DeploymentConfig") {
        let replicas = d
            .data
            .pointer("/spec/replicas")
            .and_then(serde_json::Value::as_i64);
        out.push(Replicated {
            object: dynamic_ref(d),
            selector_labels: d
                .data
                .pointer("/spec/selector")
                .and_then(|s| serde_json::from_value(s.clone()).ok())
                .unwrap_or_default(),
            replicas: replicas.and_then(|n| i32::try_from(n).ok()).unwrap_or(1),
        });
    }
    out
}

fn targets(hpa: &Autoscaler, object: &ObjectRef) -> bool {
    hpa.target_kind == object.kind
        && hpa.target_name == object.name
        && hpa.object.namespace == object.namespace
}

fn replicas(replicated: &[Replicated], hpas: &[Autoscaler]) -> Vec<Finding> {
    let mut out = Vec::new();
    // An autoscaler owns the replica count of its target; its floor is judged instead.
    for r in replicated
        .iter()
        .filter(|r| r.replicas < 3 && !hpas.iter().any(|h| targets(h, &r.object)))
    {
        let message = format!(
            "{} runs {}, fewer than three.",
            r.object,
            replicas_text(r.replicas)
        );
        out.push(finding(
            "replicas-below-three",
            r.object.clone(),
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
                "hpa-min-replicas-below-three",
                hpa.object.clone(),
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
                "rollout-strategy-not-rolling",
                object,
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
            "pdb-max-unavailable-zero",
            object.clone(),
            "MaxUnavailableZero",
            message,
        ));
    }
    if spec.unhealthy_pod_eviction_policy.is_none() {
        let message = format!("{object} does not set unhealthyPodEvictionPolicy.");
        out.push(finding(
            "pdb-unhealthy-eviction-policy-unset",
            object.clone(),
            "PolicyUnset",
            message,
        ));
    }
    let selector = spec
        .selector
        .as_ref()
        .map(LabelSelector::from_k8s)
        .filter(|s| !s.is_empty());
    let (Some(min), Some(selector)) = (&spec.min_available, selector) else {
        return out;
    };
    for r in replicated
        .iter()
        .filter(|r| r.object.namespace == object.namespace && selector.matches(&r.selector_labels))
    {
        let replicas = floor_replicas(snapshot, r, hpas);
        let needed = match min {
            IntOrString::Int(n) => i64::from(*n),
            IntOrString::String(s) => {
                let percent: i64 = s.trim_end_matches('%').parse().unwrap_or(0);
                (i64::from(replicas) * percent + 99) / 100
            }
        };
        if i64::from(replicas) <= needed {
            let message = format!(
                "{object} requires {needed} available pods, but {} can run as few as {replicas}, so its pods can never be evicted.",
                r.object
            );
            let mut f = finding(
                "pdb-min-available-blocks-eviction",
                object.clone(),
                "MinAvailableTooHigh",
                message,
            );
            f.related.push(r.object.clone());
            out.push(f);
        }
    }
    out
}

/// The fewest replicas an object can run: an autoscaler's floor (HPA or KEDA ScaledObject) or
/// its own `replicas`.
fn floor_replicas(snapshot: &Snapshot, r: &Replicated, hpas: &[Autoscaler]) -> i32 {
    if let Some(hpa) = hpas.iter().find(|h| targets(h, &r.object)) {
        return hpa.min_replicas.unwrap_or(1);
    }
    let keda = dynamic_of_kind(snapshot, "ScaledObject").find(|s| {
        let kind = s
            .data
            .pointer("/spec/scaleTargetRef/kind")
            .and_then(serde_json::Value::as_str);
        let name = s
            .data
            .pointer("/spec/scaleTargetRef/name")
            .and_then(serde_json::Value::as_str);
        kind.unwrap_or("Deployment") == r.object.kind
            && name == Some(r.object.name.as_str())
            && s.metadata.namespace == r.object.namespace
    });
    keda.map_or(r.replicas, |s| {
        let min = s
            .data
            .pointer("/spec/minReplicaCount")
            .and_then(serde_json::Value::as_i64);
        min.and_then(|n| i32::try_from(n).ok()).unwrap_or(0)
    })
}

fn jobs(snapshot: &Snapshot) -> Vec<Finding> {
    let mut out = Vec::new();
    for job in &snapshot.jobs {
        let owned = job
            .metadata
            .owner_references
            .iter()
            .flatten()
            .any(|o| o.kind == "CronJob");
        if !owned
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
                "job-ttl-misconfigured",
                object,
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
                "job-ttl-misconfigured",
                object,
                "CronJobTtlSet",
                message,
            ));
        }
    }
    out
}
