//! The Gateway API (`gateway.networking.k8s.io`, read as dynamic objects): GatewayClasses not
//! accepted by a controller, Gateways not programmed, and HTTPRoutes whose parent Gateway or
//! backend Service is missing or that a Gateway did not accept.

use jiff::Timestamp;
use kubewhy_model::{Finding, ObjectRef};
use kubewhy_source::{DynamicObject, Snapshot, dynamic_ref, meta::Time};
use serde_json::Value;

use super::service_ref;
use crate::{
    Context,
    findings::{Build, finding},
    ids,
    k8s::{age_seconds, dynamic_condition, get_in},
};

/// The namespace a reference names, `default` when it names none.
fn namespace_or_default(namespace: &str) -> &str {
    if namespace.is_empty() {
        "default"
    } else {
        namespace
    }
}

const GROUP: &str = "gateway.networking.k8s.io";

pub(super) fn check(cx: &Context<'_>) -> Vec<Finding> {
    let snapshot: &Snapshot = cx;
    let of_kind = |kind: &'static str| {
        snapshot.dynamic.iter().filter(move |d| {
            d.types
                .as_ref()
                .is_some_and(|t| t.kind == kind && t.api_version.split('/').next() == Some(GROUP))
        })
    };
    let classes: Vec<&DynamicObject> = of_kind("GatewayClass").collect();
    let gateways: Vec<&DynamicObject> = of_kind("Gateway").collect();
    let mut findings = Vec::new();
    for class in &classes {
        findings.extend(class_finding(snapshot, class));
    }
    for gateway in &gateways {
        findings.extend(gateway_finding(snapshot, gateway, &classes));
    }
    for route in of_kind("HTTPRoute") {
        findings.extend(route_parent_findings(snapshot, route, &gateways));
        findings.extend(route_backend_findings(snapshot, route));
    }
    findings
}

fn text<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value.get(key).and_then(Value::as_str)
}

/// How long a condition may stay `Unknown` before it counts as failed: a new Gateway or route
/// starts with `Unknown` (reason `Pending`) until its controller gets to it.
const UNKNOWN_GRACE_SECONDS: i64 = 600;

/// `Some((reason, message))` when the condition is present and False, or Unknown for longer
/// than [`UNKNOWN_GRACE_SECONDS`] by its `lastTransitionTime` (without one, it is not judged).
fn not_true<'a>(snapshot: &Snapshot, status: &'a Value, type_: &str) -> Option<(&'a str, &'a str)> {
    let condition = dynamic_condition(status, type_)?;
    match text(condition, "status") {
        Some("True") => return None,
        Some("Unknown") => {
            let since = text(condition, "lastTransitionTime")?
                .parse::<Timestamp>()
                .ok()?;
            let age = age_seconds(snapshot, Some(&Time(since)))?;
            if age <= UNKNOWN_GRACE_SECONDS {
                return None;
            }
        }
        _ => {}
    }
    let reason = text(condition, "reason").unwrap_or("Unknown");
    Some((
        reason,
        text(condition, "message")
            .unwrap_or("no message given")
            .trim(),
    ))
}

fn class_finding(snapshot: &Snapshot, class: &DynamicObject) -> Option<Finding> {
    let (reason, why) = not_true(snapshot, class.data.get("status")?, "Accepted")?;
    let object = dynamic_ref(class);
    let controller = class
        .data
        .get("spec")
        .and_then(|s| text(s, "controllerName"))
        .unwrap_or("");
    let message = format!(
        "GatewayClass {} is not accepted by controller {controller}: {reason}: {why}",
        object.name
    );
    Some(finding(ids::GATEWAY_CLASS_NOT_ACCEPTED, &object, reason, message).events(snapshot))
}

fn gateway_finding(
    snapshot: &Snapshot,
    gateway: &DynamicObject,
    classes: &[&DynamicObject],
) -> Option<Finding> {
    let object = dynamic_ref(gateway);
    let class = gateway
        .data
        .get("spec")
        .and_then(|s| text(s, "gatewayClassName"))
        .unwrap_or("");
    let class_exists = classes
        .iter()
        .any(|c| c.metadata.name.as_deref() == Some(class));
    if !classes.is_empty() && !class_exists {
        let message = format!(
            "Gateway {} uses GatewayClass {class}, which does not exist",
            object.name
        );
        let mut found = finding(
            ids::GATEWAY_NOT_PROGRAMMED,
            &object,
            "ClassNotFound",
            message,
        )
        .events(snapshot);
        found.related.push(ObjectRef::new(
            format!("{GROUP}/v1"),
            "GatewayClass",
            None,
            class,
        ));
        return Some(found);
    }
    let (reason, why) = not_true(snapshot, gateway.data.get("status")?, "Programmed")?;
    let message = format!("Gateway {} is not programmed: {reason}: {why}", object.name);
    Some(finding(ids::GATEWAY_NOT_PROGRAMMED, &object, reason, message).events(snapshot))
}

