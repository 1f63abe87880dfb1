//! Services: a selector that matches nothing, pods that are matched but not ready, a target
//! port no selected container exposes, and warning events recorded against the Service.

use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kubewhy_model::{Finding, ObjectRef, Severity};
use kubewhy_source::{
    LabelSelector, Snapshot,
    k8s::core::v1::{Container, Pod, Service, ServicePort},
    object_ref,
};

use super::{ready_endpoints, ready_on_port};
use crate::{
    Context,
    findings::{Build, finding},
    ids,
    k8s::{age_seconds, namespace_of, pod_ready},
    twins::{Selection, selection},
    workload::Workload,
};

/// At most this many selected pods are listed as related objects.
const MAX_RELATED_PODS: usize = 5;

/// How long selected pods may stay unready after a Ready transition or their creation before
/// the Service counts as broken: a rollout or a slow readiness probe is not an outage yet.
const ROLLOUT_GRACE_SECONDS: i64 = 600;

pub(super) fn check(snapshot: &Context<'_>) -> Vec<Finding> {
    let mut findings = Vec::new();
    for service in &snapshot.services {
        let object = object_ref(service);
        let namespace = object.namespace.as_deref().unwrap_or("");
        if namespace == "default" && object.name == "kubernetes" {
            continue;
        }
        let Some(selector) = selector_of(service) else {
            continue;
        };
        let (nothing, pods, templates) = match selection(snapshot, namespace, &selector) {
            Selection::Nothing => (true, Vec::new(), Vec::new()),
            Selection::Selects { pods, templates } => (false, pods, templates),
        };
        // Without the namespace's pods (a list that failed or was scoped elsewhere), no pod
        // proves nothing matches.
        let pods_seen = snapshot.collected("Pod", object.namespace.as_deref());
        let mut found: Vec<Finding> = if pods.is_empty() && !pods_seen {
            Vec::new()
        } else {
            endpoints_finding(snapshot, service, &object, &pods, &templates, nothing)
                .into_iter()
                .collect()
        };
        found.extend(target_port_findings(
            snapshot, service, &object, &pods, &templates,
        ));
        if found.is_empty() {
            found.extend(events_finding(snapshot, &object));
        }
        findings.extend(found);
    }
    findings
}

/// The selector of a Service that kubewhy can judge: `None` for ExternalName Services and
/// Services without a selector, whose endpoints are managed by hand.
fn selector_of(service: &Service) -> Option<LabelSelector> {
    let spec = service.spec.as_ref()?;
    if spec.type_.as_deref() == Some("ExternalName") {
        return None;
    }
    let selector = spec.selector.as_ref().filter(|s| !s.is_empty())?;
    Some(LabelSelector::from_map(selector))
}

