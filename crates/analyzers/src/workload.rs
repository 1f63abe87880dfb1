//! Every object that makes pods, seen through its pod template: Deployments, StatefulSets,
//! DaemonSets, ReplicaSets, ReplicationControllers, Jobs, CronJobs, OpenShift
//! DeploymentConfigs, and Pods. [`Context`](crate::Context) indexes them once per run, by
//! namespace and by kind, namespace and name, for every family to share.
//!
//! Static checks judge a live workload by its template, so objects whose controller is in the
//! snapshot (a Deployment's ReplicaSets, a CronJob's Jobs, any controlled Pod) are left to their
//! controller: [`Workload::judged`] is false for them, and for objects without a pod spec.
//! Selector questions (does anything carry these labels?) look at every pod maker.

use std::{borrow::Cow, collections::BTreeMap};

use kubewhy_model::ObjectRef;
use kubewhy_source::{
    LabelSelector, Object, Snapshot, dynamic_ref,
    k8s::core::v1::{Container, PodSpec, PodTemplateSpec},
    meta::{self, ObjectMeta},
    object_ref,
};

/// One pod-making object and its pod template.
#[derive(Debug, Clone)]
pub struct Workload<'a> {
    /// The object (Deployment, Pod, ...).
    pub object: ObjectRef,
    /// The object's own metadata.
    pub meta: &'a ObjectMeta,
    /// The pod template's metadata (a Pod's own metadata).
    pub template_meta: Held<'a, ObjectMeta>,
    /// The pod spec its pods get; empty when it has none.
    pub spec: Held<'a, PodSpec>,
    /// Its pod selector, for kinds that have one.
    pub selector: Option<LabelSelector>,
    /// The equality part of its selector (`matchLabels`, or a ReplicationController's map).
    pub match_labels: Option<Cow<'a, BTreeMap<String, String>>>,
    /// `spec.replicas` as written, for kinds that have it.
    pub replicas: Option<i32>,
    has_spec: bool,
    controlled: bool,
}

/// A part of a workload borrowed from the snapshot, or built (an empty spec for a template that
/// has none, a DeploymentConfig's parsed one) and boxed: a `PodSpec` is 1.5 KB inline, and the
/// index holds a workload per pod.
#[derive(Debug, Clone)]
pub enum Held<'a, T> {
    /// Borrowed from the snapshot.
    Borrowed(&'a T),
    /// Built for this workload.
    Built(Box<T>),
}

impl<'a, T: Default> Held<'a, T> {
    /// The value borrowed, or a default one when there is none.
    fn or_default(value: Option<&'a T>) -> Self {
        value.map_or_else(|| Self::Built(Box::default()), Self::Borrowed)
    }
}

impl<T> std::ops::Deref for Held<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        match self {
            Self::Borrowed(value) => value,
            Self::Built(value) => value,
        }
    }
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
    pub fn pod_labels(&self) -> BTreeMap<String, String> {
        self.labels().clone()
    }

    /// The pod template's labels, borrowed.
    #[must_use]
    pub fn labels(&self) -> &BTreeMap<String, String> {
        static NONE: BTreeMap<String, String> = BTreeMap::new();
        self.template_meta.labels.as_ref().unwrap_or(&NONE)
    }

    /// Whether checks judge this object by its pod spec: it has one, and no controller in the
    /// snapshot is judged in its place.
    #[must_use]
    pub fn judged(&self) -> bool {
        self.has_spec && !self.controlled
    }

    /// Whether the object has a pod template with a spec (a Pod, its own spec).
    #[must_use]
    pub fn has_spec(&self) -> bool {
        self.has_spec
    }

    /// Whether a controller of the object is in the snapshot and judged by its own template.
    #[must_use]
    pub fn controlled(&self) -> bool {
        self.controlled
    }

    /// Whether the object names any controller, in the snapshot or not.
    #[must_use]
    pub fn has_controller(&self) -> bool {
        self.meta
            .owner_references
            .iter()
            .flatten()
            .any(|o| o.controller == Some(true))
    }
}

/// Kinds whose pod templates are judged in place of what they control.
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

/// What a pod maker's kind says beyond its template.
struct Shape<'a> {
    selector: Option<LabelSelector>,
    match_labels: Option<Cow<'a, BTreeMap<String, String>>>,
    replicas: Option<i32>,
    controlled: bool,
}

impl<'a> Shape<'a> {
    fn of(selector: &'a meta::LabelSelector, replicas: Option<i32>) -> Self {
        Self {
            selector: Some(LabelSelector::from_k8s(selector)),
            match_labels: selector.match_labels.as_ref().map(Cow::Borrowed),
            replicas,
            controlled: false,
        }
    }

    fn none() -> Self {
        Self {
            selector: None,
            match_labels: None,
            replicas: None,
            controlled: false,
        }
    }

