//! HorizontalPodAutoscalers: a scale target that is missing or cannot be scaled, utilization
//! metrics over containers without requests, scaling that is switched off by an error, and
//! autoscalers pinned at their maximum.

use kubewhy_model::{Finding, ObjectRef};
use kubewhy_source::{
    Snapshot,
    k8s::{
        autoscaling::v2::{HorizontalPodAutoscaler, MetricTarget},
        core::v1::{Container, Pod, PodSpec},
    },
    object_ref,
};

use super::GRACE_SECONDS;
use crate::{
    Context,
    findings::{Build, finding},
    ids,
    k8s::{Cond, conds, since},
    twins::{self, ScaleTarget, Target},
};

pub(super) fn check(cx: &Context<'_>) -> Vec<Finding> {
    let snapshot: &Snapshot = cx;
    let mut findings = Vec::new();
    for hpa in &snapshot.horizontal_pod_autoscalers {
        let object = object_ref(hpa);
        let target = &hpa.spec.scale_target_ref;
        let conditions: Vec<Cond<'_>> =
            conds!(hpa.status.as_ref().and_then(|s| s.conditions.as_ref())).collect();
        let target_ref = ObjectRef::new(
            target.api_version.clone().unwrap_or_default(),
            &target.kind,
            object.namespace.as_deref(),
            &target.name,
        );
        // The most specific cause wins: a bad target explains a failing condition, which
        // explains why the autoscaler may look pinned.
        let scale_target = ScaleTarget {
            api_version: target.api_version.as_deref(),
            kind: &target.kind,
            name: &target.name,
        };
        let mut found = match twins::target(cx, object.namespace.as_deref(), &scale_target) {
            Target::Missing => vec![bad_target(snapshot, hpa, &object, &conditions, true)],
            Target::Unsupported => vec![bad_target(snapshot, hpa, &object, &conditions, false)],
            Target::Workload(spec) => {
                let spec = newest_running_pod(snapshot, &target_ref).unwrap_or(spec);
                missing_requests(snapshot, hpa, &object, spec)
            }
            Target::Opaque => Vec::new(),
        };
        for f in &mut found {
            f.related.push(target_ref.clone());
        }
        if found.is_empty() {
            found.extend(inactive(snapshot, &object, &conditions));
        }
        if found.is_empty() {
            found.extend(at_max(snapshot, hpa, &object, &conditions));
        }
        findings.extend(found);
    }
    findings
}

fn bad_target(
    snapshot: &Snapshot,
    hpa: &HorizontalPodAutoscaler,
    object: &ObjectRef,
    conditions: &[Cond<'_>],
    missing: bool,
) -> Finding {
    let (check, reason, what) = if missing {
        (
            ids::HPA_TARGET_NOT_FOUND,
            "TargetNotFound",
            "which does not exist",
        )
    } else {
        (
            ids::HPA_TARGET_UNSUPPORTED,
            "TargetNotScalable",
            "a kind that cannot be scaled",
        )
    };
    let target = &hpa.spec.scale_target_ref;
    let message = format!(
        "HorizontalPodAutoscaler {} targets {} {}, {what}",
        object.name, target.kind, target.name
    );
    let mut found = finding(check, object, reason, message).events(snapshot);
    found.evidence.conditions = conditions
        .iter()
        .filter(|c| c.status == "False")
        .map(|c| c.evidence(object))
        .collect();
    found
}

/// The spec of the target's newest Running pod: running pods carry the requests a LimitRange
/// defaulted in, which the template does not. Pods are matched by their top owner rather than
/// by labels, so that a pod of another workload, or one that failed or never started, is
/// never judged in the target's place.
fn newest_running_pod<'a>(snapshot: &'a Snapshot, target: &ObjectRef) -> Option<&'a PodSpec> {
    let namespace = target.namespace.as_deref().unwrap_or_default();
    let mut pods: Vec<&Pod> = snapshot
        .pods
        .in_namespace(namespace)
        .iter()
        .filter(|p| p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running"))
        .filter(|p| {
            let root = snapshot.root_of(&object_ref(*p));
            root.kind == target.kind && root.name == target.name
        })
        .collect();
    pods.sort_by(|a, b| {
        let created = |p: &Pod| p.metadata.creation_timestamp.as_ref().map(|t| t.0);
        created(b)
            .cmp(&created(a))
            .then_with(|| a.metadata.name.cmp(&b.metadata.name))
    });
    pods.first().and_then(|p| p.spec.as_ref())
}

