//! Questions that a live check and a static check both answer, from different data: does a
//! Service or a NetworkPolicy select anything, does an Ingress backend exist, does an
//! autoscaler's target exist. Each question has one function with a typed answer, which both
//! checks of the pair read, and [`reports`] decides which of the two speaks, so that one object
//! never gets both findings.

use kubewhy_model::CheckId;
use kubewhy_source::{
    DynamicObject, LabelSelector, Snapshot,
    k8s::{
        core::v1::{Pod, PodSpec},
        networking::v1::IngressServiceBackend,
    },
};

use crate::{
    Context, ids,
    k8s::{get_in, in_namespace},
    workload::Workload,
};

/// The pairs, live check first: the live one reads pods and status, the static one templates.
const PAIRS: [(CheckId, CheckId); 4] = [
    (
        ids::SERVICE_SELECTS_NO_PODS,
        ids::SERVICE_SELECTS_NO_WORKLOAD,
    ),
    (
        ids::NETWORK_POLICY_SELECTS_NO_PODS,
        ids::NETWORK_POLICY_DANGLING,
    ),
    (ids::INGRESS_BACKEND_MISSING, ids::INGRESS_BACKEND_DANGLING),
    (ids::HPA_TARGET_NOT_FOUND, ids::HPA_TARGET_DANGLING),
];

/// Whether check `id` reports in this run. Of a pair, the live check speaks on clusters, dumps
/// and `kubectl get` output, the static one on manifests; the other speaks instead only when
/// the filter drops the preferred one and keeps it (`--check` naming it alone). A check outside
/// the pairs always reports.
pub(crate) fn reports(cx: &Context<'_>, id: CheckId) -> bool {
    let Some(&(live, written)) = PAIRS.iter().find(|(l, s)| *l == id || *s == id) else {
        return true;
    };
    let (preferred, other) = if cx.live() {
        (live, written)
    } else {
        (written, live)
    };
    let substitute = !cx.kept(preferred) && cx.kept(other);
    if id == preferred {
        !substitute
    } else {
        substitute
    }
}

/// What a label selector selects in one namespace (`default` for objects written without one).
pub(crate) enum Selection<'c, 'a> {
    /// No pod, and no object that makes pods, carries the labels.
    Nothing,
    /// The pods that match, and the judged workloads whose template matches.
    Selects {
        pods: Vec<&'a Pod>,
        templates: Vec<&'c Workload<'a>>,
    },
}

/// See [`Selection`].
pub(crate) fn selection<'c, 'a>(
    cx: &'c Context<'a>,
    namespace: &str,
    selector: &LabelSelector,
) -> Selection<'c, 'a> {
    let pods = pods_matching(cx.snapshot(), namespace, selector);
    if pods.is_empty() && !templates_match(cx, namespace, selector) {
        return Selection::Nothing;
    }
    let templates = cx
        .workloads_in(namespace)
        .filter(|w| selector.matches(w.labels()))
        .collect();
    Selection::Selects { pods, templates }
}

/// Whether a selector selects anything in the namespace: [`selection`] without gathering what,
/// for the checks that need only the answer.
pub(crate) fn selects(cx: &Context<'_>, namespace: &str, selector: &LabelSelector) -> bool {
    !pods_matching(cx.snapshot(), namespace, selector).is_empty()
        || templates_match(cx, namespace, selector)
}

fn templates_match(cx: &Context<'_>, namespace: &str, selector: &LabelSelector) -> bool {
    cx.pod_makers_in(namespace)
        .any(|w| selector.matches(w.labels()))
}

/// The pods of the namespace (`default` holds those written without one) that the selector
/// matches, found through the label index by the selector's `key=value` requirements.
fn pods_matching<'a>(
    snapshot: &'a Snapshot,
    namespace: &str,
    selector: &LabelSelector,
) -> Vec<&'a Pod> {
    let matches = |p: &&'a Pod| selector.matches(p.metadata.labels.as_ref().unwrap_or(&NO_LABELS));
    let equalities = selector.equalities();
    if equalities.is_empty() {
        return in_namespace(&snapshot.pods, namespace)
            .filter(matches)
            .collect();
    }
    let namespace = if namespace.is_empty() {
        "default"
    } else {
        namespace
    };
    let mut pods: Vec<&'a Pod> = snapshot
        .pods
        .matching_labels(namespace, &equalities)
        .filter(matches)
        .collect();
    if namespace == "default" {
        pods.extend(
            snapshot
                .pods
                .matching_labels("", &equalities)
                .filter(matches),
        );
    }
    pods
}

