//! References inside the input that lead nowhere: Services, NetworkPolicies and ServiceMonitors
//! that select nothing, Ingress backends and autoscaler targets that do not exist, and port names
//! or numbers that Kubernetes would reject.

use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kubewhy_model::{Finding, ObjectRef};
use kubewhy_source::{
    LabelSelector, Snapshot, dynamic_ref,
    k8s::networking::v1::{Ingress, IngressBackend, NetworkPolicySpec},
    meta, object_ref,
};

use crate::{
    Context,
    findings::{Build, finding},
    ids,
    k8s::{container_of, dynamic_of_kind, namespace_of, show_labels},
    twins::{self, Backend, ScaleTarget, Target},
};

/// A HorizontalPodAutoscaler of any API version, reduced to what the checks read.
pub(super) struct Autoscaler {
    pub object: ObjectRef,
    pub target_api_version: Option<String>,
    pub target_kind: String,
    pub target_name: String,
    pub min_replicas: Option<i32>,
}

/// Every HorizontalPodAutoscaler, typed (autoscaling/v2) or not (older versions).
pub(super) fn autoscalers(snapshot: &Snapshot) -> Vec<Autoscaler> {
    let typed = snapshot
        .horizontal_pod_autoscalers
        .iter()
        .map(|h| Autoscaler {
            object: object_ref(h),
            target_api_version: h.spec.scale_target_ref.api_version.clone(),
            target_kind: h.spec.scale_target_ref.kind.clone(),
            target_name: h.spec.scale_target_ref.name.clone(),
            min_replicas: h.spec.min_replicas,
        });
    let dynamic = dynamic_of_kind(snapshot, "HorizontalPodAutoscaler").map(|d| {
        let text = |p: &str| {
            d.data
                .pointer(p)
                .and_then(serde_json::Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        Autoscaler {
            object: dynamic_ref(d),
            target_api_version: d
                .data
                .pointer("/spec/scaleTargetRef/apiVersion")
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned),
            target_kind: text("/spec/scaleTargetRef/kind"),
            target_name: text("/spec/scaleTargetRef/name"),
            min_replicas: d
                .data
                .pointer("/spec/minReplicas")
                .and_then(serde_json::Value::as_i64)
                .and_then(|n| i32::try_from(n).ok()),
        }
    });
    typed.chain(dynamic).collect()
}

pub(super) fn check(cx: &Context<'_>) -> Vec<Finding> {
    let snapshot: &Snapshot = cx;
    let mut findings = services(cx);
    for ingress in &snapshot.ingresses {
        let namespace = ingress.metadata.namespace.as_deref();
        if cx.collected("Service", namespace) {
            findings.extend(ingress_backends(snapshot, ingress));
        }
    }
    for hpa in autoscalers(snapshot) {
        let namespace = hpa.object.namespace.as_deref();
        // A kind that was not listed, or listed elsewhere, proves nothing missing.
        let target = ScaleTarget {
            api_version: hpa.target_api_version.as_deref(),
            kind: &hpa.target_kind,
            name: &hpa.target_name,
        };
        if matches!(twins::target(cx, namespace, &target), Target::Missing) {
            let message = format!(
                "{} scales {} {}, which does not exist.",
                hpa.object, hpa.target_kind, hpa.target_name
            );
            findings.push(finding(
                ids::HPA_TARGET_DANGLING,
                &hpa.object,
                "TargetMissing",
                message,
            ));
        }
    }
    findings.extend(network_policies(cx));
    findings.extend(service_monitors(snapshot));
    findings.extend(target_ports(cx));
    findings
}

/// Whether a selector matches a pod, or the pod template of any pod maker, in the namespace
/// (`default` for objects written without one).
fn selects_any(cx: &Context<'_>, namespace: Option<&str>, selector: &LabelSelector) -> bool {
    twins::selects(cx, namespace.unwrap_or_default(), selector)
}

fn services(cx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for service in &cx.services {
        let Some(spec) = &service.spec else { continue };
        let Some(selector) = spec.selector.as_ref().filter(|s| !s.is_empty()) else {
            continue;
        };
        if spec.type_.as_deref() == Some("ExternalName") {
            continue;
        }
        let object = object_ref(service);
        if cx.collected("Pod", object.namespace.as_deref())
            && !selects_any(
                cx,
                object.namespace.as_deref(),
                &LabelSelector::from_map(selector),
            )
        {
            let message = format!(
                "The selector of {object} ({}) matches no pod template in namespace {}.",
                show_labels(selector),
                namespace_of(&object)
            );
            out.push(finding(
                ids::SERVICE_SELECTS_NO_WORKLOAD,
                &object,
                "SelectsNothing",
                message,
            ));
        }
    }
    out
}

fn ingress_backends(snapshot: &Snapshot, ingress: &Ingress) -> Vec<Finding> {
    let Some(spec) = &ingress.spec else {
        return Vec::new();
    };
    let paths = spec
        .rules
        .iter()
        .flatten()
        .filter_map(|r| r.http.as_ref())
        .flat_map(|h| &h.paths);
    let backends = spec.default_backend.iter().chain(paths.map(|p| &p.backend));
    let object = object_ref(ingress);
    let mut seen = Vec::new();
    let mut out = Vec::new();
    for backend in backends {
        let Some((service, port)) = broken_backend(snapshot, object.namespace.as_deref(), backend)
        else {
            continue;
        };
        if seen.contains(&(service.clone(), port.clone())) {
            continue;
        }
        let message =
            format!("{object} routes to Service {service} port {port}, which does not exist.");
        out.push(finding(
            ids::INGRESS_BACKEND_DANGLING,
            &object,
            "BackendMissing",
            message,
        ));
        seen.push((service, port));
    }
    out
}

/// The Service name and port of a backend whose Service, or whose port on it, is missing.
fn broken_backend(
    snapshot: &Snapshot,
    namespace: Option<&str>,
    backend: &IngressBackend,
) -> Option<(String, String)> {
    let target = backend.service.as_ref()?;
    let shown = target
        .port
        .as_ref()
        .and_then(|p| p.name.clone().or_else(|| p.number.map(|n| n.to_string())))
        .unwrap_or_default();
    (twins::backend(snapshot, namespace.unwrap_or("default"), target) != Backend::Found)
        .then(|| (target.name.clone(), shown))
}

fn network_policies(cx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for policy in &cx.network_policies {
        let Some(spec) = &policy.spec else { continue };
        let object = object_ref(policy);
        let namespace = object.namespace.as_deref();
        if !cx.collected("Pod", namespace) {
            continue;
        }
        if let Some(selector) = spec
            .pod_selector
            .as_ref()
            .map(LabelSelector::from_k8s)
            .filter(|s| !s.is_empty())
            && !selects_any(cx, namespace, &selector)
        {
            let message = format!(
                "The podSelector of {object} ({}) matches no pod template in namespace {}.",
                show_selector(spec.pod_selector.as_ref()),
                namespace_of(&object)
            );
            out.push(finding(
                ids::NETWORK_POLICY_DANGLING,
                &object,
                "SelectsNothing",
                message,
            ));
        }
        out.extend(peers(cx, &object, spec));
    }
    out
}

/// Peers of ingress and egress rules whose pod selector matches nothing in the namespace.
fn peers(cx: &Context<'_>, object: &ObjectRef, spec: &NetworkPolicySpec) -> Vec<Finding> {
    let namespace = object.namespace.as_deref();
    let mut out = Vec::new();
    let from = spec
        .ingress
        .iter()
        .flatten()
        .flat_map(|r| r.from.iter().flatten());
    let to = spec
        .egress
        .iter()
        .flatten()
        .flat_map(|r| r.to.iter().flatten());
    let mut reported = Vec::new();
    // A peer with a namespaceSelector may select pods of namespaces outside the input.
    for peer in from.chain(to).filter(|p| p.namespace_selector.is_none()) {
        let Some(selector) = peer.pod_selector.as_ref() else {
            continue;
        };
        let shown = show_selector(Some(selector));
        let parsed = LabelSelector::from_k8s(selector);
        if parsed.is_empty() || selects_any(cx, namespace, &parsed) || reported.contains(&shown) {
            continue;
        }
        let message = format!(
            "A rule of {object} allows pods matching {shown}, and no pod template in namespace {} matches.",
            namespace_of(object)
        );
        out.push(finding(
            ids::NETWORK_POLICY_PEER_SELECTS_NO_PODS,
            object,
            "PeerSelectsNothing",
            message,
        ));
        reported.push(shown);
    }
    out
}

fn show_selector(selector: Option<&meta::LabelSelector>) -> String {
    let mut parts: Vec<String> = selector
        .and_then(|s| s.match_labels.as_ref())
        .map(|l| l.iter().map(|(k, v)| format!("{k}={v}")).collect())
        .unwrap_or_default();
    for e in selector
        .and_then(|s| s.match_expressions.as_ref())
        .into_iter()
        .flatten()
    {
        parts.push(format!(
            "{} {} ({})",
            e.key,
            e.operator,
            e.values.clone().unwrap_or_default().join(",")
        ));
    }
    parts.join(",")
}

/// A ServiceMonitor looks in the namespaces of `namespaceSelector.matchNames`, in every namespace
/// with `any: true`, and otherwise (as the Prometheus Operator does) only in its own namespace. A
/// manifest without a namespace could be applied to any namespace, so it is not held to one. An
/// empty label selector selects every Service.
fn service_monitors(snapshot: &Snapshot) -> Vec<Finding> {
    let mut out = Vec::new();
    for monitor in dynamic_of_kind(snapshot, "ServiceMonitor") {
        let selector: Option<meta::LabelSelector> = monitor
            .data
            .pointer("/spec/selector")
            .and_then(|s| serde_json::from_value(s.clone()).ok());
        let parsed = selector.as_ref().map(LabelSelector::from_k8s);
        let names: Vec<String> = monitor
            .data
            .pointer("/spec/namespaceSelector/matchNames")
            .and_then(|n| serde_json::from_value(n.clone()).ok())
            .unwrap_or_default();
        let any = monitor
            .data
            .pointer("/spec/namespaceSelector/any")
            .and_then(serde_json::Value::as_bool)
            == Some(true);
        let own = monitor.metadata.namespace.as_deref();
        let found = snapshot.services.iter().any(|s| {
            let namespace = s.metadata.namespace.as_deref().unwrap_or_default();
            let in_namespace = if any {
                true
            } else if names.is_empty() {
                own.is_none_or(|own| own == namespace)
            } else {
                names.iter().any(|n| n == namespace)
            };
            let labels = s.metadata.labels.clone().unwrap_or_default();
            in_namespace
                && parsed
                    .as_ref()
                    .is_none_or(|p| p.is_empty() || p.matches(&labels))
        });
        if !found {
            let object = dynamic_ref(monitor);
            let message = format!(
                "{object} selects no Service: label selector ({}), namespaces ({}).",
                show_selector(selector.as_ref()),
                names.join(",")
            );
            out.push(finding(
                ids::SERVICE_MONITOR_SELECTS_NO_SERVICES,
                &object,
                "SelectsNothing",
                message,
            ));
        }
    }
    out
}

/// A port name must be an IANA service name: at most 15 lowercase letters, digits and single
/// inner dashes, with at least one letter.
fn valid_port_name(name: &str) -> bool {
    (1..=15).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && name.bytes().any(|b| b.is_ascii_lowercase())
        && !name.starts_with('-')
        && !name.ends_with('-')
        && !name.contains("--")
}

fn target_ports(cx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for service in &cx.services {
        let ports = service.spec.as_ref().and_then(|s| s.ports.as_ref());
        for target in ports
            .into_iter()
            .flatten()
            .filter_map(|p| p.target_port.as_ref())
        {
            let bad = match target {
                IntOrString::Int(n) => (!(1..=65535).contains(n)).then(|| format!("number {n}")),
                IntOrString::String(name) => {
                    (!valid_port_name(name)).then(|| format!("name {name}"))
                }
            };
            if let Some(bad) = bad {
                let object = object_ref(service);
                let message = format!("{object} has a targetPort with the invalid port {bad}.");
                out.push(finding(
                    ids::TARGET_PORT_INVALID,
                    &object,
                    "InvalidTargetPort",
                    message,
                ));
            }
        }
    }
    for workload in cx.workloads() {
        for (container, init) in workload.containers() {
            for port in container.ports.iter().flatten() {
                let Some(name) = port.name.as_deref().filter(|n| !valid_port_name(n)) else {
                    continue;
                };
                let message = format!(
                    "Container {} names a port {name}, which is not a valid port name.",
                    container_of(&container.name, &workload.object)
                );
                out.push(
                    finding(
                        ids::TARGET_PORT_INVALID,
                        &workload.object,
                        "InvalidPortName",
                        message,
                    )
                    .container(&container.name, init),
                );
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::valid_port_name;

    #[test]
    fn port_names_follow_iana_service_name_rules() {
        for good in ["http", "n-3456789012345", "metrics-9090", "h2c"] {
            assert!(valid_port_name(good), "{good}");
        }
        for bad in [
            "",
            "n234567890123456",
            "123456",
            "HTTP",
            "-http",
            "http-",
            "a--b",
            "a_b",
        ] {
            assert!(!valid_port_name(bad), "{bad}");
        }
    }
}
