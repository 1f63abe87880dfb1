//! Checks on object metadata and organisation policy: the default namespace, the owner label
//! and contact annotation, externally exposed Services, OpenShift SecurityContextConstraints
//! that allow privileged containers, and manifests whose keys are not sorted.

use kubewhy_model::{Finding, ObjectRef};
use kubewhy_source::{Snapshot, dynamic_ref, k8s::core::v1::Service, object_ref};

use crate::{
    Context,
    findings::finding,
    ids,
    k8s::{describe, dynamic_of_kind},
    workload::Workload,
};

/// Every metadata and policy check.
pub(super) fn check(cx: &Context<'_>) -> Vec<Finding> {
    // These policies would fire on nearly every object of most clusters; when they are off,
    // they cost nothing.
    let namespace = cx.enabled(ids::OBJECT_IN_DEFAULT_NAMESPACE);
    let owner = cx.enabled(ids::OBJECT_MISSING_OWNER_LABEL);
    let email = cx.enabled(ids::OBJECT_MISSING_EMAIL_ANNOTATION);
    let mut findings = Vec::new();
    if namespace || owner || email {
        // Every pod maker that no controller owns: the policies are about how objects are
        // labelled, not what they run, so those without a pod template count too.
        for maker in cx.pod_makers().iter().filter(|w| !w.has_controller()) {
            findings.extend(default_namespace(&maker.object).filter(|_| namespace));
            findings.extend(owner_label(maker).filter(|_| owner));
            findings.extend(email_annotation(maker).filter(|_| email));
        }
    }
    for service in &cx.services {
        let object = object_ref(service);
        findings.extend(
            default_namespace(&object).filter(|_| namespace && !api_server_service(service)),
        );
        let kind = service.spec.as_ref().and_then(|s| s.type_.as_deref());
        if let Some(kind @ ("NodePort" | "LoadBalancer")) = kind {
            let message = format!(
                "{} is exposed outside the cluster (type: {kind}).",
                describe(&object)
            );
            let reason = if kind == "NodePort" {
                "NodePort"
            } else {
                "LoadBalancer"
            };
            findings.push(finding(
                ids::SERVICE_EXPOSED_EXTERNALLY,
                &object,
                reason,
                message,
            ));
        }
    }
    findings.extend(privileged_sccs(cx));
    if cx.enabled(ids::MANIFEST_KEYS_UNSORTED) {
        findings.extend(unsorted_keys(cx));
    }
    findings
}

/// `default/kubernetes`, the Service the API server creates for itself: it is always in the
/// default namespace and nobody can move it.
fn api_server_service(service: &Service) -> bool {
    let labels = service.metadata.labels.as_ref();
    let label = |key: &str| labels.and_then(|l| l.get(key)).map(String::as_str);
    service.metadata.namespace.as_deref() == Some("default")
        && service.metadata.name.as_deref() == Some("kubernetes")
        && label("component") == Some("apiserver")
        && label("provider") == Some("kubernetes")
}

fn default_namespace(object: &ObjectRef) -> Option<Finding> {
    let namespace = object.namespace.as_deref().unwrap_or_default();
    if !namespace.is_empty() && namespace != "default" {
        return None;
    }
    let message = if namespace.is_empty() {
        format!(
            "{} names no namespace, so it lands in the namespace given with -n or else the \
             kubectl context's (default unless the context sets one).",
            describe(object)
        )
    } else {
        format!("{} is in the default namespace.", describe(object))
    };
    Some(finding(
        ids::OBJECT_IN_DEFAULT_NAMESPACE,
        object,
        "DefaultNamespace",
        message,
    ))
}

fn owner_label(maker: &Workload<'_>) -> Option<Finding> {
    let labels = maker.meta.labels.as_ref();
    if labels.is_some_and(|l| l.contains_key("owner")) {
        return None;
    }
    let message = format!("{} has no owner label.", describe(&maker.object));
    Some(finding(
        ids::OBJECT_MISSING_OWNER_LABEL,
        &maker.object,
        "NoOwnerLabel",
        message,
    ))
}

/// `local@domain.tld`: a local part of letters, digits and `_.+-`, a domain label, a dot, and
/// more of letters, digits, `-` and `.`.
fn email(value: &str) -> bool {
    let Some((local, domain)) = value.split_once('@') else {
        return false;
    };
    let Some((host, rest)) = domain.split_once('.') else {
        return false;
    };
    let all = |s: &str, extra: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || extra.contains(c))
    };
    all(local, "_.+-") && all(host, "-") && all(rest, "-.")
}

fn email_annotation(maker: &Workload<'_>) -> Option<Finding> {
    let value = maker.meta.annotations.as_ref().and_then(|a| a.get("email"));
    if value.is_some_and(|v| email(v)) {
        return None;
    }
    let what = if value.is_some() {
        "an email annotation that is not an address"
    } else {
        "no email annotation"
    };
    let message = format!("{} has {what}.", describe(&maker.object));
    Some(finding(
        ids::OBJECT_MISSING_EMAIL_ANNOTATION,
        &maker.object,
        "NoEmailAnnotation",
        message,
    ))
}

/// OpenShift SecurityContextConstraints, which kubewhy reads as dynamic objects.
fn privileged_sccs(snapshot: &Snapshot) -> Vec<Finding> {
    dynamic_of_kind(snapshot, "SecurityContextConstraints")
        .filter(|d| {
            d.data
                .get("allowPrivilegedContainer")
                .and_then(serde_json::Value::as_bool)
                == Some(true)
        })
        .map(|d| {
            let object = dynamic_ref(d);
            let message = format!(
                "{} allows privileged containers (allowPrivilegedContainer: true).",
                describe(&object)
            );
            finding(
                ids::SCC_ALLOWS_PRIVILEGED,
                &object,
                "AllowsPrivileged",
                message,
            )
        })
        .collect()
}

/// Every object in the snapshot, typed and dynamic.
fn all_objects(snapshot: &Snapshot) -> Vec<ObjectRef> {
    let mut out = Vec::new();
    macro_rules! typed {
        ($($field:ident: $ty:ty),* $(,)?) => {
            $( out.extend(snapshot.$field.iter().map(object_ref)); )*
        };
    }
    kubewhy_source::for_each_kind!(typed);
    out.extend(snapshot.dynamic.iter().map(dynamic_ref));
    out
}

/// One finding per mapping whose keys are out of alphabetical order, as written in the file.
fn unsorted_keys(snapshot: &Snapshot) -> Vec<Finding> {
    let mut out = Vec::new();
    for object in all_objects(snapshot) {
        for unsorted in snapshot.unsorted_keys(&object) {
            let message = format!(
                "Keys of {} are not sorted at {}. Expected order: [{}], got: [{}].",
                describe(&object),
                unsorted.path,
                unsorted.expected.join(", "),
                unsorted.got.join(", ")
            );
            out.push(finding(
                ids::MANIFEST_KEYS_UNSORTED,
                &object,
                "UnsortedKeys",
                message,
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::email;

    #[test]
    fn emails_need_a_local_part_a_domain_and_a_dot() {
        assert!(email("kubelinter@stackrox.com"));
        assert!(email("first.last+ops@mail.example.co.uk"));
        assert!(!email("platform-team"));
        assert!(!email("@example.com"));
        assert!(!email("ops@localhost"));
        assert!(!email("ops team@example.com"));
    }
}
