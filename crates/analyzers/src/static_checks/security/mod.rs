//! Static security checks (kube-linter parity): privileges, host access, RBAC, secrets in the
//! environment, and the organisation policies (namespaces, owners, key order) a cluster owner
//! may choose to enforce.

mod container;
mod metadata;
mod pod;
mod rbac;

use kubewhy_model::{Finding, ObjectRef};
use kubewhy_source::k8s::core::v1::PodSpec;

use crate::{Analyzer, Context};

/// See the module documentation.
pub struct SecurityAnalyzer;

const CHECKS: &[&str] = &[
    "container-privileged",
    "container-privilege-escalation",
    "container-runs-as-root",
    "container-root-fs-writable",
    "container-proc-unmasked",
    "container-net-raw-not-dropped",
    "container-privileged-port",
    "container-ssh-port",
    "container-secret-in-env-value",
    "container-secret-in-env-ref",
    "pod-host-ipc",
    "pod-host-network",
    "pod-host-pid",
    "pod-unsafe-sysctl",
    "pod-default-service-account",
    "pod-deprecated-service-account-field",
    "pod-service-account-missing",
    "container-runtime-socket-mounted",
    "host-sensitive-path-mounted",
    "host-path-writable",
    "rbac-grants-pod-creation",
    "rbac-grants-secret-access",
    "rbac-cluster-admin-bound",
    "rbac-wildcard-rule",
    "service-exposed-externally",
    "object-in-default-namespace",
    "object-missing-email-annotation",
    "object-missing-owner-label",
    "scc-allows-privileged",
    "manifest-keys-unsorted",
];

impl Analyzer for SecurityAnalyzer {
    fn checks(&self) -> &'static [&'static str] {
        CHECKS
    }

    fn analyze(&self, snapshot: &Context<'_>) -> Vec<Finding> {
        let mut findings = Vec::new();
        for workload in snapshot.workloads() {
            findings.extend(pod::check(snapshot, workload));
            findings.extend(container::check(workload));
        }
        findings.extend(rbac::check(snapshot));
        findings.extend(metadata::check(snapshot));
        findings
    }
}

use crate::findings::finding;

/// A pod for Windows nodes (`spec.os.name: windows`, or a `kubernetes.io/os: windows` node
/// selector). Linux security settings (users, capabilities, a read-only root, procMount,
/// sysctls) do not apply there, and the API rejects most of them when `spec.os` says Windows.
fn windows(spec: &PodSpec) -> bool {
    spec.os.as_ref().is_some_and(|os| os.name == "windows")
        || spec
            .node_selector
            .as_ref()
            .and_then(|s| s.get("kubernetes.io/os"))
            .is_some_and(|os| os == "windows")
}

/// `Deployment web`, as messages name objects (the report shows the namespace).
fn describe(object: &ObjectRef) -> String {
    format!("{} {}", object.kind, object.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_check_has_a_catalog_entry() {
        for id in CHECKS {
            assert!(crate::check(id).is_some(), "{id} has no catalog entry");
        }
    }
}
