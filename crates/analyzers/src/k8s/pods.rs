//! Pods: readiness, container statuses and specs, static pods and scheduling state.

use kubewhy_source::{
    k8s::core::v1::{Container, ContainerStatus, Pod, PodSpec},
    meta::Time,
};

use super::conds;

/// The annotation the kubelet puts on the API server's mirror of a static pod.
const MIRROR_ANNOTATION: &str = "kubernetes.io/config.mirror";

/// Whether the pod's Ready condition is True.
pub(crate) fn pod_ready(pod: &Pod) -> bool {
    let status = pod.status.as_ref();
    conds!(status.and_then(|s| s.conditions.as_ref()))
        .any(|c| c.type_ == "Ready" && c.status == "True")
}

/// When the pod last became not ready: its Ready condition's transition, or its creation.
pub(crate) fn not_ready_since(pod: &Pod) -> Option<&Time> {
    let status = pod.status.as_ref();
    conds!(status.and_then(|s| s.conditions.as_ref()))
        .find(|c| c.type_ == "Ready")
        .and_then(|c| c.since)
        .or(pod.metadata.creation_timestamp.as_ref())
}

/// The statuses of the pod's init containers, then of its regular containers, each with
/// whether it is an init container.
pub(crate) fn container_statuses(pod: &Pod) -> impl Iterator<Item = (&ContainerStatus, bool)> {
    let status = pod.status.as_ref();
    let init = status
        .into_iter()
        .flat_map(|s| s.init_container_statuses.iter().flatten())
        .map(|s| (s, true));
    let regular = status
        .into_iter()
        .flat_map(|s| s.container_statuses.iter().flatten())
        .map(|s| (s, false));
    init.chain(regular)
}

/// The spec of the container named `name` (an init container when `init`).
pub(crate) fn container_spec<'a>(
    spec: &'a PodSpec,
    name: &str,
    init: bool,
) -> Option<&'a Container> {
    let list = if init {
        spec.init_containers.as_deref().unwrap_or(&[])
    } else {
        &spec.containers
    };
    list.iter().find(|c| c.name == name)
}

/// The ServiceAccount a pod spec runs as: `serviceAccountName`, else the deprecated
/// `serviceAccount`, else `default`.
pub(crate) fn service_account_of(spec: &PodSpec) -> &str {
    #[allow(deprecated)] // The old field name, still honoured by the API server.
    let old = spec.service_account.as_deref();
    spec.service_account_name
        .as_deref()
        .or(old)
        .filter(|a| !a.is_empty())
        .unwrap_or("default")
}

/// Whether the pod is the mirror of a static pod: the kubelet runs it from a file on its node,
/// and the API server only shows it (annotation `kubernetes.io/config.mirror`, owner kind Node).
pub(crate) fn is_static(pod: &Pod) -> bool {
    let meta = &pod.metadata;
    meta.annotations
        .as_ref()
        .is_some_and(|a| a.contains_key(MIRROR_ANNOTATION))
        || meta
            .owner_references
            .iter()
            .flatten()
            .any(|o| o.kind == "Node")
}

/// A Pending pod that the scheduler has not placed and that no scheduling gate holds back.
pub(crate) fn unscheduled(pod: &Pod) -> bool {
    let spec_scheduled = pod
        .spec
        .as_ref()
        .and_then(|s| s.node_name.as_deref())
        .is_some_and(|n| !n.is_empty());
    let status = pod.status.as_ref();
    let not_scheduled = conds!(status.and_then(|s| s.conditions.as_ref())).any(|c| {
        c.type_ == "PodScheduled" && c.status == "False" && c.reason != Some("SchedulingGated")
    });
    status.and_then(|s| s.phase.as_deref()) == Some("Pending")
        && !spec_scheduled
        && not_scheduled
        && pod.metadata.deletion_timestamp.is_none()
}
