//! Extended resources (GPUs and other devices a device plugin advertises): how they are named
//! and counted, as the scheduler counts them.

use std::collections::BTreeMap;

use kubewhy_source::k8s::core::v1::{Container, PodSpec};

/// A resource a device plugin advertises: a domain-prefixed name outside `kubernetes.io`.
pub(crate) fn is_extended(name: &str) -> bool {
    let Some((domain, _)) = name.split_once('/') else {
        return false;
    };
    domain != "kubernetes.io" && !domain.ends_with(".kubernetes.io")
}

/// An extended resource that is an accelerator: its name mentions a GPU or TPU, or it comes
/// from NVIDIA, Habana (Gaudi) or AWS Neuron. Other devices (RDMA, FUSE) are not GPUs.
pub(crate) fn is_accelerator(name: &str) -> bool {
    is_extended(name)
        && (name.contains("gpu")
            || name.contains("tpu")
            || name.contains("neuron")
            || name.starts_with("nvidia.com/")
            || name.starts_with("habana.ai/"))
}

/// A whole-number quantity (device counts are whole numbers).
pub(crate) fn count(quantity: &str) -> Option<i64> {
    quantity.trim().parse().ok()
}

/// What one container asks of each resource that `wanted` accepts: its request, or its limit
/// when the request is left out (Kubernetes copies the limit).
fn container_requests(container: &Container, wanted: fn(&str) -> bool) -> BTreeMap<String, i64> {
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
        if wanted(name) {
            out.insert(name.clone(), count(&quantity.0).unwrap_or(0));
        }
    }
    out
}

/// What a pod asks of each resource `wanted` accepts: the larger of its containers' sum and its
/// largest init container, as the scheduler counts it. Zero counts are left out.
fn pod_requests(spec: &PodSpec, wanted: fn(&str) -> bool) -> BTreeMap<String, i64> {
    let mut total: BTreeMap<String, i64> = BTreeMap::new();
    for container in &spec.containers {
        for (name, n) in container_requests(container, wanted) {
            *total.entry(name).or_default() += n;
        }
    }
    for init in spec.init_containers.iter().flatten() {
        for (name, n) in container_requests(init, wanted) {
            let entry = total.entry(name).or_default();
            *entry = (*entry).max(n);
        }
    }
    total.retain(|_, n| *n > 0);
    total
}

/// What a pod asks of each accelerator.
pub(crate) fn pod_accelerators(spec: &PodSpec) -> BTreeMap<String, i64> {
    pod_requests(spec, is_accelerator)
}

/// What a pod asks of each extended resource, accelerators and other devices alike.
pub(crate) fn extended_requests(spec: &PodSpec) -> BTreeMap<String, i64> {
    pod_requests(spec, is_extended)
}

/// A quantity's value in base units (`500m` is 0.5, `1Gi` is 1073741824, `1e3` is 1000), as
/// Kubernetes reads it; `None` for text that is not a quantity.
pub(crate) fn quantity_value(quantity: &str) -> Option<f64> {
    const BINARY: [(&str, i32); 6] = [
        ("Ki", 1),
        ("Mi", 2),
        ("Gi", 3),
        ("Ti", 4),
        ("Pi", 5),
        ("Ei", 6),
    ];
    const DECIMAL: [(char, i32); 9] = [
        ('n', -9),
        ('u', -6),
        ('m', -3),
        ('k', 3),
        ('M', 6),
        ('G', 9),
        ('T', 12),
        ('P', 15),
        ('E', 18),
    ];
    let text = quantity.trim();
    for (suffix, power) in BINARY {
        if let Some(number) = text.strip_suffix(suffix) {
            return Some(number.parse::<f64>().ok()? * 1024f64.powi(power));
        }
    }
    for (suffix, power) in DECIMAL {
        if let Some(number) = text.strip_suffix(suffix)
            && let Ok(n) = number.parse::<f64>()
        {
            return Some(n * 10f64.powi(power));
        }
    }
    text.parse::<f64>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_read_as_kubernetes_reads_them() {
        assert_eq!(quantity_value("500m"), Some(0.5));
        assert_eq!(quantity_value("0.5"), Some(0.5));
        assert_eq!(quantity_value("1Gi"), quantity_value("1024Mi"));
        assert_eq!(quantity_value("1k"), Some(1000.0));
        assert_eq!(quantity_value("1e3"), Some(1000.0));
        assert_eq!(quantity_value("2"), Some(2.0));
        assert_eq!(quantity_value("lots"), None);
    }

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
