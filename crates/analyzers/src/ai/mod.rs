//! AI workloads: GPU requests and placement, shared memory, model servers' probes and exposure,
//! model volumes. Images and commands are recognized by the explicit rules in `frameworks`.

pub(crate) mod affinity;
mod frameworks;
mod gpu;
mod model_server;
mod placement;
mod shm;
mod volumes;

use kubewhy_model::{Finding, ObjectRef};

use crate::{Analyzer, Context};

/// See the module documentation.
pub struct AiAnalyzer;

const CHECKS: &[&str] = &[
    "gpu-limit-mismatch",
    "gpu-pod-unschedulable",
    "gpu-node-untainted",
    "model-server-no-shm",
    "model-server-no-readiness-probe",
    "model-server-probe-too-short",
    "model-server-exposed",
    "model-image-pull-always",
    "model-volume-rwo-shared",
];

impl Analyzer for AiAnalyzer {
    fn checks(&self) -> &'static [&'static str] {
        CHECKS
    }

    fn analyze(&self, snapshot: &Context<'_>) -> Vec<Finding> {
        let mut findings = Vec::new();
        for workload in snapshot.workloads() {
            findings.extend(gpu::limit_mismatch(workload));
            findings.extend(shm::check(workload));
            findings.extend(model_server::no_readiness(workload));
            findings.extend(model_server::probe_too_short(workload));
            findings.extend(model_server::exposed(snapshot, workload));
            findings.extend(model_server::pull_always(workload));
            findings.extend(volumes::check(snapshot, workload));
        }
        findings.extend(model_server::exposed_inference_services(snapshot));
        findings.extend(placement::pending(snapshot));
        findings.extend(placement::untainted(snapshot));
        findings
    }
}

use crate::findings::finding;

/// `Deployment web`, as messages name objects (the report shows the namespace).
fn describe(object: &ObjectRef) -> String {
    format!("{} {}", object.kind, object.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_check_has_a_catalog_entry() {
        for id in CHECKS {
            assert!(crate::check(id).is_some(), "{id}");
        }
    }
}
