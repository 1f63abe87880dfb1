//! Networking: Services and their endpoints, Ingresses, NetworkPolicies, admission webhooks and
//! the Gateway API.

mod gateway;
mod ingress;
mod network_policy;
mod service;
mod webhook;

use kubewhy_model::{CheckId, Finding, ObjectRef};
use kubewhy_source::Snapshot;

use crate::{Analyzer, Context, ids};

/// The network analyzer.
pub struct NetworkAnalyzer;

const CHECKS: &[CheckId] = &[
    ids::SERVICE_SELECTS_NO_PODS,
    ids::SERVICE_NO_READY_ENDPOINTS,
    ids::SERVICE_TARGET_PORT_MISSING,
    ids::SERVICE_WARNING_EVENTS,
    ids::INGRESS_CLASS_MISSING,
    ids::INGRESS_BACKEND_MISSING,
    ids::INGRESS_TLS_SECRET_MISSING,
    ids::NETWORK_POLICY_SELECTS_NO_PODS,
    ids::NETWORK_POLICY_ALLOWS_ALL,
    ids::WEBHOOK_SERVICE_UNAVAILABLE,
    ids::GATEWAY_CLASS_NOT_ACCEPTED,
    ids::GATEWAY_NOT_PROGRAMMED,
    ids::HTTP_ROUTE_NOT_ACCEPTED,
    ids::HTTP_ROUTE_BACKEND_MISSING,
];

impl Analyzer for NetworkAnalyzer {
    fn checks(&self) -> &'static [CheckId] {
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

/// Whether the Service's EndpointSlices, else its Endpoints, show a ready address on the
/// Service port named `port` (`""` for a Service's single unnamed port): that port resolves to
/// its pods, whatever their containers declare.
fn ready_on_port(snapshot: &Snapshot, namespace: &str, service: &str, port: &str) -> bool {
    let label = [("kubernetes.io/service-name".to_owned(), service.to_owned())];
    let mut slices = snapshot
        .endpoint_slices
        .matching_labels(namespace, &label)
        .peekable();
    if slices.peek().is_some() {
        return slices.any(|slice| {
            let on_port = slice
                .ports
                .iter()
                .flatten()
                .any(|p| p.name.as_deref().unwrap_or("") == port);
            let ready = slice.endpoints.iter().flatten().any(|e| {
                e.conditions.as_ref().and_then(|c| c.ready) != Some(false)
                    && !e.addresses.is_empty()
            });
            on_port && ready
        });
    }
    let Some(endpoints) = snapshot.endpoints.get(Some(namespace), service) else {
        return false;
    };
    endpoints.subsets.iter().flatten().any(|subset| {
        let on_port = subset
            .ports
            .iter()
            .flatten()
            .any(|p| p.name.as_deref().unwrap_or("") == port);
        on_port && subset.addresses.as_ref().is_some_and(|a| !a.is_empty())
    })
}
