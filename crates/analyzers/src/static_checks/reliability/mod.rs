//! Static reliability checks (kube-linter parity): images, resources, probes, selectors, dangling
//! references, rollout and disruption settings. They judge manifests as written, so on a live
//! cluster they read each workload's pod template.

mod containers;
mod dangling;
mod pod_spec;
mod rollout;

use crate::Context;
use std::collections::BTreeMap;

use kubewhy_model::{CheckId, Finding, ObjectRef, Severity};
use kubewhy_source::{Object, Snapshot, dynamic_ref, k8s::core::v1::PodTemplateSpec, object_ref};

use crate::Analyzer;

/// See the module documentation.
pub struct ReliabilityAnalyzer;

const CHECKS: &[&str] = &[
    "image-tag-latest",
    "container-cpu-request-unset",
    "container-memory-limit-unset",
    "container-liveness-probe-missing",
    "container-readiness-probe-missing",
    "probe-port-not-exposed",
    "env-var-duplicate",
    "env-ref-missing",
    "selector-mismatch",
    "workload-no-anti-affinity",
    "workload-no-node-affinity",
    "pod-not-isolated",
    "dns-ndots-unset",
    "priority-class-not-allowed",
    "restart-policy-never",
    "service-selects-no-workload",
    "ingress-backend-dangling",
    "hpa-target-dangling",
    "network-policy-dangling",
    "network-policy-peer-selects-no-pods",
    "service-monitor-selects-no-services",
    "target-port-invalid",
    "replicas-below-three",
    "hpa-min-replicas-below-three",
    "rollout-strategy-not-rolling",
    "pdb-max-unavailable-zero",
    "pdb-min-available-blocks-eviction",
    "pdb-unhealthy-eviction-policy-unset",
    "job-ttl-misconfigured",
    "api-version-removed",
];

/// Kinds whose `spec.replicas` says how many pods run (one when unset).
const REPLICATED: &[&str] = &[
    "Deployment",
    "StatefulSet",
    "ReplicaSet",
    "ReplicationController",
    "DeploymentConfig",
];

impl Analyzer for ReliabilityAnalyzer {
    fn checks(&self) -> &'static [&'static str] {
        CHECKS
    }

    fn analyze(&self, snapshot: &Context<'_>) -> Vec<Finding> {
        let mut findings = containers::check(snapshot);
        findings.extend(pod_spec::check(snapshot));
        findings.extend(dangling::check(snapshot));
        findings.extend(rollout::check(snapshot));
        findings
    }
}

/// A finding with the severity of its catalog entry.
fn finding(check: &'static str, object: ObjectRef, reason: &str, message: String) -> Finding {
    let severity = crate::check(check).map_or(Severity::Warning, |c| c.severity);
    Finding::new(CheckId(check), severity, object, reason, message)
}

/// The pod labels every pod-making object stamps on its pods, by namespace. Unlike
/// [`crate::workload::workloads`] this keeps templates without a pod spec and pods owned by a
/// controller, since only labels matter to the selectors that use it.
fn pod_label_sets(snapshot: &Snapshot) -> Vec<(Option<String>, BTreeMap<String, String>)> {
    fn push<K: Object>(
        out: &mut Vec<(Option<String>, BTreeMap<String, String>)>,
        item: &K,
        template: Option<&PodTemplateSpec>,
    ) {
        let labels = template
            .and_then(|t| t.metadata.as_ref())
            .and_then(|m| m.labels.clone());
        out.push((
            item.metadata().namespace.clone(),
            labels.unwrap_or_default(),
        ));
    }
    let mut out = Vec::new();
    for d in &snapshot.deployments {
        push(&mut out, d, Some(&d.spec.template));
    }
    for s in &snapshot.stateful_sets {
        push(&mut out, s, Some(&s.spec.template));
    }
    for d in &snapshot.daemon_sets {
        push(&mut out, d, Some(&d.spec.template));
    }
    for r in &snapshot.replica_sets {
        push(&mut out, r, r.spec.template.as_ref());
    }
    for r in &snapshot.replication_controllers {
        push(
            &mut out,
            r,
            r.spec.as_ref().and_then(|s| s.template.as_ref()),
        );
    }
    for j in &snapshot.jobs {
        push(&mut out, j, j.spec.as_ref().map(|s| &s.template));
    }
    for c in &snapshot.cron_jobs {
        push(
            &mut out,
            c,
            c.spec.job_template.spec.as_ref().map(|s| &s.template),
        );
    }
    for p in &snapshot.pods {
        out.push((
            p.metadata.namespace.clone(),
            p.metadata.labels.clone().unwrap_or_default(),
        ));
    }
    for d in dynamic_of_kind(snapshot, "DeploymentConfig") {
        let labels = d.data.pointer("/spec/template/metadata/labels");
        let labels = labels.and_then(|l| serde_json::from_value(l.clone()).ok());
        out.push((d.metadata.namespace.clone(), labels.unwrap_or_default()));
    }
    out
}

/// Dynamic objects of one kind, in snapshot order.
fn dynamic_of_kind<'a>(
    snapshot: &'a Snapshot,
    kind: &'a str,
) -> impl Iterator<Item = &'a kubewhy_source::DynamicObject> + 'a {
    snapshot
        .dynamic
        .iter()
        .filter(move |d| d.types.as_ref().is_some_and(|t| t.kind == kind))
}

/// Whether an object of this kind and name exists in the namespace.
fn exists(snapshot: &Snapshot, kind: &str, namespace: Option<&str>, name: &str) -> bool {
    let typed = match kind {
        "Deployment" => snapshot.deployments.get(namespace, name).map(object_ref),
        "StatefulSet" => snapshot.stateful_sets.get(namespace, name).map(object_ref),
        "ReplicaSet" => snapshot.replica_sets.get(namespace, name).map(object_ref),
        "ReplicationController" => snapshot
            .replication_controllers
            .get(namespace, name)
            .map(object_ref),
        _ => None,
    };
    typed.is_some()
        || dynamic_of_kind(snapshot, kind).any(|d| {
            let r = dynamic_ref(d);
            r.name == name && r.namespace.as_deref() == namespace
        })
}

/// `k=v,k2=v2`, for messages.
fn show_labels(labels: &BTreeMap<String, String>) -> String {
    labels
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// `"NAME" of KIND NAME`, how every message here names a container (after "container"); the
/// finding's object carries the namespace.
fn container_of(container: &str, object: &ObjectRef) -> String {
    format!("\"{container}\" of {} {}", object.kind, object.name)
}
