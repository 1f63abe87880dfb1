//! References: pods that name ConfigMaps, Secrets, claims or ServiceAccounts that do not exist, and ConfigMaps nothing uses.

use kubewhy_model::Finding;
use kubewhy_source::Snapshot;

use crate::Analyzer;

/// See the module documentation.
pub struct ReferenceAnalyzer;

impl Analyzer for ReferenceAnalyzer {
    fn checks(&self) -> &'static [&'static str] {
        &[]
    }

    fn analyze(&self, _snapshot: &Snapshot) -> Vec<Finding> {
        Vec::new()
    }
}