fn route_parent_findings(
    snapshot: &Snapshot,
    route: &DynamicObject,
    gateways: &[&DynamicObject],
) -> Vec<Finding> {
    let object = dynamic_ref(route);
    let own_namespace = object.namespace.as_deref().unwrap_or("");
    let mut findings = Vec::new();
    let parents = route
        .data
        .pointer("/spec/parentRefs")
        .and_then(Value::as_array);
    // Without any Gateway in the snapshot, Gateways were not collected: nothing to judge.
    for parent in parents
        .into_iter()
        .flatten()
        .filter(|_| !gateways.is_empty())
    {
        if text(parent, "kind").is_some_and(|k| k != "Gateway") {
            continue;
        }
        let name = text(parent, "name").unwrap_or("");
        let namespace = text(parent, "namespace").unwrap_or(own_namespace);
        let exists = gateways.iter().any(|g| {
            let theirs = g.metadata.namespace.as_deref().filter(|n| !n.is_empty());
            g.metadata.name.as_deref() == Some(name)
                && theirs.unwrap_or("default") == namespace_or_default(namespace)
        });
        let namespace = namespace_or_default(namespace);
        if !exists {
            let message = format!(
                "HTTPRoute {} attaches to Gateway {namespace}/{name}, which does not exist",
                object.name
            );
            let mut found = finding(
                ids::HTTP_ROUTE_NOT_ACCEPTED,
                &object,
                "ParentNotFound",
                message,
            )
            .events(snapshot);
            found.related.push(ObjectRef::new(
                format!("{GROUP}/v1"),
                "Gateway",
                Some(namespace),
                name,
            ));
            findings.push(found);
        }
    }
    findings.extend(route_status_findings(snapshot, route, &object));
    findings
}

/// The routes a Gateway refused, from the route's `status.parents`.
fn route_status_findings(
    snapshot: &Snapshot,
    route: &DynamicObject,
    object: &ObjectRef,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    let statuses = route
        .data
        .pointer("/status/parents")
        .and_then(Value::as_array);
    for status in statuses.into_iter().flatten() {
        let Some((reason, why)) = not_true(snapshot, status, "Accepted") else {
            continue;
        };
        let parent = status
            .get("parentRef")
            .and_then(|p| text(p, "name"))
            .unwrap_or("");
        let message = format!(
            "HTTPRoute {} is not accepted by Gateway {parent}: {reason}: {why}",
            object.name
        );
        findings
            .push(finding(ids::HTTP_ROUTE_NOT_ACCEPTED, object, reason, message).events(snapshot));
    }
    findings
}

fn route_backend_findings(snapshot: &Snapshot, route: &DynamicObject) -> Vec<Finding> {
    // Manifests without any Service leave backends unjudgeable.
    if snapshot.services.is_empty() {
        return Vec::new();
    }
    let object = dynamic_ref(route);
    let rules = route.data.pointer("/spec/rules").and_then(Value::as_array);
    let backends = rules
        .into_iter()
        .flatten()
        .filter_map(|r| r.get("backendRefs").and_then(Value::as_array))
        .flatten()
        .filter(|b| text(b, "kind").is_none_or(|k| k == "Service"))
        .filter(|b| text(b, "group").is_none_or(str::is_empty));
    let mut findings: Vec<Finding> = Vec::new();
    for backend in backends {
        if let Some(found) = backend_finding(snapshot, &object, backend)
            && !findings.iter().any(|f| f.message == found.message)
        {
            findings.push(found);
        }
    }
    findings
}

fn backend_finding(snapshot: &Snapshot, object: &ObjectRef, backend: &Value) -> Option<Finding> {
    let name = text(backend, "name").unwrap_or("");
    let namespace = text(backend, "namespace").or(object.namespace.as_deref());
    let port = backend.get("port").and_then(Value::as_i64);
    if !snapshot.listed("Service", namespace) {
        return None;
    }
    let service = get_in(&snapshot.services, namespace, name);
    let namespace = namespace_or_default(namespace.unwrap_or_default());
    let (reason, message) = match service {
        None => (
            "ServiceNotFound",
            format!(
                "HTTPRoute {} sends traffic to Service {namespace}/{name}, which does not exist",
                object.name
            ),
        ),
        Some(service) => {
            let port = port?;
            let ports = service.spec.as_ref().and_then(|s| s.ports.as_ref());
            if ports
                .into_iter()
                .flatten()
                .any(|p| i64::from(p.port) == port)
            {
                return None;
            }
            (
                "PortNotFound",
                format!(
                    "HTTPRoute {} sends traffic to port {port} of Service {namespace}/{name}, which has no such port",
                    object.name
                ),
            )
        }
    };
    let mut found =
        finding(ids::HTTP_ROUTE_BACKEND_MISSING, object, reason, message).events(snapshot);
    found.related.push(service_ref(namespace, name));
    Some(found)
}
