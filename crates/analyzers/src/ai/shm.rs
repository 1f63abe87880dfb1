//! Multi-process ML containers left with the container runtime's default 64 MiB `/dev/shm`.

use kubewhy_model::Finding;

use super::frameworks;
use crate::{
    findings::{Build, finding},
    ids,
    k8s::describe,
    workload::Workload,
};

/// `model-server-no-shm`: a container of a multi-process framework without a memory-backed
/// volume at `/dev/shm`, in a pod that does not share the host's IPC namespace.
pub(super) fn check(workload: &Workload<'_>) -> Vec<Finding> {
    if workload.spec.host_ipc == Some(true) {
        return Vec::new();
    }
    let volumes = workload.spec.volumes.as_deref().unwrap_or_default();
    let mut findings = Vec::new();
    for container in &workload.spec.containers {
        let Some(framework) = frameworks::recognize(container).filter(|f| f.uses_shared_memory())
        else {
            continue;
        };
        let mount = container
            .volume_mounts
            .iter()
            .flatten()
            .find(|m| m.mount_path.trim_end_matches('/') == "/dev/shm");
        let (reason, why) = match mount {
            None => ("NoShmVolume", "nothing is mounted at /dev/shm".to_owned()),
            Some(mount) => {
                let volume = volumes.iter().find(|v| v.name == mount.name);
                let medium = volume
                    .and_then(|v| v.empty_dir.as_ref())
                    .and_then(|e| e.medium.as_deref());
                if medium == Some("Memory") {
                    continue;
                }
                (
                    "ShmNotMemory",
                    format!(
                        "volume {} at /dev/shm is not an emptyDir with medium Memory",
                        mount.name
                    ),
                )
            }
        };
        let message = format!(
            "Container {} of {} runs {} with the default 64 MiB /dev/shm: {why}",
            container.name,
            describe(&workload.object),
            framework.name()
        );
        let found = finding(ids::MODEL_SERVER_NO_SHM, &workload.object, reason, message)
            .container(&container.name, false);
        findings.push(found);
    }
    findings
}
