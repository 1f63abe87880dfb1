//! Container-level checks: image tags, resource settings, probes (readiness judged per pod)
//! and environment variables.

use std::collections::BTreeSet;

use k8s_openapi::apimachinery::pkg::{api::resource::Quantity, util::intstr::IntOrString};
use kubewhy_model::Finding;
use kubewhy_source::{
    Snapshot,
    k8s::core::v1::{Container, Probe},
    object_ref,
};

use crate::{
    Context,
    findings::{Build, finding},
    ids,
    k8s::{container_of, describe, get_in, namespace_of, routing_services},
    workload::Workload,
};

pub(super) fn check(cx: &Context<'_>) -> Vec<Finding> {
    let snapshot = cx;
    let mut findings = Vec::new();
    for workload in cx.workloads() {
        let long_running = long_running(workload);
        for (container, init) in workload.containers() {
            let mut found: Vec<Finding> = image(workload, container).into_iter().collect();
            found.extend(resources(workload, container));
            // A native sidecar (an init container that restarts always) runs beside the app.
            let sidecar = init && container.restart_policy.as_deref() == Some("Always");
            found.extend(probes(
                workload,
                container,
                long_running && (!init || sidecar),
            ));
            found.extend(duplicate_env(workload, container));
            found.extend(env_refs(snapshot, workload, container));
            findings.extend(
                found
                    .into_iter()
                    .map(|f| f.container(&container.name, init)),
            );
        }
        if long_running {
            findings.extend(readiness(cx, workload));
        }
    }
    findings
}

/// A pod that a Service routes to, and none of whose containers (regular, or native sidecars)
/// has a readiness probe: one probe tells the endpoints controller when the pod can serve. Pods
/// no Service selects (queue workers, controllers) receive no traffic to hold back. When the
/// snapshot holds no Services, nothing says whether one routes to the pods, and they are
/// judged as kube-linter judges them.
fn readiness(cx: &Context<'_>, workload: &Workload) -> Option<Finding> {
    let serving: Vec<(&Container, bool)> = workload
        .containers()
        .filter(|(c, init)| !init || c.restart_policy.as_deref() == Some("Always"))
        .collect();
    if serving.iter().any(|(c, _)| c.readiness_probe.is_some()) {
        return None;
    }
    // The finding names the app container, where a probe belongs, before any sidecar.
    let &(first, init) = serving
        .iter()
        .find(|(_, init)| !init)
        .or_else(|| serving.first())?;
    let namespace = namespace_of(&workload.object);
    let routed = if cx.listed("Service", workload.object.namespace.as_deref()) {
        let service = routing_services(&cx.services, namespace, workload.labels()).next()?;
        Some(object_ref(service))
    } else {
        None
    };
    let message = match &routed {
        Some(service) => format!(
            "No container of {} has a readiness probe, and Service {} routes traffic to its pods.",
            describe(&workload.object),
            service.name
        ),
        None => format!(
            "No container of {} has a readiness probe.",
            describe(&workload.object)
        ),
    };
    let found = finding(
        ids::CONTAINER_READINESS_PROBE_MISSING,
        &workload.object,
        "NoReadinessProbe",
        message,
    )
    .container(&first.name, init);
    Some(match routed {
        Some(service) => found.related(service),
        None => found,
    })
}

/// An image tagged `latest`, or with neither tag nor digest after its last `/` (a `:` before it
/// belongs to a registry port).
pub(super) fn floating(image: &str) -> bool {
    let last = image.rsplit('/').next().unwrap_or(image);
    !image.is_empty() && (image.ends_with(":latest") || !last.contains(':'))
}

/// An image without a tag, or tagged `latest`, is pulled as whatever `latest` is today.
fn image(workload: &Workload, container: &Container) -> Option<Finding> {
    let image = container.image.as_deref().filter(|i| floating(i))?;
    let message = format!(
        "Container {} uses the floating image {image}.",
        container_of(&container.name, &workload.object)
    );
    Some(finding(
        ids::IMAGE_TAG_LATEST,
        &workload.object,
        "FloatingImageTag",
        message,
    ))
}

pub(super) fn is_zero(quantity: Option<&Quantity>) -> bool {
    quantity.is_none_or(|q| {
        let digits = q.0.trim_end_matches(|c: char| c.is_ascii_alphabetic());
        digits.parse::<f64>().is_ok_and(|v| v == 0.0)
    })
}

fn resources(workload: &Workload, container: &Container) -> Vec<Finding> {
    let resources = container.resources.as_ref();
    let request = resources
        .and_then(|r| r.requests.as_ref())
        .and_then(|r| r.get("cpu"));
    let limit = resources
        .and_then(|r| r.limits.as_ref())
        .and_then(|r| r.get("memory"));
    let mut out = Vec::new();
    if is_zero(request) {
        let message = format!(
            "Container {} has no CPU request.",
            container_of(&container.name, &workload.object)
        );
        out.push(finding(
            ids::CONTAINER_CPU_REQUEST_UNSET,
            &workload.object,
            "NoCpuRequest",
            message,
        ));
    }
    if is_zero(limit) {
        let message = format!(
            "Container {} has no memory limit.",
            container_of(&container.name, &workload.object)
        );
        out.push(finding(
            ids::CONTAINER_MEMORY_LIMIT_UNSET,
            &workload.object,
            "NoMemoryLimit",
            message,
        ));
    }
    out
}

/// Pods meant to keep running: not a Job's or CronJob's, and restarted always (the default).
/// A run-to-completion pod has no use for liveness or readiness probes.
fn long_running(workload: &Workload) -> bool {
    !matches!(workload.object.kind.as_str(), "Job" | "CronJob")
        && workload
            .spec
            .restart_policy
            .as_deref()
            .is_none_or(|p| p == "Always")
}