    fn controlled(self, controlled: bool) -> Self {
        Self { controlled, ..self }
    }
}

/// The workload of `item` with its pod template, which may be missing.
fn template<'a, K: Object>(
    item: &'a K,
    template: Option<&'a PodTemplateSpec>,
    shape: Shape<'a>,
) -> Workload<'a> {
    let spec = template.and_then(|t| t.spec.as_ref());
    Workload {
        object: object_ref(item),
        meta: item.metadata(),
        template_meta: Held::or_default(template.and_then(|t| t.metadata.as_ref())),
        has_spec: spec.is_some(),
        spec: Held::or_default(spec),
        selector: shape.selector,
        match_labels: shape.match_labels,
        replicas: shape.replicas,
        controlled: shape.controlled,
    }
}

/// Every pod maker in the snapshot, in kind order (Deployments, StatefulSets, DaemonSets,
/// ReplicaSets, ReplicationControllers, Jobs, CronJobs, Pods, DeploymentConfigs), then
/// namespace and name.
#[must_use]
pub fn pod_makers(snapshot: &Snapshot) -> Vec<Workload<'_>> {
    let mut out = Vec::new();
    for d in &snapshot.deployments {
        let shape = Shape::of(&d.spec.selector, d.spec.replicas);
        out.push(template(d, Some(&d.spec.template), shape));
    }
    for s in &snapshot.stateful_sets {
        let shape = Shape::of(&s.spec.selector, s.spec.replicas);
        out.push(template(s, Some(&s.spec.template), shape));
    }
    for d in &snapshot.daemon_sets {
        let shape = Shape::of(&d.spec.selector, None);
        out.push(template(d, Some(&d.spec.template), shape));
    }
    for r in &snapshot.replica_sets {
        let shape =
            Shape::of(&r.spec.selector, r.spec.replicas).controlled(controlled(snapshot, r));
        out.push(template(r, r.spec.template.as_ref(), shape));
    }
    out.extend(legacy_and_batch(snapshot));
    out.extend(pods(snapshot));
    out.extend(deployment_configs(snapshot));
    out
}

/// ReplicationControllers, Jobs and CronJobs: templates under other field names.
fn legacy_and_batch(snapshot: &Snapshot) -> Vec<Workload<'_>> {
    let mut out = Vec::new();
    for r in &snapshot.replication_controllers {
        let spec = r.spec.as_ref();
        let map = spec.and_then(|s| s.selector.as_ref());
        let shape = Shape {
            selector: map.map(LabelSelector::from_map),
            match_labels: map.map(Cow::Borrowed),
            replicas: spec.and_then(|s| s.replicas),
            controlled: controlled(snapshot, r),
        };
        out.push(template(r, spec.and_then(|s| s.template.as_ref()), shape));
    }
    for j in &snapshot.jobs {
        let shape = Shape::none().controlled(controlled(snapshot, j));
        out.push(template(j, j.spec.as_ref().map(|s| &s.template), shape));
    }
    for c in &snapshot.cron_jobs {
        let job = c.spec.job_template.spec.as_ref();
        out.push(template(c, job.map(|s| &s.template), Shape::none()));
    }
    out
}

/// Pods, judged by their own spec when no workload in the snapshot controls them.
fn pods(snapshot: &Snapshot) -> impl Iterator<Item = Workload<'_>> {
    snapshot.pods.iter().map(|p| Workload {
        object: object_ref(p),
        meta: &p.metadata,
        template_meta: Held::Borrowed(&p.metadata),
        has_spec: p.spec.is_some(),
        spec: Held::or_default(p.spec.as_ref()),
        selector: None,
        match_labels: None,
        replicas: None,
        controlled: controlled(snapshot, p),
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
        .map(|d| {
            let template: Option<PodTemplateSpec> = d
                .data
                .pointer("/spec/template")
                .and_then(|t| serde_json::from_value(t.clone()).ok());
            let labels: Option<BTreeMap<String, String>> = d
                .data
                .pointer("/spec/selector")
                .and_then(|s| serde_json::from_value(s.clone()).ok());
            let replicas = d
                .data
                .pointer("/spec/replicas")
                .and_then(serde_json::Value::as_i64)
                .and_then(|r| i32::try_from(r).ok());
            let (template_meta, spec) = template.map_or((None, None), |t| (t.metadata, t.spec));
            Workload {
                object: dynamic_ref(d),
                meta: &d.metadata,
                template_meta: Held::Built(Box::new(template_meta.unwrap_or_default())),
                has_spec: spec.is_some(),
                spec: Held::Built(Box::new(spec.unwrap_or_default())),
                selector: labels.as_ref().map(LabelSelector::from_map),
                match_labels: labels.map(Cow::Owned),
                replicas,
                controlled: false,
            }
        })
}