fn selector_text(service: &Service) -> String {
    let selector = service.spec.as_ref().and_then(|s| s.selector.as_ref());
    selector
        .into_iter()
        .flatten()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

fn endpoints_finding(
    snapshot: &Snapshot,
    service: &Service,
    object: &ObjectRef,
    pods: &[&Pod],
    templates: &[&Workload<'_>],
    nothing: bool,
) -> Option<Finding> {
    let namespace = object.namespace.as_deref().unwrap_or("");
    let name = &object.name;
    if pods.is_empty() {
        return no_pods_finding(snapshot, service, object, templates, nothing);
    }
    let ready = ready_endpoints(snapshot, namespace, name).or_else(|| {
        let with_status = pods.iter().any(|p| p.status.is_some());
        with_status.then(|| pods.iter().filter(|p| pod_ready(p)).count())
    })?;
    if ready > 0 || recently_changed(snapshot, pods) {
        return None;
    }
    let mut names: Vec<&str> = pods
        .iter()
        .take(MAX_RELATED_PODS)
        .filter_map(|p| p.metadata.name.as_deref())
        .collect();
    if pods.len() > MAX_RELATED_PODS {
        names.push("...");
    }
    let message = format!(
        "Service {name} selects {} pod(s) ({}), none of them ready, so it has no endpoints to send traffic to",
        pods.len(),
        names.join(", ")
    );
    let mut found = finding(
        ids::SERVICE_NO_READY_ENDPOINTS,
        object,
        "NoReadyEndpoints",
        message,
    )
    .events(snapshot);
    found.related = pods
        .iter()
        .take(MAX_RELATED_PODS)
        .map(|p| object_ref(*p))
        .collect();
    Some(found)
}

/// No pod matches: either nothing could (a selector typo: `nothing`), or the workload that
/// should run them has none.
fn no_pods_finding(
    snapshot: &Snapshot,
    service: &Service,
    object: &ObjectRef,
    templates: &[&Workload<'_>],
    nothing: bool,
) -> Option<Finding> {
    let shown = namespace_of(object);
    let name = &object.name;
    if nothing {
        let message = format!(
            "Service {name} selects pods labelled {}, but no pod or pod template in namespace {shown} carries these labels",
            selector_text(service)
        );
        return Some(
            finding(
                ids::SERVICE_SELECTS_NO_PODS,
                object,
                "NoMatchingPods",
                message,
            )
            .events(snapshot),
        );
    }
    // Manifests carry templates and no pods; a workload scaled to zero is intentional.
    let running_expected = templates.iter().any(|w| running_expected(snapshot, w));
    if snapshot.pods.is_empty() || !running_expected {
        return None;
    }
    let owners: Vec<String> = templates
        .iter()
        .map(|w| format!("{} {}", w.object.kind, w.object.name))
        .collect();
    let message = format!(
        "Service {name} selects the pods of {}, but none of them exists",
        owners.join(", ")
    );
    let mut found =
        finding(ids::SERVICE_NO_READY_ENDPOINTS, object, "NoPods", message).events(snapshot);
    found.related = templates.iter().map(|w| w.object.clone()).collect();
    Some(found)
}

/// Whether the workload should have pods running now. Jobs and CronJobs run pods only for a
/// while, and a bare Pod template is the pod itself; a DaemonSet runs one per node it fits,
/// which only its status knows (zero when no node matches its selector).
fn running_expected(snapshot: &Snapshot, workload: &Workload<'_>) -> bool {
    match workload.object.kind.as_str() {
        "Job" | "CronJob" | "Pod" => false,
        "DaemonSet" => snapshot
            .daemon_sets
            .get(workload.object.namespace.as_deref(), &workload.object.name)
            .and_then(|d| d.status.as_ref())
            .is_some_and(|s| s.desired_number_scheduled > 0),
        _ => workload.replicas != Some(0),
    }
}

/// Whether the selected pods changed too recently to judge: the newest Ready transition, else
/// pod creation, is younger than [`ROLLOUT_GRACE_SECONDS`]. Pods start unready during a
/// rollout, and a probe may need a while to pass. Pods without either time do not count.
fn recently_changed(snapshot: &Snapshot, pods: &[&Pod]) -> bool {
    pods.iter().any(|pod| {
        let ready = pod
            .status
            .as_ref()
            .and_then(|s| s.conditions.as_ref())
            .and_then(|c| c.iter().find(|c| c.type_ == "Ready"))
            .and_then(|c| c.last_transition_time.as_ref());
        let time = ready.or(pod.metadata.creation_timestamp.as_ref());
        age_seconds(snapshot, time).is_some_and(|age| age < ROLLOUT_GRACE_SECONDS)
    })
}

fn target_port_findings(
    snapshot: &Snapshot,
    service: &Service,
    object: &ObjectRef,
    pods: &[&Pod],
    templates: &[&Workload<'_>],
) -> Vec<Finding> {
    let containers: Vec<&Container> = if pods.is_empty() {
        templates
            .iter()
            .flat_map(|w| w.spec.containers.iter())
            .collect()
    } else {
        pods.iter()
            .filter_map(|p| p.spec.as_ref())
            .flat_map(|s| s.containers.iter())
            .collect()
    };
    if containers.is_empty() {
        return Vec::new();
    }
    let ports = service.spec.as_ref().and_then(|s| s.ports.as_ref());
    ports
        .into_iter()
        .flatten()
        .filter_map(|port| missing_target(snapshot, object, port, &containers))
        .collect()
}

fn missing_target(
    snapshot: &Snapshot,
    object: &ObjectRef,
    port: &ServicePort,
    containers: &[&Container],
) -> Option<Finding> {
    let namespace = object.namespace.as_deref().unwrap_or("");
    if ready_on_port(
        snapshot,
        namespace,
        &object.name,
        port.name.as_deref().unwrap_or(""),
    ) {
        return None;
    }
    let declared = || containers.iter().flat_map(|c| c.ports.iter().flatten());
    let service_port = port
        .name
        .as_deref()
        .map_or_else(|| port.port.to_string(), str::to_owned);
    match port.target_port.as_ref() {
        Some(IntOrString::String(target)) => {
            if declared().any(|p| p.name.as_deref() == Some(target.as_str())) {
                return None;
            }
            let message = format!(
                "Service {} port {service_port} targets the named port {target}, which no container of the selected pods declares, so the port has no endpoints",
                object.name
            );
            let mut found = finding(
                ids::SERVICE_TARGET_PORT_MISSING,
                object,
                "NamedPortNotFound",
                message,
            )
            .events(snapshot);
            // An unresolvable name leaves the port with no endpoints at all.
            found.severity = Severity::Error;
            Some(found)
        }
        other => {
            let target = match other {
                Some(IntOrString::Int(n)) => *n,
                _ => port.port,
            };
            // Declared ports are informational: a container that declares none (a mesh pod's
            // app container beside a sidecar that declares its own) may listen on any port.
            let undeclared = containers
                .iter()
                .any(|c| c.ports.as_ref().is_none_or(Vec::is_empty));
            if undeclared || declared().any(|p| p.container_port == target) {
                return None;
            }
            let mut numbers: Vec<String> =
                declared().map(|p| p.container_port.to_string()).collect();
            numbers.sort();
            numbers.dedup();
            let message = format!(
                "Service {} port {service_port} targets port {target}, but the selected containers declare only {}",
                object.name,
                numbers.join(", ")
            );
            Some(
                finding(
                    ids::SERVICE_TARGET_PORT_MISSING,
                    object,
                    "PortNotDeclared",
                    message,
                )
                .events(snapshot),
            )
        }
    }
}

fn events_finding(snapshot: &Snapshot, object: &ObjectRef) -> Option<Finding> {
    let event = snapshot
        .events_for(object)
        .find(|e| e.type_.as_deref() == Some("Warning"))?;
    let reason = event.reason.clone().unwrap_or_else(|| "Warning".to_owned());
    let text = event
        .message
        .as_deref()
        .unwrap_or("no message given")
        .trim();
    let message = format!(
        "Service {} has warning events: {reason}: {text}",
        object.name
    );
    Some(finding(ids::SERVICE_WARNING_EVENTS, object, &reason, message).events(snapshot))
}