static NO_LABELS: std::collections::BTreeMap<String, String> = std::collections::BTreeMap::new();

/// What an Ingress backend's Service resolves to.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Backend {
    Found,
    ServiceMissing,
    /// The Service exists without the named or numbered port.
    PortMissing,
}

/// See [`Backend`]. `namespace` is the Ingress's.
pub(crate) fn backend(
    snapshot: &Snapshot,
    namespace: &str,
    backend: &IngressServiceBackend,
) -> Backend {
    let Some(service) = get_in(&snapshot.services, Some(namespace), &backend.name) else {
        return Backend::ServiceMissing;
    };
    let ports = service.spec.as_ref().and_then(|s| s.ports.as_ref());
    let found = backend.port.as_ref().is_none_or(|wanted| {
        ports
            .into_iter()
            .flatten()
            .any(|p| match (&wanted.name, wanted.number) {
                (Some(name), _) => p.name.as_ref() == Some(name),
                (None, Some(number)) => p.port == number,
                (None, None) => true,
            })
    });
    if found {
        Backend::Found
    } else {
        Backend::PortMissing
    }
}

/// Kinds of the core API groups that have no scale subresource, so an HPA cannot target them.
const UNSCALABLE: &[&str] = &[
    "DaemonSet",
    "Job",
    "CronJob",
    "Pod",
    "Service",
    "ConfigMap",
    "Secret",
    "Ingress",
    "PersistentVolumeClaim",
    "HorizontalPodAutoscaler",
];

/// An autoscaler's `scaleTargetRef`, of any API version.
pub(crate) struct ScaleTarget<'r> {
    pub api_version: Option<&'r str>,
    pub kind: &'r str,
    pub name: &'r str,
}

/// What an autoscaler's scale target resolved to.
pub(crate) enum Target<'a> {
    /// A built-in workload: its pod template.
    Workload(&'a PodSpec),
    /// Exists, or cannot be judged (a custom resource of a kind the snapshot does not hold, or a
    /// kind whose list failed).
    Opaque,
    Missing,
    Unsupported,
}

/// See [`Target`]. `namespace` is the autoscaler's.
pub(crate) fn target<'a>(
    cx: &'a Context<'_>,
    namespace: Option<&str>,
    target: &ScaleTarget<'_>,
) -> Target<'a> {
    let group = target
        .api_version
        .and_then(|v| v.split_once('/'))
        .map_or("", |(g, _)| g);
    let kind = target.kind;
    let typed = matches!(
        (group, kind),
        ("" | "apps" | "extensions", "Deployment" | "ReplicaSet")
            | ("" | "apps", "StatefulSet")
            | ("", "ReplicationController")
    );
    if typed {
        // A live list that failed or was scoped elsewhere proves nothing missing. Manifests are
        // judged as given (kube-linter's dangling-horizontalpodautoscaler).
        if !cx.collected(kind, namespace) {
            return Target::Opaque;
        }
        return match cx.workload(kind, namespace, target.name) {
            None => Target::Missing,
            Some(w) if w.has_spec() => Target::Workload(&w.spec),
            Some(_) => Target::Opaque,
        };
    }
    match (group, kind) {
        ("" | "apps" | "batch" | "extensions" | "networking.k8s.io" | "autoscaling", kind)
            if UNSCALABLE.contains(&kind) =>
        {
            Target::Unsupported
        }
        _ => custom(cx, namespace, target),
    }
}

/// A custom resource (an Argo Rollout, a KEDA target...) can be scaled when its definition has a
/// scale subresource, which the snapshot cannot tell. It is missing only when the snapshot
/// holds objects of its kind but not it.
fn custom<'a>(
    snapshot: &Snapshot,
    namespace: Option<&str>,
    target: &ScaleTarget<'_>,
) -> Target<'a> {
    let same_kind = |d: &&DynamicObject| {
        d.types.as_ref().is_some_and(|t| {
            t.kind == target.kind && target.api_version.is_none_or(|v| v == t.api_version)
        })
    };
    let mut of_kind = snapshot.dynamic.iter().filter(same_kind).peekable();
    if of_kind.peek().is_none() {
        return Target::Opaque;
    }
    let exists = of_kind.any(|d| {
        d.metadata.namespace.as_deref() == namespace
            && d.metadata.name.as_deref() == Some(target.name)
    });
    if exists {
        Target::Opaque
    } else {
        Target::Missing
    }
}
