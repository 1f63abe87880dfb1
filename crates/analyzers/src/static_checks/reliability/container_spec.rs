//! Container fields the API server or the kubelet reads strictly: declared ports, the image
//! pull policy, ephemeral-storage bounds, and requests that match limits (the Guaranteed QoS
//! class). The policies among them are off by default and cost nothing then.

use std::collections::BTreeSet;

use kubewhy_model::Finding;
use kubewhy_source::k8s::core::v1::Container;

use super::containers::{floating, is_zero};
use crate::{
    Context,
    findings::{Build, finding},
    ids,
    k8s::{and_list, container_of, quantity_value},
    workload::Workload,
};

pub(super) fn check(cx: &Context<'_>) -> Vec<Finding> {
    let on = |id| cx.enabled(id);
    let (pull, storage, equal) = (
        on(ids::CONTAINER_IMAGE_PULL_POLICY_NOT_ALWAYS),
        on(ids::CONTAINER_EPHEMERAL_STORAGE_UNSET),
        on(ids::CONTAINER_REQUESTS_EQUAL_LIMITS),
    );
    let mut findings = Vec::new();
    for workload in cx.workloads() {
        for (container, init) in workload.containers() {
            let mut found = ports(workload, container);
            if pull {
                found.extend(pull_policy(workload, container));
            }
            if storage {
                found.extend(ephemeral_storage(workload, container));
            }
            if equal {
                found.extend(requests_equal_limits(workload, container));
            }
            findings.extend(
                found
                    .into_iter()
                    .map(|f| f.container(&container.name, init)),
            );
        }
    }
    findings
}

/// Declared ports without a number (or with one outside 1-65535), and port names used twice
/// in one container: the API server rejects both.
fn ports(workload: &Workload, container: &Container) -> Vec<Finding> {
    let subject = container_of(&container.name, &workload.object);
    let mut out = Vec::new();
    let mut names = BTreeSet::new();
    for (i, port) in container.ports.iter().flatten().enumerate() {
        let label = port
            .name
            .as_deref()
            .map_or_else(|| format!("port {}", i + 1), |n| format!("port {n}"));
        let (reason, problem) = match port.container_port {
            0 => ("ContainerPortMissing", "has no containerPort".to_owned()),
            n if !(1..=65535).contains(&n) => (
                "ContainerPortOutOfRange",
                format!("has containerPort {n}, outside 1-65535"),
            ),
            _ => ("", String::new()),
        };
        if !reason.is_empty() {
            let message = format!("The {label} of container {subject} {problem}.");
            out.push(finding(
                ids::CONTAINER_PORT_INVALID,
                &workload.object,
                reason,
                message,
            ));
        }
        if let Some(name) = port.name.as_deref().filter(|n| !n.is_empty())
            && !names.insert(name)
        {
            let message = format!("Container {subject} declares the port name {name} twice.");
            out.push(finding(
                ids::CONTAINER_PORT_INVALID,
                &workload.object,
                "DuplicatePortName",
                message,
            ));
        }
    }
    out
}

/// A pull policy other than `Always`, written or defaulted: an image with a tag other than
/// `latest`, or a digest, defaults to `IfNotPresent`.
fn pull_policy(workload: &Workload, container: &Container) -> Option<Finding> {
    let image = container.image.as_deref()?;
    let (policy, how) = match container.image_pull_policy.as_deref() {
        Some(p) => (p, "sets"),
        None if floating(image) => return None,
        None => ("IfNotPresent", "defaults to"),
    };
    if policy == "Always" {
        return None;
    }
    let message = format!(
        "Container {} {how} imagePullPolicy {policy}, so a node that has the image runs it without checking the registry or the pull credentials.",
        container_of(&container.name, &workload.object)
    );
    Some(finding(
        ids::CONTAINER_IMAGE_PULL_POLICY_NOT_ALWAYS,
        &workload.object,
        "PullPolicyNotAlways",
        message,
    ))
}

/// No ephemeral-storage limit: a request alone does not stop a container from filling the
/// node's disk, and a limit alone is copied into the request.
fn ephemeral_storage(workload: &Workload, container: &Container) -> Option<Finding> {
    let resources = container.resources.as_ref();
    let get = |limits: bool| {
        resources
            .and_then(|r| {
                if limits {
                    r.limits.as_ref()
                } else {
                    r.requests.as_ref()
                }
            })
            .and_then(|m| m.get("ephemeral-storage"))
    };
    if !is_zero(get(true)) {
        return None;
    }
    let (reason, what) = if is_zero(get(false)) {
        (
            "EphemeralStorageUnset",
            "no ephemeral-storage request or limit",
        )
    } else {
        (
            "EphemeralStorageLimitUnset",
            "an ephemeral-storage request but no limit",
        )
    };
    let message = format!(
        "Container {} has {what}, so its logs, emptyDir volumes and writable layer may fill the node's disk.",
        container_of(&container.name, &workload.object)
    );
    Some(finding(
        ids::CONTAINER_EPHEMERAL_STORAGE_UNSET,
        &workload.object,
        reason,
        message,
    ))
}

/// CPU or memory requested below (or without) its limit. A request left out is the limit, as
/// the API server copies it; neither set is left to the checks on unset resources.
fn requests_equal_limits(workload: &Workload, container: &Container) -> Option<Finding> {
    let resources = container.resources.as_ref()?;
    let mut differ = Vec::new();
    for name in ["cpu", "memory"] {
        let limit = resources.limits.as_ref().and_then(|l| l.get(name));
        let request = resources.requests.as_ref().and_then(|r| r.get(name));
        let text = match (request, limit) {
            (None, _) => continue,
            (Some(r), None) => format!("{name} {} without a limit", r.0),
            (Some(r), Some(l)) => {
                let same = match (quantity_value(&r.0), quantity_value(&l.0)) {
                    (Some(a), Some(b)) => (a - b).abs() <= f64::EPSILON * a.abs().max(1.0),
                    _ => r.0 == l.0,
                };
                if same {
                    continue;
                }
                format!("{name} {} with a limit of {}", r.0, l.0)
            }
        };
        differ.push(text);
    }
    if differ.is_empty() {
        return None;
    }
    let message = format!(
        "Container {} requests {}, so its pods are not in the Guaranteed QoS class: the node may be overcommitted, and they are evicted before Guaranteed pods under node pressure.",
        container_of(&container.name, &workload.object),
        and_list(&differ)
    );
    Some(finding(
        ids::CONTAINER_REQUESTS_EQUAL_LIMITS,
        &workload.object,
        "RequestsBelowLimits",
        message,
    ))
}
