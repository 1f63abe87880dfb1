//! Static reliability checks (kube-linter parity): images, resources, probes, selectors, dangling references, rollout and disruption settings.

use kubewhy_model::Finding;
use kubewhy_source::Snapshot;

use crate::Analyzer;

/// See the module documentation.
pub struct ReliabilityAnalyzer;

impl Analyzer for ReliabilityAnalyzer {
    fn checks(&self) -> &'static [&'static str] {
        &[]
    }

    fn analyze(&self, _snapshot: &Snapshot) -> Vec<Finding> {
        Vec::new()
    }
}
