//! Networking: Services and their endpoints, Ingresses, NetworkPolicies, admission webhooks and
//! the Gateway API.

mod gateway;
mod ingress;
mod network_policy;
mod service;
mod webhook;

use std::collections::BTreeMap;

use kubewhy_model::{Finding, ObjectRef};
use kubewhy_source::{
    LabelSelector, Snapshot,
    k8s::core::v1::{Pod, Service},
    meta::ObjectMeta,
};

use crate::{Analyzer, Context};

/// The network analyzer.
pub struct NetworkAnalyzer;

const CHECKS: &[&str] = &[
    "service-selects-no-pods",
    "service-no-ready-endpoints",
    "service-target-port-missing",
    "service-warning-events",
    "ingress-class-missing",
    "ingress-backend-missing",
    "ingress-tls-secret-missing",
    "network-policy-selects-no-pods",
    "network-policy-allows-all",
    "webhook-service-unavailable",
    "gateway-class-not-accepted",
    "gateway-not-programmed",
    "http-route-not-accepted",
    "http-route-backend-missing",
];

impl Analyzer for NetworkAnalyzer {
    fn checks(&self) -> &'static [&'static str] {
        CHECKS
    }

    fn analyze(&self, snapshot: &Context<'_>) -> Vec<Finding> {
        let mut findings = service::check(snapshot);
        findings.extend(ingress::check(snapshot));
        findings.extend(network_policy::check(snapshot));
        findings.extend(webhook::check(snapshot));
        findings.extend(gateway::check(snapshot));
        findings
    }
}

use crate::findings::with_events as finding;

/// A Service reference, for `related`.
fn service_ref(namespace: &str, name: &str) -> ObjectRef {
    ObjectRef::new("v1", "Service", Some(namespace), name)
}

/// How many ready addresses a Service has, from its EndpointSlices, else its Endpoints object.
/// `None` when the snapshot holds neither (manifests, or a source that did not list them).
fn ready_endpoints(snapshot: &Snapshot, namespace: &str, service: &str) -> Option<usize> {
    let label = [("kubernetes.io/service-name".to_owned(), service.to_owned())];
    let slices: Vec<_> = snapshot
        .endpoint_slices
        .matching_labels(namespace, &label)
        .collect();
    if !slices.is_empty() {
        let ready = slices
            .iter()
            .flat_map(|s| s.endpoints.iter().flatten())
            // An endpoint without a ready condition is ready, as kube-proxy reads it.
            .filter(|e| e.conditions.as_ref().and_then(|c| c.ready) != Some(false))
            .map(|e| e.addresses.len().max(1))
            .sum();
        return Some(ready);
    }
    let endpoints = snapshot.endpoints.get(Some(namespace), service)?;
    Some(
        endpoints
            .subsets
            .iter()
            .flatten()
            .map(|s| s.addresses.as_ref().map_or(0, Vec::len))
            .sum(),
    )
}

/// The pods a Service's selector matches; an empty result for a Service without a selector.
fn selected_pods<'a>(snapshot: &'a Snapshot, service: &Service) -> Vec<&'a Pod> {
    let namespace = service.metadata.namespace.as_deref().unwrap_or("");
    let Some(selector) = service.spec.as_ref().and_then(|s| s.selector.as_ref()) else {
        return Vec::new();
    };
    let selector = LabelSelector::from_map(selector);
    pods_matching(snapshot, namespace, &selector).collect()
}

/// The pods of a namespace that a selector matches, judged on their labels in place.
fn pods_matching<'a, 's>(
    snapshot: &'a Snapshot,
    namespace: &str,
    selector: &'s LabelSelector,
) -> impl Iterator<Item = &'a Pod> + use<'a, 's> {
    static NO_LABELS: BTreeMap<String, String> = BTreeMap::new();
    snapshot
        .pods
        .in_namespace(namespace)
        .iter()
        .filter(move |p| selector.matches(p.metadata.labels.as_ref().unwrap_or(&NO_LABELS)))
}

/// Whether a pod reports the Ready condition as True.
fn pod_ready(pod: &Pod) -> bool {
    pod.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

/// Whether one of the `keys` annotations marks the class (an IngressClass, a StorageClass) as
/// the cluster default.
pub(crate) fn is_default_class(meta: &ObjectMeta, keys: &[&str]) -> bool {
    let annotations = meta.annotations.as_ref();
    keys.iter()
        .any(|key| annotations.and_then(|a| a.get(*key)).map(String::as_str) == Some("true"))
}

/// The status of a condition in a dynamic object's `status.conditions` (Gateway API style).
fn dynamic_condition<'a>(
    status: &'a serde_json::Value,
    type_: &str,
) -> Option<&'a serde_json::Value> {
    status
        .get("conditions")?
        .as_array()?
        .iter()
        .find(|c| c.get("type").and_then(serde_json::Value::as_str) == Some(type_))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gateway_conditions_are_found_by_type() {
        let status = serde_json::json!({"conditions": [
            {"type": "Accepted", "status": "True"},
            {"type": "Programmed", "status": "False", "reason": "AddressNotAssigned"}
        ]});
        let programmed = dynamic_condition(&status, "Programmed").unwrap();
        assert_eq!(programmed["reason"], "AddressNotAssigned");
        assert!(dynamic_condition(&status, "ResolvedRefs").is_none());
    }
}