/// A missing liveness probe (only where `want_probes`), and probes aimed at a port the
/// container does not expose. Readiness is judged per pod, in [`readiness`].
fn probes(workload: &Workload, container: &Container, want_probes: bool) -> Vec<Finding> {
    let mut out = Vec::new();
    if want_probes && container.liveness_probe.is_none() {
        let message = format!(
            "Container {} has no liveness probe.",
            container_of(&container.name, &workload.object)
        );
        out.push(finding(
            ids::CONTAINER_LIVENESS_PROBE_MISSING,
            &workload.object,
            "NoLivenessProbe",
            message,
        ));
    }
    let probes = [
        (&container.liveness_probe, "liveness"),
        (&container.readiness_probe, "readiness"),
        (&container.startup_probe, "startup"),
    ];
    for (probe, what) in probes {
        if let Some((port, handler)) = probe.as_ref().and_then(|p| unexposed_port(container, p)) {
            let message = format!(
                "The {what} probe ({handler}) of container {} targets port {port}, which the container does not expose.",
                container_of(&container.name, &workload.object)
            );
            out.push(finding(
                ids::PROBE_PORT_NOT_EXPOSED,
                &workload.object,
                "ProbePortNotExposed",
                message,
            ));
        }
    }
    out
}

/// The probe's port and handler when no TCP container port has that number or name. A number
/// on a container that declares no ports is fine: declared ports are informational, and the
/// kubelet probes whatever port the process listens on.
fn unexposed_port(container: &Container, probe: &Probe) -> Option<(String, &'static str)> {
    let target = if let Some(http) = &probe.http_get {
        (http.port.clone(), "httpGet")
    } else if let Some(tcp) = &probe.tcp_socket {
        (tcp.port.clone(), "tcpSocket")
    } else {
        (IntOrString::Int(probe.grpc.as_ref()?.port), "grpc")
    };
    let declares_none = container.ports.as_ref().is_none_or(Vec::is_empty);
    if declares_none && matches!(target.0, IntOrString::Int(_)) {
        return None;
    }
    let exposed = container.ports.iter().flatten().any(|p| {
        p.protocol.as_deref().is_none_or(|proto| proto == "TCP")
            && match &target.0 {
                IntOrString::Int(n) => p.container_port == *n,
                IntOrString::String(name) => p.name.as_deref() == Some(name.as_str()),
            }
    });
    let port = match target.0 {
        IntOrString::Int(n) => n.to_string(),
        IntOrString::String(name) => name,
    };
    (!exposed).then_some((port, target.1))
}

fn duplicate_env(workload: &Workload, container: &Container) -> Vec<Finding> {
    let mut seen = BTreeSet::new();
    let mut reported = BTreeSet::new();
    let mut out = Vec::new();
    for var in container.env.iter().flatten() {
        if !seen.insert(var.name.as_str()) && reported.insert(var.name.as_str()) {
            let message = format!(
                "Container {} sets the environment variable {} more than once.",
                container_of(&container.name, &workload.object),
                var.name
            );
            out.push(finding(
                ids::ENV_VAR_DUPLICATE,
                &workload.object,
                "DuplicateEnvVar",
                message,
            ));
        }
    }
    out
}

/// `valueFrom` references to ConfigMaps, their keys, or Secrets that the input does not hold.
/// Secret keys stay unchecked: kubewhy never reads Secret data.
fn env_refs(cx: &Context<'_>, workload: &Workload, container: &Container) -> Vec<Finding> {
    let namespace = workload.object.namespace.as_deref();
    let snapshot: &Snapshot = cx;
    let mut out = Vec::new();
    for var in container.env.iter().flatten() {
        let Some(from) = &var.value_from else {
            continue;
        };
        let problem = if let Some(r) = from
            .config_map_key_ref
            .as_ref()
            .filter(|r| r.optional != Some(true) && cx.collected("ConfigMap", namespace))
        {
            match get_in(&snapshot.config_maps, namespace, &r.name) {
                None => Some(format!("the missing ConfigMap {}", r.name)),
                Some(cm) => {
                    let has = cm.data.as_ref().is_some_and(|d| d.contains_key(&r.key))
                        || cm
                            .binary_data
                            .as_ref()
                            .is_some_and(|d| d.contains_key(&r.key));
                    (!has).then(|| format!("the missing key {} of ConfigMap {}", r.key, r.name))
                }
            }
        } else if let Some(r) = from
            .secret_key_ref
            .as_ref()
            .filter(|r| r.optional != Some(true) && cx.collected("Secret", namespace))
        {
            get_in(&snapshot.secrets, namespace, &r.name)
                .is_none()
                .then(|| format!("the missing Secret {}", r.name))
        } else {
            None
        };
        if let Some(problem) = problem {
            let message = format!(
                "Environment variable {} of container {} refers to {problem}.",
                var.name,
                container_of(&container.name, &workload.object)
            );
            out.push(finding(
                ids::ENV_REF_MISSING,
                &workload.object,
                "EnvRefMissing",
                message,
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::floating;

    #[test]
    fn floating_images() {
        for image in [
            "app:latest",
            "app",
            "registry.example.com:5000/team/app",
            "r.io/a/b:latest",
        ] {
            assert!(floating(image), "{image}");
        }
        for image in [
            "app:1.2",
            "registry.example.com:5000/app:1.0",
            "app@sha256:abc",
            "",
        ] {
            assert!(!floating(image), "{image}");
        }
    }
}
