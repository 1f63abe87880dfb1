//! Pods: scheduling, eviction, every container waiting reason, terminations and readiness, for
//! init containers as well as regular ones.

mod containers;
mod phase;

use kubewhy_model::{Finding, ObjectRef};
use kubewhy_source::{Snapshot, k8s::core::v1::Pod, object_ref};

use crate::{Analyzer, Context, evidence};

/// The Pod analyzer.
pub struct PodAnalyzer;

const CHECKS: &[&str] = &[
    "pod-unschedulable",
    "pod-scheduling-gated",
    "pod-evicted",
    "pod-failed",
    "pod-stuck-terminating",
    "pod-crash-looping",
    "pod-oom-killed",
    "pod-image-pull-failing",
    "pod-container-config-error",
    "pod-container-start-failing",
    "pod-container-failed",
    "pod-container-restarting",
    "pod-container-waiting",
    "pod-stuck-creating",
    "pod-not-ready",
];

impl Analyzer for PodAnalyzer {
    fn checks(&self) -> &'static [&'static str] {
        CHECKS
    }

    fn analyze(&self, snapshot: &Context<'_>) -> Vec<Finding> {
        let mut findings = Vec::new();
        for pod in &snapshot.pods {
            let ctx = PodContext {
                snapshot,
                pod,
                object: object_ref(pod),
            };
            if let Some(found) = phase::check(&ctx) {
                findings.extend(found);
                continue;
            }
            findings.extend(containers::check(&ctx));
        }
        findings
    }
}

/// What every pod check needs.
pub(crate) struct PodContext<'a> {
    pub snapshot: &'a Snapshot,
    pub pod: &'a Pod,
    pub object: ObjectRef,
}

impl PodContext<'_> {
    pub fn name(&self) -> &str {
        &self.object.name
    }

    /// A finding on this pod, with the pod's events as evidence.
    pub fn finding(&self, check: &'static str, reason: &str, message: String) -> Finding {
        let info = crate::check(check);
        // Every id used here is declared in CHECKS above; a typo is caught by the unit tests.
        let severity = info.map_or(kubewhy_model::Severity::Error, |i| i.severity);
        let mut finding = Finding::new(
            kubewhy_model::CheckId(check),
            severity,
            self.object.clone(),
            reason,
            message,
        );
        finding.evidence.events = evidence::events(self.snapshot, &self.object);
        finding
    }

    /// Seconds between `time` and when the snapshot was observed.
    pub fn age_seconds(&self, time: Option<&kubewhy_source::meta::Time>) -> Option<i64> {
        let now = self.snapshot.observed_at()?;
        Some((now - time?.0).get_seconds())
    }
}
