//! Checks on a workload's pod spec: host namespaces, unsafe sysctls, the service account, and
//! hostPath volumes (sensitive host directories, container runtime sockets, writable mounts).

use kubewhy_model::{Finding, ObjectRef};
use kubewhy_source::k8s::core::v1::Container;

use super::windows;
use crate::{
    Context,
    findings::{Build, finding},
    ids,
    k8s::{describe, get_in},
    workload::Workload,
};

/// Every pod-level check on `workload`.
pub(super) fn check(cx: &Context<'_>, workload: &Workload<'_>) -> Vec<Finding> {
    let mut findings = host_namespaces(workload);
    if !windows(&workload.spec) {
        findings.extend(sysctls(workload));
    }
    findings.extend(service_account(cx, workload));
    findings.extend(host_paths(workload));
    findings
}

fn host_namespaces(workload: &Workload<'_>) -> Vec<Finding> {
    let spec = &workload.spec;
    // Check, field, namespace, reason.
    let shared = [
        (
            ids::POD_HOST_IPC,
            "hostIPC",
            "IPC",
            "HostIPC",
            spec.host_ipc,
        ),
        (
            ids::POD_HOST_NETWORK,
            "hostNetwork",
            "network",
            "HostNetwork",
            spec.host_network,
        ),
        (
            ids::POD_HOST_PID,
            "hostPID",
            "process",
            "HostPID",
            spec.host_pid,
        ),
    ];
    shared
        .into_iter()
        .filter(|(.., set)| *set == Some(true))
        .map(|(check, field, namespace, reason, _)| {
            let message = format!(
                "{} shares the host's {namespace} namespace ({field}: true).",
                describe(&workload.object)
            );
            finding(check, &workload.object, reason, message)
        })
        .collect()
}

/// Prefixes of sysctls that are not namespaced or that reach node-wide resources.
const UNSAFE_SYSCTLS: [&str; 5] = [
    "kernel.msg",
    "kernel.sem",
    "kernel.shm",
    "fs.mqueue.",
    "net.",
];

/// The sysctls Kubernetes documents as safe (namespaced and isolated), despite their prefix.
const SAFE_SYSCTLS: [&str; 10] = [
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
];

/// Whether a sysctl is unsafe. Kubernetes accepts `/` as the separator too
/// (`net/ipv4/ip_local_port_range`), so names are compared in their dotted form.
fn unsafe_sysctl(name: &str) -> bool {
    let name = name.replace('/', ".");
    UNSAFE_SYSCTLS.iter().any(|p| name.starts_with(p)) && !SAFE_SYSCTLS.contains(&name.as_str())
}

fn sysctls(workload: &Workload<'_>) -> Vec<Finding> {
    let sysctls = workload
        .spec
        .security_context
        .as_ref()
        .and_then(|s| s.sysctls.as_ref());
    sysctls
        .into_iter()
        .flatten()
        .filter(|s| unsafe_sysctl(&s.name))
        .map(|s| {
            let message = format!(
                "{} sets the unsafe sysctl {:?}.",
                describe(&workload.object),
                s.name
            );
            finding(
                ids::POD_UNSAFE_SYSCTL,
                &workload.object,
                "UnsafeSysctl",
                message,
            )
        })
        .collect()
}

fn service_account(cx: &Context<'_>, workload: &Workload<'_>) -> Vec<Finding> {
    let spec = &workload.spec;
    let object = &workload.object;
    let deprecated = spec.service_account.as_deref().filter(|s| !s.is_empty());
    let name = spec
        .service_account_name
        .as_deref()
        .filter(|s| !s.is_empty())
        .or(deprecated);
    let mut out = Vec::new();
    if let Some(old) = deprecated.filter(|old| spec.service_account_name.as_deref() != Some(old)) {
        let message = format!(
            "{} names its service account ({old}) in the deprecated field serviceAccount \
             instead of serviceAccountName.",
            describe(object)
        );
        let check = ids::POD_DEPRECATED_SERVICE_ACCOUNT_FIELD;
        out.push(finding(check, object, "DeprecatedField", message));
    }
    match name {
        None | Some("default") => {
            let how = if name.is_some() {
                "names"
            } else {
                "names no service account, so it uses"
            };
            let message = format!(
                "{} {how} the namespace's default service account.",
                describe(object)
            );
            let check = ids::POD_DEFAULT_SERVICE_ACCOUNT;
            out.push(finding(check, object, "DefaultServiceAccount", message));
        }
        Some(name) => {
            // A Running pod proves the account exists; a snapshot without ServiceAccounts in
            // the namespace cannot tell.
            let namespace = object.namespace.as_deref();
            let judged = cx.collected("ServiceAccount", namespace)
                && !cx.service_account_in_use(namespace, name);
            if judged && get_in(&cx.service_accounts, namespace, name).is_none() {
                let message = format!(
                    "{} uses service account {name:?}, which is not among the objects given.",
                    describe(object)
                );
                let check = ids::POD_SERVICE_ACCOUNT_MISSING;
                let mut f = finding(check, object, "ServiceAccountNotFound", message);
                let namespace = object.namespace.as_deref();
                f.related
                    .push(ObjectRef::new("v1", "ServiceAccount", namespace, name));
                out.push(f);
            }
        }
    }
    out
}

