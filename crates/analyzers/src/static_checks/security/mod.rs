//! Static security checks (kube-linter parity): privileges, host access, RBAC, secrets in the
//! environment and in ConfigMaps, and the organisation policies (namespaces, owners, key order)
//! a cluster owner may choose to enforce.

mod config_maps;
mod container;
mod metadata;
mod pod;
mod rbac;

use kubewhy_model::{CheckId, Finding};
use kubewhy_source::k8s::core::v1::PodSpec;

use crate::{Analyzer, Context, ids};

/// See the module documentation.
pub struct SecurityAnalyzer;

const CHECKS: &[CheckId] = &[
    ids::CONTAINER_PRIVILEGED,
    ids::CONTAINER_PRIVILEGE_ESCALATION,
    ids::CONTAINER_RUNS_AS_ROOT,
    ids::CONTAINER_ROOT_FS_WRITABLE,
    ids::CONTAINER_PROC_UNMASKED,
    ids::CONTAINER_NET_RAW_NOT_DROPPED,
    ids::CONTAINER_SECCOMP_UNSET,
    ids::CONTAINER_PRIVILEGED_PORT,
    ids::CONTAINER_SSH_PORT,
    ids::CONTAINER_SECRET_IN_ENV_VALUE,
    ids::CONTAINER_SECRET_IN_ENV_REF,
    ids::CONFIGMAP_SECRET_DATA,
    ids::POD_HOST_IPC,
    ids::POD_HOST_NETWORK,
    ids::POD_HOST_PID,
    ids::POD_UNSAFE_SYSCTL,
    ids::POD_DEFAULT_SERVICE_ACCOUNT,
    ids::POD_DEPRECATED_SERVICE_ACCOUNT_FIELD,
    ids::POD_SERVICE_ACCOUNT_MISSING,
    ids::CONTAINER_RUNTIME_SOCKET_MOUNTED,
    ids::HOST_SENSITIVE_PATH_MOUNTED,
    ids::HOST_PATH_WRITABLE,
    ids::RBAC_GRANTS_POD_CREATION,
    ids::RBAC_GRANTS_POD_EXEC,
    ids::RBAC_GRANTS_SECRET_ACCESS,
    ids::RBAC_CLUSTER_ADMIN_BOUND,
    ids::RBAC_WILDCARD_RULE,
    ids::SERVICE_EXPOSED_EXTERNALLY,
    ids::OBJECT_IN_DEFAULT_NAMESPACE,
    ids::OBJECT_MISSING_EMAIL_ANNOTATION,
    ids::OBJECT_MISSING_OWNER_LABEL,
    ids::SCC_ALLOWS_PRIVILEGED,
    ids::MANIFEST_KEYS_UNSORTED,
];

impl Analyzer for SecurityAnalyzer {
    fn checks(&self) -> &'static [CheckId] {
        CHECKS
    }

    fn analyze(&self, snapshot: &Context<'_>) -> Vec<Finding> {
        let mut findings = Vec::new();
        // A policy off by default: it would fire on most containers.
        let seccomp = snapshot.enabled(ids::CONTAINER_SECCOMP_UNSET);
        for workload in snapshot.workloads() {
            findings.extend(pod::check(snapshot, workload));
            findings.extend(container::check(workload, seccomp));
        }
        findings.extend(rbac::check(snapshot));
        findings.extend(config_maps::check(snapshot));
        findings.extend(metadata::check(snapshot));
        findings
    }
}

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
