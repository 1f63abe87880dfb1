//! Which Services route to a set of pod labels: a Service's `selector` picks every pod that
//! carries all of its labels; a Service without one (its endpoints managed by hand, or an
//! `ExternalName`) routes to no pod by labels.

use std::collections::BTreeMap;

use kubewhy_source::{Store, k8s::core::v1::Service};

use super::in_namespace;

/// Whether the Service's selector picks pods with these labels.
pub(crate) fn service_selects(service: &Service, labels: &BTreeMap<String, String>) -> bool {
    service
        .spec
        .as_ref()
        .and_then(|s| s.selector.as_ref())
        .filter(|s| !s.is_empty())
        .is_some_and(|selector| selector.iter().all(|(k, v)| labels.get(k) == Some(v)))
}

/// The Services of `namespace` that route to pods with these labels.
pub(crate) fn routing_services<'a>(
    services: &'a Store<Service>,
    namespace: &str,
    labels: &'a BTreeMap<String, String>,
) -> impl Iterator<Item = &'a Service> + use<'a> {
    in_namespace(services, namespace).filter(move |s| service_selects(s, labels))
}

/// Whether the Service is headless (`clusterIP: None`).
pub(crate) fn headless(service: &Service) -> bool {
    service
        .spec
        .as_ref()
        .and_then(|s| s.cluster_ip.as_deref())
        .is_some_and(|ip| ip == "None")
}
