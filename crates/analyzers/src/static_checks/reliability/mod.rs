//! Static reliability checks (kube-linter parity): images, resources, probes, selectors, dangling
//! references, rollout and disruption settings, replica counts against autoscalers, governing
//! Services and CronJob templates. They judge manifests as written, so on a live
//! cluster they read each workload's pod template.

mod batch;
mod container_spec;
mod containers;
mod dangling;
mod pod_spec;
mod rollout;
mod workloads;

use kubewhy_model::{CheckId, Finding};

use crate::{Analyzer, Context, ids};

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
    ids::DEPLOYMENT_REPLICAS_UNSET,
    ids::DEPLOYMENT_REPLICAS_CONFLICT_HPA,
    ids::WORKLOAD_NO_PDB,
    ids::STATEFULSET_SERVICE_NOT_HEADLESS,
    ids::CRONJOB_RESTART_POLICY_INVALID,
    ids::CRONJOB_STARTING_DEADLINE_UNSET,
    ids::CONTAINER_PORT_INVALID,
    ids::CONTAINER_IMAGE_PULL_POLICY_NOT_ALWAYS,
    ids::CONTAINER_EPHEMERAL_STORAGE_UNSET,
    ids::CONTAINER_REQUESTS_EQUAL_LIMITS,
    ids::TOPOLOGY_SPREAD_INVALID,
    ids::POD_NETWORK_POLICY_PARTIAL,
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
        findings.extend(container_spec::check(snapshot));
        findings.extend(pod_spec::check(snapshot));
        findings.extend(dangling::check(snapshot));
        findings.extend(rollout::check(snapshot));
        findings.extend(workloads::check(snapshot));
        findings.extend(batch::check(snapshot));
        findings
    }
}
