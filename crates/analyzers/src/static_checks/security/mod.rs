//! Static security checks (kube-linter parity): privileges, host access, RBAC, secrets in the environment.

use kubewhy_model::Finding;
use kubewhy_source::Snapshot;

use crate::Analyzer;

/// See the module documentation.
pub struct SecurityAnalyzer;

impl Analyzer for SecurityAnalyzer {
    fn checks(&self) -> &'static [&'static str] {
        &[]
    }

    fn analyze(&self, _snapshot: &Snapshot) -> Vec<Finding> {
        Vec::new()
    }
}
