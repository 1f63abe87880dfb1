//! Controllers: Deployments, ReplicaSets, StatefulSets, DaemonSets, Jobs, CronJobs,
//! HorizontalPodAutoscalers and PodDisruptionBudgets, judged by their status, their conditions
//! and the objects they point at.

mod cron;
mod daemonset;
mod deployment;
mod hpa;
mod job;
mod pdb;
mod statefulset;

use kubewhy_model::{CheckId, Finding};

use crate::{Analyzer, Context, ids};

/// The controller analyzer.
pub struct ControllerAnalyzer;

const CHECKS: &[CheckId] = &[
    ids::DEPLOYMENT_UNAVAILABLE,
    ids::DEPLOYMENT_PROGRESS_DEADLINE_EXCEEDED,
    ids::REPLICASET_CREATE_FAILED,
    ids::STATEFULSET_SERVICE_MISSING,
    ids::STATEFULSET_STORAGE_CLASS_MISSING,
    ids::STATEFULSET_REPLICAS_NOT_READY,
    ids::DAEMONSET_PODS_UNAVAILABLE,
    ids::DAEMONSET_PODS_MISSCHEDULED,
    ids::DAEMONSET_ROLLOUT_STUCK,
    ids::JOB_FAILED,
    ids::JOB_SUSPENDED,
    ids::CRONJOB_INVALID_SCHEDULE,
    ids::CRONJOB_NOT_SCHEDULING,
    ids::CRONJOB_SUSPENDED,
    ids::CRONJOB_STARTING_DEADLINE_NEGATIVE,
    ids::HPA_TARGET_NOT_FOUND,
    ids::HPA_TARGET_UNSUPPORTED,
    ids::HPA_MISSING_RESOURCE_REQUESTS,
    ids::HPA_SCALING_INACTIVE,
    ids::HPA_AT_MAX_REPLICAS,
    ids::PDB_SELECTS_NO_PODS,
    ids::PDB_BLOCKS_DISRUPTIONS,
];

/// How long a controller may stay short of ready pods before it is flagged: long enough for a
/// rollout or a node replacement to finish.
pub(super) const GRACE_SECONDS: i64 = 600;

impl Analyzer for ControllerAnalyzer {
    fn checks(&self) -> &'static [CheckId] {
        CHECKS
    }

    fn analyze(&self, cx: &Context<'_>) -> Vec<Finding> {
        let mut findings = deployment::check(cx);
        findings.extend(statefulset::check(cx));
        findings.extend(daemonset::check(cx));
        findings.extend(job::check(cx));
        findings.extend(hpa::check(cx));
        findings.extend(pdb::check(cx));
        findings
    }
}

/// Whether the controller has not yet acted on its latest spec: its status describes an older
/// generation, so counts that lag behind are expected.
pub(super) fn status_stale(generation: Option<i64>, observed: Option<i64>) -> bool {
    matches!((generation, observed), (Some(g), Some(o)) if o < g)
}
