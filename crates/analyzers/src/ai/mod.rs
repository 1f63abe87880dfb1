//! AI workloads: GPU requests and placement, shared memory, model servers' probes and exposure,
//! model volumes. Images and commands are recognized by the explicit rules in `frameworks`.

mod frameworks;
mod gpu;
mod model_server;
mod placement;
mod shm;
mod volumes;

use kubewhy_model::{CheckId, Finding};

use crate::{Analyzer, Context, ids};

/// See the module documentation.
pub struct AiAnalyzer;

const CHECKS: &[CheckId] = &[
    ids::GPU_LIMIT_MISMATCH,
    ids::GPU_POD_UNSCHEDULABLE,
    ids::GPU_NODE_UNTAINTED,
    ids::MODEL_SERVER_NO_SHM,
    ids::MODEL_SERVER_NO_READINESS_PROBE,
    ids::MODEL_SERVER_PROBE_TOO_SHORT,
    ids::MODEL_SERVER_EXPOSED,
    ids::MODEL_IMAGE_PULL_ALWAYS,
    ids::MODEL_VOLUME_RWO_SHARED,
];

impl Analyzer for AiAnalyzer {
    fn checks(&self) -> &'static [CheckId] {
        CHECKS
    }

    fn analyze(&self, cx: &Context<'_>) -> Vec<Finding> {
        let snapshot = cx;
        let mut findings = Vec::new();
        for workload in cx.workloads() {
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
