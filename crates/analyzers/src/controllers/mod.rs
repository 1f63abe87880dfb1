//! Controllers: Deployments, ReplicaSets, StatefulSets, DaemonSets, Jobs, CronJobs,
//! HorizontalPodAutoscalers and PodDisruptionBudgets, judged by their status, their conditions
//! and the objects they point at.

/// Views any Kubernetes condition list (`Option<Vec<XCondition>>` with `type_`, `status`,
/// optional `reason`, `message` and `last_transition_time`) as [`Cond`]s.
macro_rules! conds {
    ($list:expr) => {
        $list
            .into_iter()
            .flatten()
            .map(|c| $crate::controllers::Cond {
                type_: $crate::controllers::Text::text(&c.type_),
                status: $crate::controllers::Text::text(&c.status),
                reason: c.reason.as_deref(),
                message: c.message.as_deref(),
                since: c.last_transition_time.as_ref(),
            })
    };
}

mod cron;
mod daemonset;
mod deployment;
mod hpa;
mod job;
mod pdb;
mod statefulset;

use kubewhy_model::{ConditionEvidence, Finding, ObjectRef};
use kubewhy_source::{Snapshot, k8s::core::v1::Pod, meta::Time};

use crate::{Analyzer, Context, evidence};

/// The controller analyzer.
pub struct ControllerAnalyzer;

const CHECKS: &[&str] = &[
    "deployment-unavailable",
    "deployment-progress-deadline-exceeded",
    "replicaset-create-failed",
    "statefulset-service-missing",
    "statefulset-storage-class-missing",
    "statefulset-replicas-not-ready",
    "daemonset-pods-unavailable",
    "daemonset-pods-misscheduled",
    "daemonset-rollout-stuck",
    "job-failed",
    "job-suspended",
    "cronjob-invalid-schedule",
    "cronjob-not-scheduling",
    "cronjob-suspended",
    "cronjob-starting-deadline-negative",
    "hpa-target-not-found",
    "hpa-target-unsupported",
    "hpa-missing-resource-requests",
    "hpa-scaling-inactive",
    "hpa-at-max-replicas",
    "pdb-selects-no-pods",
    "pdb-blocks-disruptions",
];

/// How long a controller may stay short of ready pods before it is flagged: long enough for a
/// rollout or a node replacement to finish.
pub(crate) const GRACE_SECONDS: i64 = 600;

impl Analyzer for ControllerAnalyzer {
    fn checks(&self) -> &'static [&'static str] {
        CHECKS
    }

    fn analyze(&self, snapshot: &Context<'_>) -> Vec<Finding> {
        let mut findings = deployment::check(snapshot);
        findings.extend(statefulset::check(snapshot));
        findings.extend(daemonset::check(snapshot));
        findings.extend(job::check(snapshot));
        findings.extend(hpa::check(snapshot));
        findings.extend(pdb::check(snapshot));
        findings
    }
}

/// A condition's `type` and `status`: required strings in most kinds, optional in some.
pub(crate) trait Text {
    fn text(&self) -> &str;
}

impl Text for String {
    fn text(&self) -> &str {
        self
    }
}

impl Text for Option<String> {
    fn text(&self) -> &str {
        self.as_deref().unwrap_or_default()
    }
}

/// One condition of any kind of object, borrowed.
pub(crate) struct Cond<'a> {
    pub type_: &'a str,
    pub status: &'a str,
    pub reason: Option<&'a str>,
    pub message: Option<&'a str>,
    pub since: Option<&'a Time>,
}

impl Cond<'_> {
    /// The condition as evidence on `object`.
    pub fn evidence(&self, object: &ObjectRef) -> ConditionEvidence {
        evidence::condition(
            object,
            self.type_,
            self.status,
            self.reason.map(str::to_owned).as_ref(),
            self.message.map(str::to_owned).as_ref(),
        )
    }

    /// `Reason: message`, or whichever of the two is set.
    pub fn explain(&self) -> String {
        explain(self.reason, self.message)
    }
}

/// `Reason: message`, or whichever of the two is set.
pub(crate) fn explain(reason: Option<&str>, message: Option<&str>) -> String {
    let message = message.map(str::trim).filter(|m| !m.is_empty());
    match (reason, message) {
        (Some(r), Some(m)) => format!("{r}: {m}"),
        (Some(r), None) => r.to_owned(),
        (None, Some(m)) => m.to_owned(),
        (None, None) => "no reason given".to_owned(),
    }
}

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

/// Whether the controller has not yet acted on its latest spec: its status describes an older
/// generation, so counts that lag behind are expected.
pub(crate) fn status_stale(generation: Option<i64>, observed: Option<i64>) -> bool {
    matches!((generation, observed), (Some(g), Some(o)) if o < g)
}

pub(crate) use crate::findings::{human_duration, with_events as finding};

/// Seconds from `time` to when the snapshot was observed.
pub(crate) fn age_seconds(snapshot: &Snapshot, time: Option<&Time>) -> Option<i64> {
    Some((snapshot.observed_at()? - time?.0).get_seconds())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_kubectl() {
        assert_eq!(human_duration(42), "42s");
        assert_eq!(human_duration(600), "10m");
        assert_eq!(human_duration(3 * 3600 + 120), "3h 2m");
        assert_eq!(human_duration(2 * 86_400 + 3600), "2d 1h");
    }

    #[test]
    fn every_check_has_a_catalog_entry() {
        for id in CHECKS {
            assert!(crate::check(id).is_some(), "{id}");
        }
    }
}