/// The resource utilization targets of the autoscaler: the resource, the one container they
/// are limited to, if any. Without `spec.metrics` autoscaling/v2 targets 80% CPU utilization.
fn utilization_metrics(hpa: &HorizontalPodAutoscaler) -> Vec<(&str, Option<&str>)> {
    let metrics = hpa.spec.metrics.as_deref().unwrap_or_default();
    if metrics.is_empty() {
        return vec![("cpu", None)];
    }
    let utilization = |t: &MetricTarget| t.type_ == "Utilization";
    metrics
        .iter()
        .filter_map(
            |metric| match (&metric.resource, &metric.container_resource) {
                (Some(r), _) if metric.type_ == "Resource" && utilization(&r.target) => {
                    Some((r.name.as_str(), None))
                }
                (_, Some(c)) if metric.type_ == "ContainerResource" && utilization(&c.target) => {
                    Some((c.name.as_str(), Some(c.container.as_str())))
                }
                _ => None,
            },
        )
        .collect()
}

/// Utilization targets are a percentage of the containers' requests: a container without a
/// request for the resource makes the metric unavailable.
fn missing_requests(
    snapshot: &Snapshot,
    hpa: &HorizontalPodAutoscaler,
    object: &ObjectRef,
    pod_spec: &PodSpec,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (resource, only) in utilization_metrics(hpa) {
        let lacking: Vec<&str> = pod_spec
            .containers
            .iter()
            .filter(|c| only.is_none_or(|name| c.name == name) && !requests(c, resource))
            .map(|c| c.name.as_str())
            .collect();
        if lacking.is_empty() {
            continue;
        }
        let containers = match lacking.as_slice() {
            [one] => format!("container {one} has"),
            many => format!("containers {} have", many.join(", ")),
        };
        let message = format!(
            "HorizontalPodAutoscaler {} scales on {resource} utilization, but {containers} no {resource} request in {} {}",
            object.name, hpa.spec.scale_target_ref.kind, hpa.spec.scale_target_ref.name
        );
        let reason = format!("MissingRequest/{resource}");
        findings.push(
            finding(ids::HPA_MISSING_RESOURCE_REQUESTS, object, &reason, message).events(snapshot),
        );
    }
    findings
}

/// A limit without a request defaults the request to the limit.
fn requests(container: &Container, resource: &str) -> bool {
    let resources = container.resources.as_ref();
    let has = |map: Option<&std::collections::BTreeMap<String, _>>| {
        map.is_some_and(|m| m.contains_key(resource))
    };
    has(resources.and_then(|r| r.requests.as_ref()))
        || has(resources.and_then(|r| r.limits.as_ref()))
}

fn inactive(snapshot: &Snapshot, object: &ObjectRef, conditions: &[Cond<'_>]) -> Option<Finding> {
    let cond = conditions.iter().find(|c| {
        (c.type_ == "AbleToScale" || c.type_ == "ScalingActive")
            && c.status == "False"
            // Scaling the target to zero switches the autoscaler off on purpose.
            && c.reason != Some("ScalingDisabled")
    })?;
    // Metrics are missing for a while after the autoscaler or a new pod starts
    // (FailedGetResourceMetric): only a condition that stays False is a problem.
    let age = since(snapshot, cond.since)?;
    if age.seconds() < GRACE_SECONDS {
        return None;
    }
    let message = format!(
        "HorizontalPodAutoscaler {} cannot scale: {} has been False {} ({})",
        object.name,
        cond.type_,
        age.lasting(),
        cond.explain()
    );
    let reason = cond.reason.unwrap_or(cond.type_);
    let mut found = finding(ids::HPA_SCALING_INACTIVE, object, reason, message).events(snapshot);
    found.evidence.conditions.push(cond.evidence(object));
    Some(found)
}

fn at_max(
    snapshot: &Snapshot,
    hpa: &HorizontalPodAutoscaler,
    object: &ObjectRef,
    conditions: &[Cond<'_>],
) -> Option<Finding> {
    let max = hpa.spec.max_replicas;
    let current = hpa.status.as_ref()?.current_replicas?;
    let limited = conditions.iter().find(|c| {
        c.type_ == "ScalingLimited" && c.status == "True" && c.reason != Some("TooFewReplicas")
    })?;
    if current < max {
        return None;
    }
    let message = format!(
        "HorizontalPodAutoscaler {} is pinned at its maximum of {max} replicas and wants more ({})",
        object.name,
        limited.explain()
    );
    let mut found =
        finding(ids::HPA_AT_MAX_REPLICAS, object, "AtMaxReplicas", message).events(snapshot);
    found.evidence.conditions.push(limited.evidence(object));
    Some(found)
}
