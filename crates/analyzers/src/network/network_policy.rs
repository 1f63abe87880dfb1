//! NetworkPolicies: a pod selector that selects nothing in the policy's namespace, and rules
//! that allow all traffic in a direction.

use kubewhy_model::{Finding, ObjectRef};
use kubewhy_source::{
    LabelSelector, Snapshot,
    k8s::networking::v1::{NetworkPolicy, NetworkPolicySpec},
    object_ref,
};

use crate::{
    Context,
    findings::{Build, finding},
    ids,
    k8s::namespace_of,
    twins::selects,
};

pub(super) fn check(snapshot: &Context<'_>) -> Vec<Finding> {
    let mut findings = Vec::new();
    for policy in &snapshot.network_policies {
        let object = object_ref(policy);
        let Some(spec) = policy.spec.as_ref() else {
            continue;
        };
        findings.extend(selects_nothing(snapshot, spec, &object));
        findings.extend(allows_all(snapshot, policy, spec, &object));
    }
    findings
}

fn selects_nothing(
    snapshot: &Context<'_>,
    spec: &NetworkPolicySpec,
    object: &ObjectRef,
) -> Option<Finding> {
    // With neither pods nor workloads anywhere, pods were not collected: nothing to judge.
    let uncollected = snapshot.pods.is_empty() && snapshot.workloads().next().is_none();
    if uncollected || !snapshot.collected("Pod", object.namespace.as_deref()) {
        return None;
    }
    let selector = spec.pod_selector.as_ref().map(LabelSelector::from_k8s)?;
    if selector.is_empty() {
        return None;
    }
    let namespace = object.namespace.as_deref().unwrap_or("");
    if selects(snapshot, namespace, &selector) {
        return None;
    }
    let message = format!(
        "NetworkPolicy {} selects no pod or pod template in namespace {}, so it restricts nothing",
        object.name,
        namespace_of(object)
    );
    Some(
        finding(
            ids::NETWORK_POLICY_SELECTS_NO_PODS,
            object,
            "NoMatchingPods",
            message,
        )
        .events(snapshot),
    )
}

/// Which directions the policy governs: `policyTypes`, else Ingress plus Egress when egress
/// rules are present, as the API server defaults it.
fn directions(spec: &NetworkPolicySpec) -> (bool, bool) {
    match spec.policy_types.as_ref() {
        Some(types) => (
            types.iter().any(|t| t == "Ingress"),
            types.iter().any(|t| t == "Egress"),
        ),
        None => (true, spec.egress.is_some()),
    }
}

fn allows_all(
    snapshot: &Snapshot,
    policy: &NetworkPolicy,
    spec: &NetworkPolicySpec,
    object: &ObjectRef,
) -> Vec<Finding> {
    let (ingress, egress) = directions(spec);
    let open_ingress = ingress
        && spec.ingress.iter().flatten().any(|r| {
            r.from.as_ref().is_none_or(Vec::is_empty) && r.ports.as_ref().is_none_or(Vec::is_empty)
        });
    let open_egress = egress
        && spec.egress.iter().flatten().any(|r| {
            r.to.as_ref().is_none_or(Vec::is_empty) && r.ports.as_ref().is_none_or(Vec::is_empty)
        });
    let name = policy.metadata.name.as_deref().unwrap_or("");
    let mut findings = Vec::new();
    for (open, direction, reason) in [
        (open_ingress, "ingress", "AllowAllIngress"),
        (open_egress, "egress", "AllowAllEgress"),
    ] {
        if open {
            let message = format!(
                "NetworkPolicy {name} has an empty {direction} rule, which allows all {direction} traffic of the pods it selects"
            );
            findings.push(
                finding(ids::NETWORK_POLICY_ALLOWS_ALL, object, reason, message).events(snapshot),
            );
        }
    }
    findings
}
