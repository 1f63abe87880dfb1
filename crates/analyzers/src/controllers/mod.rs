//! Controllers: Deployments, ReplicaSets, StatefulSets, DaemonSets, Jobs, CronJobs, HorizontalPodAutoscalers and PodDisruptionBudgets, judged by their status.

use kubewhy_model::Finding;
use kubewhy_source::Snapshot;

use crate::Analyzer;

/// See the module documentation.
pub struct ControllerAnalyzer;

impl Analyzer for ControllerAnalyzer {
    fn checks(&self) -> &'static [&'static str] {
        &[]
    }

    fn analyze(&self, _snapshot: &Snapshot) -> Vec<Finding> {
        Vec::new()
    }
}
