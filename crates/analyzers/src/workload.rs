//! Every object that makes pods, seen through its pod template: Deployments, ReplicaSets,
//! ReplicationControllers, StatefulSets, DaemonSets, Jobs, CronJobs, OpenShift
//! DeploymentConfigs, and bare Pods. Static checks judge a live workload by its template, so
//! objects whose controller is in the snapshot (a Deployment's ReplicaSets, a CronJob's Jobs,
//! any controlled Pod) are left to their controller.

use std::borrow::Cow;

use kubewhy_model::ObjectRef;
use kubewhy_source::{
    LabelSelector, Object, Snapshot, dynamic_ref,
    k8s::core::v1::{Container, PodSpec, PodTemplateSpec},
    meta::ObjectMeta,
    object_ref,
};

/// One pod-making object and its pod template.
#[derive(Debug, Clone)]
pub struct Workload<'a> {
    /// The object (Deployment, Pod, ...).
    pub object: ObjectRef,
    /// The object's own metadata.
    pub meta: Cow<'a, ObjectMeta>,
    /// The pod template's metadata (a bare Pod's own metadata).
    pub template_meta: Cow<'a, ObjectMeta>,
    /// The pod spec its pods get.
    pub spec: Cow<'a, PodSpec>,
    /// Its pod selector, for kinds that have one.
    pub selector: Option<LabelSelector>,
    /// `spec.replicas` as written, for kinds that have it.
    pub replicas: Option<i32>,
}

impl Workload<'_> {
    /// Init containers, then regular containers, each with whether it is an init container.
    pub fn containers(&self) -> impl Iterator<Item = (&Container, bool)> {
        let init = self
            .spec
            .init_containers
            .iter()
            .flatten()
            .map(|c| (c, true));
        init.chain(self.spec.containers.iter().map(|c| (c, false)))
    }

    /// The pod template's labels.
    #[must_use]
    pub fn pod_labels(&self) -> std::collections::BTreeMap<String, String> {
        self.labels().clone()
    }

    /// The pod template's labels, borrowed.
    #[must_use]
    pub fn labels(&self) -> &std::collections::BTreeMap<String, String> {
        static NONE: std::collections::BTreeMap<String, String> = std::collections::BTreeMap::new();
        self.template_meta.labels.as_ref().unwrap_or(&NONE)
    }
}

/// Kinds whose pod templates [`workloads`] judges: what they control is judged through them.
const TEMPLATE_KINDS: &[&str] = &[
    "Deployment",
    "ReplicaSet",
    "StatefulSet",
    "DaemonSet",
    "Job",
    "CronJob",
    "ReplicationController",
    "DeploymentConfig",
];

/// True when the object's controller is in the snapshot and is judged by its own template. A
/// pod of a missing ReplicaSet, or of a custom controller (a PyTorchJob, a RayCluster), is
/// judged on its own, or nothing would judge it.
fn controlled<K: Object>(snapshot: &Snapshot, item: &K) -> bool {
    let meta = item.metadata();
    meta.owner_references
        .iter()
        .flatten()
        .filter(|o| o.controller == Some(true))
        .any(|owner| {
            TEMPLATE_KINDS.contains(&owner.kind.as_str())
                && if owner.uid.is_empty() {
                    let object = ObjectRef::new(
                        &owner.api_version,
                        &owner.kind,
                        meta.namespace.as_deref(),
                        &owner.name,
                    );
                    snapshot.contains(&object)
                } else {
                    snapshot.contains_uid(&owner.uid)
                }
        })
}

/// The workload of `item`, when it has a pod template with a spec.
fn template<'a, K: Object>(
    item: &'a K,
    template: Option<&'a PodTemplateSpec>,
    selector: Option<LabelSelector>,
    replicas: Option<i32>,
) -> Option<Workload<'a>> {
    let template = template?;
    Some(Workload {
        object: object_ref(item),
        meta: Cow::Borrowed(item.metadata()),
        template_meta: template
            .metadata
            .as_ref()
            .map_or_else(|| Cow::Owned(ObjectMeta::default()), Cow::Borrowed),
        spec: Cow::Borrowed(template.spec.as_ref()?),
        selector,
        replicas,
    })
}

