//! Extended resources (GPUs and other devices) requested without an equal limit.

use kubewhy_model::Finding;

use crate::{
    findings::{Build, finding},
    ids,
    k8s::{count, describe, is_extended},
    workload::Workload,
};

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
            let found = finding(ids::GPU_LIMIT_MISMATCH, &workload.object, reason, message)
                .container(&container.name, init);
            findings.push(found);
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
