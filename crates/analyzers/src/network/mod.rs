//! Networking: Services and their endpoints, Ingresses, NetworkPolicies, admission webhooks and the Gateway API.

use kubewhy_model::Finding;
use kubewhy_source::Snapshot;

use crate::Analyzer;

/// See the module documentation.
pub struct NetworkAnalyzer;

impl Analyzer for NetworkAnalyzer {
    fn checks(&self) -> &'static [&'static str] {
        &[]
    }

    fn analyze(&self, _snapshot: &Snapshot) -> Vec<Finding> {
        Vec::new()
    }
}
