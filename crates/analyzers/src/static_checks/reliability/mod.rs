//! Static reliability checks (kube-linter parity): images, resources, probes, selectors, dangling
//! references, rollout and disruption settings. They judge manifests as written, so on a live
//! cluster they read each workload's pod template.

mod containers;
mod dangling;
mod pod_spec;
mod rollout;

use kubewhy_model::{CheckId, Finding};

use crate::{Analyzer, Context, ids, k8s::dynamic_of_kind};

/// See the module documentation.
pub struct ReliabilityAnalyzer;

const CHECKS: &[CheckId] = &[
    ids::IMAGE_TAG_LATEST,
    ids::CONTAINER_CPU_REQUEST_UNSET,
    ids::CONTAINER_MEMORY_LIMIT_UNSET,
    ids::CONTAINER_LIVENESS_PROBE_MISSING,
    ids::CONTAINER_READINESS_PROBE_MISSING,
    ids::PROBE_PORT_NOT_EXPOSED,
    ids::ENV_VAR_DUPLICATE,
    ids::ENV_REF_MISSING,
    ids::SELECTOR_MISMATCH,
    ids::WORKLOAD_NO_ANTI_AFFINITY,
    ids::WORKLOAD_NO_NODE_AFFINITY,
    ids::POD_NOT_ISOLATED,
    ids::DNS_NDOTS_UNSET,
    ids::PRIORITY_CLASS_NOT_ALLOWED,
    ids::RESTART_POLICY_NEVER,
    ids::SERVICE_SELECTS_NO_WORKLOAD,
    ids::INGRESS_BACKEND_DANGLING,
    ids::HPA_TARGET_DANGLING,
    ids::NETWORK_POLICY_DANGLING,
    ids::NETWORK_POLICY_PEER_SELECTS_NO_PODS,
    ids::SERVICE_MONITOR_SELECTS_NO_SERVICES,
    ids::TARGET_PORT_INVALID,
    ids::REPLICAS_BELOW_THREE,
    ids::HPA_MIN_REPLICAS_BELOW_THREE,
    ids::ROLLOUT_STRATEGY_NOT_ROLLING,
    ids::PDB_MAX_UNAVAILABLE_ZERO,
    ids::PDB_MIN_AVAILABLE_BLOCKS_EVICTION,
    ids::PDB_UNHEALTHY_EVICTION_POLICY_UNSET,
    ids::JOB_TTL_MISCONFIGURED,
    ids::API_VERSION_REMOVED,
];

/// Kinds whose `spec.replicas` says how many pods run (one when unset).
const REPLICATED: &[&str] = &[
    "Deployment",
    "StatefulSet",
    "ReplicaSet",
    "ReplicationController",
    "DeploymentConfig",
];

impl Analyzer for ReliabilityAnalyzer {
    fn checks(&self) -> &'static [CheckId] {
        CHECKS
    }

    fn analyze(&self, snapshot: &Context<'_>) -> Vec<Finding> {
        let mut findings = containers::check(snapshot);
        findings.extend(pod_spec::check(snapshot));
        findings.extend(dangling::check(snapshot));
        findings.extend(rollout::check(snapshot));
        findings
    }
}

/// Whether a scalable object of this kind and name exists in the namespace: a workload the
/// index holds, or an object of a dynamic kind (an Argo Rollout, a DeploymentConfig).
fn exists(cx: &Context<'_>, kind: &str, namespace: Option<&str>, name: &str) -> bool {
    let typed = matches!(
        kind,
        "Deployment" | "StatefulSet" | "ReplicaSet" | "ReplicationController"
    );
    (typed && cx.workload(kind, namespace, name).is_some())
        || dynamic_of_kind(cx, kind).any(|d| {
            d.metadata.name.as_deref() == Some(name) && d.metadata.namespace.as_deref() == namespace
        })
}