/// Host directories whose mounting hands a container control of the node.
const SENSITIVE_DIRS: [&str; 8] = [
    "/", "/boot", "/dev", "/etc", "/lib", "/proc", "/sys", "/usr",
];

/// Sockets of container runtimes: whoever reaches one can start privileged containers.
const RUNTIME_SOCKETS: [&str; 4] = [
    "docker.sock",
    "containerd.sock",
    "crio.sock",
    "cri-dockerd.sock",
];

/// One finding per container mount of a hostPath volume, for each check the path triggers.
fn host_paths(workload: &Workload<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for volume in workload.spec.volumes.iter().flatten() {
        let Some(host) = &volume.host_path else {
            continue;
        };
        for (container, init) in workload.containers() {
            let mounts = container.volume_mounts.iter().flatten();
            for mount in mounts.filter(|m| m.name == volume.name) {
                let mount = Mount {
                    container,
                    init,
                    path: &host.path,
                    mounted: format!("{:?} at {:?}", host.path, mount.mount_path),
                    read_only: mount.read_only,
                };
                out.extend(host_path_mount(workload, &mount));
            }
        }
    }
    out
}

/// One container's mount of a hostPath volume.
struct Mount<'a> {
    container: &'a Container,
    init: bool,
    /// The host path.
    path: &'a str,
    /// `"/var/run" at "/host/run"`, for messages.
    mounted: String,
    read_only: Option<bool>,
}

/// The findings of one mount of a host path into a container.
fn host_path_mount(workload: &Workload<'_>, mount: &Mount<'_>) -> Vec<Finding> {
    let Mount {
        container,
        path,
        read_only,
        ..
    } = *mount;
    let mounted = &mount.mounted;
    let kind = if mount.init {
        "Init container"
    } else {
        "Container"
    };
    let subject = format!(
        "{kind} {:?} of {}",
        container.name,
        describe(&workload.object)
    );
    let on = |check, reason, message: String| {
        finding(check, &workload.object, reason, message).container(&container.name, mount.init)
    };
    let trimmed = if path.len() > 1 {
        path.trim_end_matches('/')
    } else {
        path
    };
    let mut out = Vec::new();
    if SENSITIVE_DIRS.contains(&trimmed) {
        let message = format!("{subject} mounts the sensitive host directory {mounted}.");
        out.push(on(
            ids::HOST_SENSITIVE_PATH_MOUNTED,
            "SensitiveHostPath",
            message,
        ));
    }
    if RUNTIME_SOCKETS.iter().any(|s| path.contains(s)) {
        let message = format!("{subject} mounts the container runtime socket {mounted}.");
        out.push(on(
            ids::CONTAINER_RUNTIME_SOCKET_MOUNTED,
            "RuntimeSocket",
            message,
        ));
    }
    if read_only != Some(true) {
        let message = format!("{subject} mounts host path {mounted} writable.");
        out.push(on(ids::HOST_PATH_WRITABLE, "HostPathWritable", message));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::unsafe_sysctl;

    #[test]
    fn sysctls_match_with_either_separator() {
        assert!(unsafe_sysctl("net.core.somaxconn"));
        assert!(unsafe_sysctl("net/core/somaxconn"));
        assert!(!unsafe_sysctl("net.ipv4.ip_local_port_range"));
        assert!(!unsafe_sysctl("net/ipv4/ip_local_port_range"));
        assert!(!unsafe_sysctl("kernel/shm_rmid_forced"));
        assert!(!unsafe_sysctl("vm.swappiness"));
    }
}
