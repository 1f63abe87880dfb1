//! Admission webhooks whose backing Service is missing or has no ready endpoints. With
//! `failurePolicy: Fail` (the default) such a webhook rejects every request it matches.

use kubewhy_model::{Finding, ObjectRef, Severity};
use kubewhy_source::{
    Snapshot,
    k8s::admissionregistration::v1::{RuleWithOperations, ServiceReference},
    object_ref,
};

use super::{ready_endpoints, service_ref};
use crate::{
    Context,
    findings::{Build, finding},
    ids,
};

/// One webhook of either configuration kind, reduced to what the check reads.
struct Hook<'a> {
    name: &'a str,
    service: Option<&'a ServiceReference>,
    failure_policy: Option<&'a str>,
    rules: Option<&'a Vec<RuleWithOperations>>,
}

pub(super) fn check(cx: &Context<'_>) -> Vec<Finding> {
    let snapshot: &Snapshot = cx;
    let mut findings = Vec::new();
    for config in &snapshot.validating_webhook_configurations {
        let hooks = config.webhooks.iter().flatten().map(|w| Hook {
            name: &w.name,
            service: w.client_config.service.as_ref(),
            failure_policy: w.failure_policy.as_deref(),
            rules: w.rules.as_ref(),
        });
        findings.extend(judge(snapshot, &object_ref(config), hooks));
    }
    for config in &snapshot.mutating_webhook_configurations {
        let hooks = config.webhooks.iter().flatten().map(|w| Hook {
            name: &w.name,
            service: w.client_config.service.as_ref(),
            failure_policy: w.failure_policy.as_deref(),
            rules: w.rules.as_ref(),
        });
        findings.extend(judge(snapshot, &object_ref(config), hooks));
    }
    findings
}

/// Whether the Services of `namespace` were collected, so that a missing one is really missing.
/// Every live namespace has a `default` ServiceAccount and a `kube-root-ca.crt` ConfigMap, so a
/// namespace without any of these objects was left out of the snapshot (`--exclude-namespace`),
/// unless the Namespace itself is gone.
fn namespace_collected(snapshot: &Snapshot, namespace: &str) -> bool {
    if !snapshot.listed("Service", Some(namespace)) {
        return false;
    }
    let has_objects = !snapshot.services.in_namespace(namespace).is_empty()
        || !snapshot.service_accounts.in_namespace(namespace).is_empty()
        || !snapshot.config_maps.in_namespace(namespace).is_empty();
    let namespace_gone = !snapshot.namespaces.is_empty()
        && snapshot.namespaces.get(None, namespace).is_none()
        && !snapshot.services.is_empty();
    has_objects || namespace_gone
}

fn judge<'a>(
    snapshot: &Snapshot,
    object: &ObjectRef,
    hooks: impl Iterator<Item = Hook<'a>>,
) -> Vec<Finding> {
    let mut findings: Vec<Finding> = Vec::new();
    for hook in hooks {
        let Some(service) = hook.service else {
            continue;
        };
        let (namespace, name) = (service.namespace.as_str(), service.name.as_str());
        if !namespace_collected(snapshot, namespace) {
            continue;
        }
        let problem = if snapshot.services.get(Some(namespace), name).is_none() {
            ("ServiceNotFound", "which does not exist")
        } else if ready_endpoints(snapshot, namespace, name) == Some(0) {
            ("NoReadyEndpoints", "which has no ready endpoints")
        } else {
            continue;
        };
        let policy = hook.failure_policy.unwrap_or("Fail");
        let effect = if policy == "Fail" {
            "every matching request is rejected"
        } else {
            "matching requests skip the webhook"
        };
        let message = format!(
            "{} {}: webhook {} calls Service {namespace}/{name}, {}; with failurePolicy {policy}, {effect} ({})",
            object.kind,
            object.name,
            hook.name,
            problem.1,
            resources(hook.rules)
        );
        let mut found =
            finding(ids::WEBHOOK_SERVICE_UNAVAILABLE, object, problem.0, message).events(snapshot);
        found.severity = if policy == "Fail" {
            Severity::Critical
        } else {
            Severity::Warning
        };
        found.related.push(service_ref(namespace, name));
        findings.push(found);
    }
    findings
}

/// `CREATE/UPDATE deployments, statefulsets`: what the webhook intercepts.
fn resources(rules: Option<&Vec<RuleWithOperations>>) -> String {
    let mut operations: Vec<&str> = Vec::new();
    let mut resources: Vec<&str> = Vec::new();
    for rule in rules.into_iter().flatten() {
        operations.extend(rule.operations.iter().flatten().map(String::as_str));
        resources.extend(rule.resources.iter().flatten().map(String::as_str));
    }
    operations.sort_unstable();
    operations.dedup();
    resources.sort_unstable();
    resources.dedup();
    if resources.is_empty() {
        return "no rules".to_owned();
    }
    format!("{} {}", operations.join("/"), resources.join(", "))
}