/// Every workload in the snapshot, in kind order, then namespace and name.
#[must_use]
pub fn workloads(snapshot: &Snapshot) -> Vec<Workload<'_>> {
    let mut out = controllers(snapshot);
    out.extend(bare_pods(snapshot));
    out.extend(deployment_configs(snapshot));
    out
}

/// The controllers' templates, except those of controllers that another one controls.
fn controllers(snapshot: &Snapshot) -> Vec<Workload<'_>> {
    let mut out = Vec::new();
    let from_k8s = |s: &kubewhy_source::meta::LabelSelector| Some(LabelSelector::from_k8s(s));
    for d in &snapshot.deployments {
        out.extend(template(
            d,
            Some(&d.spec.template),
            from_k8s(&d.spec.selector),
            d.spec.replicas,
        ));
    }
    for s in &snapshot.stateful_sets {
        out.extend(template(
            s,
            Some(&s.spec.template),
            from_k8s(&s.spec.selector),
            s.spec.replicas,
        ));
    }
    for d in &snapshot.daemon_sets {
        out.extend(template(
            d,
            Some(&d.spec.template),
            from_k8s(&d.spec.selector),
            None,
        ));
    }
    for r in snapshot
        .replica_sets
        .iter()
        .filter(|r| !controlled(snapshot, *r))
    {
        out.extend(template(
            r,
            r.spec.template.as_ref(),
            from_k8s(&r.spec.selector),
            r.spec.replicas,
        ));
    }
    out.extend(legacy_and_batch(snapshot));
    out
}

/// ReplicationControllers, Jobs and CronJobs: templates under other field names.
fn legacy_and_batch(snapshot: &Snapshot) -> Vec<Workload<'_>> {
    let mut out = Vec::new();
    for r in snapshot
        .replication_controllers
        .iter()
        .filter(|r| !controlled(snapshot, *r))
    {
        let spec = r.spec.as_ref();
        let selector = spec
            .and_then(|s| s.selector.as_ref())
            .map(LabelSelector::from_map);
        out.extend(template(
            r,
            spec.and_then(|s| s.template.as_ref()),
            selector,
            spec.and_then(|s| s.replicas),
        ));
    }
    for j in snapshot.jobs.iter().filter(|j| !controlled(snapshot, *j)) {
        out.extend(template(
            j,
            j.spec.as_ref().map(|s| &s.template),
            None,
            None,
        ));
    }
    for c in &snapshot.cron_jobs {
        out.extend(template(
            c,
            c.spec.job_template.spec.as_ref().map(|s| &s.template),
            None,
            None,
        ));
    }
    out
}

/// Pods that no workload in the snapshot controls, judged by their own spec.
fn bare_pods(snapshot: &Snapshot) -> impl Iterator<Item = Workload<'_>> {
    snapshot
        .pods
        .iter()
        .filter(|p| !controlled(snapshot, *p))
        .filter_map(|p| {
            Some(Workload {
                object: object_ref(p),
                meta: Cow::Borrowed(&p.metadata),
                template_meta: Cow::Borrowed(&p.metadata),
                spec: Cow::Borrowed(p.spec.as_ref()?),
                selector: None,
                replicas: None,
            })
        })
}

/// OpenShift DeploymentConfigs, read from their dynamic form.
fn deployment_configs(snapshot: &Snapshot) -> impl Iterator<Item = Workload<'_>> {
    snapshot
        .dynamic
        .iter()
        .filter(|d| {
            d.types
                .as_ref()
                .is_some_and(|t| t.kind == "DeploymentConfig")
        })
        .filter_map(|d| {
            let template: PodTemplateSpec =
                serde_json::from_value(d.data.pointer("/spec/template")?.clone()).ok()?;
            let selector = d
                .data
                .pointer("/spec/selector")
                .and_then(|s| serde_json::from_value(s.clone()).ok())
                .map(|labels| LabelSelector::from_map(&labels));
            let replicas = d
                .data
                .pointer("/spec/replicas")
                .and_then(serde_json::Value::as_i64)
                .and_then(|r| i32::try_from(r).ok());
            Some(Workload {
                object: dynamic_ref(d),
                meta: Cow::Borrowed(&d.metadata),
                template_meta: Cow::Owned(template.metadata.unwrap_or_default()),
                spec: Cow::Owned(template.spec?),
                selector,
                replicas,
            })
        })
}
