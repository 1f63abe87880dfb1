//! Nodes: readiness, pressure conditions and cordons.

use kubewhy_model::Finding;
use kubewhy_source::Snapshot;

use crate::Analyzer;

/// See the module documentation.
pub struct NodeAnalyzer;

impl Analyzer for NodeAnalyzer {
    fn checks(&self) -> &'static [&'static str] {
        &[]
    }

    fn analyze(&self, _snapshot: &Snapshot) -> Vec<Finding> {
        Vec::new()
    }
}
