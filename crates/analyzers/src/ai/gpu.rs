//! Extended resources (GPUs and other devices): how they are counted, and requests whose
//! limits are missing or differ.

use std::collections::BTreeMap;

use kubewhy_model::Finding;
use kubewhy_source::k8s::core::v1::{Container, PodSpec};

use super::{describe, finding};
use crate::workload::Workload;

/// A resource a device plugin advertises: a domain-prefixed name outside `kubernetes.io`.
pub(super) fn is_extended(name: &str) -> bool {
    let Some((domain, _)) = name.split_once('/') else {
        return false;
    };
    domain != "kubernetes.io" && !domain.ends_with(".kubernetes.io")
}

/// An extended resource that is an accelerator: its name mentions a GPU or TPU, or it comes
/// from NVIDIA, Habana (Gaudi) or AWS Neuron. Other devices (RDMA, FUSE) are not GPUs.
pub(super) fn is_accelerator(name: &str) -> bool {
    is_extended(name)
        && (name.contains("gpu")
            || name.contains("tpu")
            || name.contains("neuron")
            || name.starts_with("nvidia.com/")
            || name.starts_with("habana.ai/"))
}

/// A whole-number quantity (device counts are whole numbers).
pub(super) fn count(quantity: &str) -> Option<i64> {
    quantity.trim().parse().ok()
}

/// What one container asks of each accelerator: its request, or its limit when the request is
/// left out (Kubernetes copies the limit).
fn container_accelerators(container: &Container) -> BTreeMap<String, i64> {
    let resources = container.resources.as_ref();
    let mut out = BTreeMap::new();
    let limits = resources
        .and_then(|r| r.limits.as_ref())
        .into_iter()
        .flatten();
    let requests = resources
        .and_then(|r| r.requests.as_ref())
        .into_iter()
        .flatten();
    // Requests come second so that they replace the limit they default from.
    for (name, quantity) in limits.chain(requests) {
        if is_accelerator(name) {
            out.insert(name.clone(), count(&quantity.0).unwrap_or(0));
        }
    }
    out
}

/// What a pod asks of each accelerator: the larger of its containers' sum and its largest init
/// container, as the scheduler counts it. Zero counts are left out.
pub(super) fn pod_accelerators(spec: &PodSpec) -> BTreeMap<String, i64> {
    let mut total: BTreeMap<String, i64> = BTreeMap::new();
    for container in &spec.containers {
        for (name, n) in container_accelerators(container) {
            *total.entry(name).or_default() += n;
        }
    }
    for init in spec.init_containers.iter().flatten() {
        for (name, n) in container_accelerators(init) {
            let entry = total.entry(name).or_default();
            *entry = (*entry).max(n);
        }
    }
    total.retain(|_, n| *n > 0);
    total
}

/// `gpu-limit-mismatch`: an extended resource requested without an equal limit.
pub(super) fn limit_mismatch(workload: &Workload<'_>) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (container, init) in workload.containers() {
        let resources = container.resources.as_ref();
        let limits = resources.and_then(|r| r.limits.as_ref());
        let requests = resources
            .and_then(|r| r.requests.as_ref())
            .into_iter()
            .flatten();
        for (name, request) in requests.filter(|(name, _)| is_extended(name)) {
            let kind = if init { "Init container" } else { "Container" };
            let (reason, message) = match limits.and_then(|l| l.get(name)) {
                None => (
                    "LimitMissing",
                    format!(
                        "{kind} {} of {} requests {} {name} but sets no limit for it",
                        container.name,
                        describe(&workload.object),
                        request.0
                    ),
                ),
                Some(limit) if !same(&request.0, &limit.0) => (
                    "LimitMismatch",
                    format!(
                        "{kind} {} of {} requests {} {name} but limits it to {}",
                        container.name,
                        describe(&workload.object),
                        request.0,
                        limit.0
                    ),
                ),
                Some(_) => continue,
            };
            let found = finding("gpu-limit-mismatch", &workload.object, reason, message);
            findings.push(found.in_container(&container.name));
        }
    }
    findings
}

fn same(a: &str, b: &str) -> bool {
    match (count(a), count(b)) {
        (Some(a), Some(b)) => a == b,
        _ => a.trim() == b.trim(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extended_resources_are_domain_prefixed_and_not_kubernetes_io() {
        for name in [
            "nvidia.com/gpu",
            "amd.com/gpu",
            "gpu.intel.com/i915",
            "habana.ai/gaudi",
        ] {
            assert!(is_extended(name) && is_accelerator(name), "{name}");
        }
        assert!(is_extended("rdma/hca") && !is_accelerator("rdma/hca"));
        for name in [
            "cpu",
            "memory",
            "hugepages-2Mi",
            "kubernetes.io/batch",
            "x.kubernetes.io/y",
        ] {
            assert!(!is_extended(name), "{name}");
        }
    }
}
