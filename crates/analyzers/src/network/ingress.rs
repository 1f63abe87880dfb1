//! Ingresses: a class that is missing or not set with no default, backends that name a Service
//! or port that does not exist, and TLS Secrets that do not exist.

use kubewhy_model::{Finding, ObjectRef};
use kubewhy_source::{
    Snapshot,
    k8s::networking::v1::{Ingress, IngressServiceBackend},
    object_ref,
};

use super::service_ref;
use crate::{
    Context,
    findings::{Build, finding},
    ids,
    k8s::{is_default_class, namespace_of},
    twins::{self, Backend},
};

const DEFAULT_CLASS_ANNOTATION: &str = "ingressclass.kubernetes.io/is-default-class";
const LEGACY_CLASS_ANNOTATION: &str = "kubernetes.io/ingress.class";

pub(super) fn check(cx: &Context<'_>) -> Vec<Finding> {
    let snapshot: &Snapshot = cx;
    let mut findings = Vec::new();
    for ingress in &snapshot.ingresses {
        let object = object_ref(ingress);
        findings.extend(class_finding(snapshot, ingress, &object));
        findings.extend(backend_findings(snapshot, ingress, &object));
        findings.extend(tls_findings(snapshot, ingress, &object));
    }
    findings
}

fn class_finding(snapshot: &Snapshot, ingress: &Ingress, object: &ObjectRef) -> Option<Finding> {
    // Without any IngressClass in the snapshot (files), or a complete listing of them (a
    // cluster), the kind was not collected: nothing to judge.
    if snapshot.ingress_classes.is_empty() || !snapshot.listed("IngressClass", None) {
        return None;
    }
    let name = &object.name;
    let class = ingress
        .spec
        .as_ref()
        .and_then(|s| s.ingress_class_name.as_deref());
    let Some(class) = class else {
        let annotations = ingress.metadata.annotations.as_ref();
        // The legacy annotation names a controller, not an IngressClass object.
        let legacy = annotations.is_some_and(|a| a.contains_key(LEGACY_CLASS_ANNOTATION));
        let has_default = snapshot
            .ingress_classes
            .iter()
            .any(|c| is_default_class(&c.metadata, &[DEFAULT_CLASS_ANNOTATION]));
        if legacy || has_default {
            return None;
        }
        let message = format!(
            "Ingress {name} sets no ingressClassName and no IngressClass is marked as the default, so no controller serves it"
        );
        return Some(
            finding(ids::INGRESS_CLASS_MISSING, object, "NoClass", message).events(snapshot),
        );
    };
    if snapshot.ingress_classes.get(None, class).is_some() {
        return None;
    }
    let message = format!("Ingress {name} uses IngressClass {class}, which does not exist");
    let mut found =
        finding(ids::INGRESS_CLASS_MISSING, object, "ClassNotFound", message).events(snapshot);
    found.related.push(ObjectRef::new(
        "networking.k8s.io/v1",
        "IngressClass",
        None,
        class,
    ));
    Some(found)
}

/// Every Service backend of the Ingress: the default backend, then each rule's paths.
fn backends(ingress: &Ingress) -> Vec<&IngressServiceBackend> {
    let Some(spec) = ingress.spec.as_ref() else {
        return Vec::new();
    };
    let default = spec
        .default_backend
        .iter()
        .filter_map(|b| b.service.as_ref());
    let rules = spec.rules.iter().flatten().filter_map(|r| r.http.as_ref());
    let paths = rules
        .flat_map(|h| h.paths.iter())
        .filter_map(|p| p.backend.service.as_ref());
    let mut out: Vec<&IngressServiceBackend> = default.chain(paths).collect();
    out.dedup_by(|a, b| a == b);
    out
}

fn backend_findings(snapshot: &Snapshot, ingress: &Ingress, object: &ObjectRef) -> Vec<Finding> {
    // Manifests without any Service leave backends unjudgeable.
    if snapshot.services.is_empty() {
        return Vec::new();
    }
    let namespace = object.namespace.as_deref().unwrap_or("");
    let shown = namespace_of(object);
    let mut findings: Vec<Finding> = Vec::new();
    if !snapshot.listed("Service", Some(namespace)) {
        return Vec::new();
    }
    for backend in backends(ingress) {
        let port_text = backend.port.as_ref().map_or_else(String::new, |p| {
            p.name
                .clone()
                .or_else(|| p.number.map(|n| n.to_string()))
                .unwrap_or_default()
        });
        let (reason, message) = match twins::backend(snapshot, namespace, backend) {
            Backend::Found => continue,
            Backend::ServiceMissing => (
                "ServiceNotFound",
                format!(
                    "Ingress {} routes to Service {}, which does not exist in namespace {shown}",
                    object.name, backend.name
                ),
            ),
            Backend::PortMissing => (
                "PortNotFound",
                format!(
                    "Ingress {} routes to port {port_text} of Service {}, which has no such port",
                    object.name, backend.name
                ),
            ),
        };
        if findings.iter().any(|f| f.message == message) {
            continue;
        }
        let mut found =
            finding(ids::INGRESS_BACKEND_MISSING, object, reason, message).events(snapshot);
        found.related.push(service_ref(namespace, &backend.name));
        findings.push(found);
    }
    findings
}

fn tls_findings(snapshot: &Snapshot, ingress: &Ingress, object: &ObjectRef) -> Vec<Finding> {
    let namespace = object.namespace.as_deref().unwrap_or("");
    let shown = namespace_of(object);
    // Secrets are often left out of manifest folders, or forbidden: judge only a full listing.
    if !snapshot.listed("Secret", Some(namespace)) {
        return Vec::new();
    }
    let tls = ingress.spec.as_ref().and_then(|s| s.tls.as_ref());
    let mut names: Vec<&str> = tls
        .into_iter()
        .flatten()
        .filter_map(|t| t.secret_name.as_deref())
        // Contour reads `namespace/name` as a Secret delegated from another namespace.
        .filter(|secret| !secret.contains('/'))
        .collect();
    names.sort_unstable();
    names.dedup();
    names
        .into_iter()
        .filter(|secret| snapshot.secrets.get(Some(namespace), secret).is_none())
        .map(|secret| {
            let message = format!(
                "Ingress {} terminates TLS with Secret {secret}, which does not exist in namespace {shown}",
                object.name
            );
            let mut found =
                finding(ids::INGRESS_TLS_SECRET_MISSING, object, "SecretNotFound", message).events(snapshot);
            found.related.push(ObjectRef::new("v1", "Secret", Some(namespace), secret));
            found
        })
        .collect()
}
