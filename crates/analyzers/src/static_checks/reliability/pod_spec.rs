//! Pod-template checks: selectors, scheduling spread (anti-affinity and topology spread
//! constraints), network isolation, DNS, priority and restart policy.

use std::collections::BTreeMap;

use kubewhy_model::Finding;
use kubewhy_source::{
    LabelSelector,
    k8s::{core::v1::PodAffinityTerm, networking::v1::NetworkPolicy},
};

use super::REPLICATED;
use crate::{
    Context,
    findings::finding,
    ids,
    k8s::{describe, namespace_of, show_labels},
    workload::Workload,
};

/// Priority classes that Kubernetes ships and that need no PriorityClass object of the user's.
const ACCEPTED_PRIORITY_CLASSES: &[&str] = &["system-cluster-critical", "system-node-critical"];

pub(super) fn check(cx: &Context<'_>) -> Vec<Finding> {
    // Most of these are policies, off by default; skipping them saves a finding per workload.
    let on = |id| cx.enabled(id);
    let (anti, node, isolated, ndots) = (
        on(ids::WORKLOAD_NO_ANTI_AFFINITY),
        on(ids::WORKLOAD_NO_NODE_AFFINITY),
        on(ids::POD_NOT_ISOLATED),
        on(ids::DNS_NDOTS_UNSET),
    );
    let priority = on(ids::PRIORITY_CLASS_NOT_ALLOWED) || on(ids::RESTART_POLICY_NEVER);
    let partial = on(ids::POD_NETWORK_POLICY_PARTIAL);
    let mut findings = Vec::new();
    for workload in cx.workloads() {
        findings.extend(selector(workload));
        if anti {
            findings.extend(anti_affinity(workload));
        }
        if node {
            findings.extend(node_affinity(workload));
        }
        if isolated {
            findings.extend(isolation(cx, workload));
        }
        if partial {
            findings.extend(partial_isolation(cx, workload));
        }
        findings.extend(topology_spread(workload));
        if ndots {
            findings.extend(dns(workload));
        }
        if priority {
            findings.extend(priority_and_restart(workload));
        }
    }
    findings
}

fn selector(workload: &Workload) -> Option<Finding> {
    let selector = workload.selector.as_ref().filter(|s| !s.is_empty())?;
    let labels = workload.pod_labels();
    (!selector.matches(&labels)).then(|| {
        let message = format!(
            "The selector of {} does not match the labels of its own pod template ({}).",
            workload.object,
            if labels.is_empty() {
                "none".to_owned()
            } else {
                show_labels(&labels)
            }
        );
        finding(
            ids::SELECTOR_MISMATCH,
            &workload.object,
            "SelectorMismatch",
            message,
        )
    })
}

fn anti_affinity(workload: &Workload) -> Option<Finding> {
    if !REPLICATED.contains(&workload.object.kind.as_str()) {
        return None;
    }
    let replicas = workload.replicas.unwrap_or(1);
    if replicas < 2 {
        return None;
    }
    let terms = anti_affinity_terms(workload);
    let namespace = namespace_of(&workload.object);
    let labels = workload.labels();
    if spreads_by_host(workload, labels) {
        return None;
    }
    let mut foreign = None;
    for term in terms {
        // A namespaceSelector adds namespaces to the list: `{}` adds all of them, and any other
        // may match the workload's own, which the snapshot cannot always tell.
        if let Some(spaces) = term.namespaces.as_ref().filter(|n| !n.is_empty())
            && term.namespace_selector.is_none()
            && !spaces.iter().any(|n| n == namespace)
        {
            foreign.get_or_insert_with(|| spaces.join(", "));
            continue;
        }
        if selects(term, labels) {
            return None;
        }
    }
    let (reason, message) = match foreign {
        Some(spaces) => (
            "AntiAffinityOtherNamespace",
            format!(
                "The pod anti-affinity of {} only looks at namespaces {spaces}, not its own namespace {namespace}, so its {replicas} replicas may share a node.",
                workload.object
            ),
        ),
        None => (
            "NoAntiAffinity",
            format!(
                "{} runs {replicas} replicas without a pod anti-affinity rule that spreads them across nodes.",
                workload.object
            ),
        ),
    };
    Some(finding(
        ids::WORKLOAD_NO_ANTI_AFFINITY,
        &workload.object,
        reason,
        message,
    ))
}

/// The required and preferred pod anti-affinity terms of a workload's pods.
fn anti_affinity_terms<'a>(workload: &'a Workload) -> impl Iterator<Item = &'a PodAffinityTerm> {
    let anti = workload
        .spec
        .affinity
        .as_ref()
        .and_then(|a| a.pod_anti_affinity.as_ref());
    let required = anti.and_then(|a| {
        a.required_during_scheduling_ignored_during_execution
            .as_ref()
    });
    let preferred = anti.and_then(|a| {
        a.preferred_during_scheduling_ignored_during_execution
            .as_ref()
    });
    required.into_iter().flatten().chain(
        preferred
            .into_iter()
            .flatten()
            .map(|p| &p.pod_affinity_term),
    )
}

/// A topology spread constraint over `kubernetes.io/hostname` that counts the workload's own
/// pods spreads them across nodes as an anti-affinity rule would.
fn spreads_by_host(workload: &Workload, labels: &BTreeMap<String, String>) -> bool {
    workload
        .spec
        .topology_spread_constraints
        .iter()
        .flatten()
        .any(|c| {
            c.topology_key == "kubernetes.io/hostname"
                && c.label_selector
                    .as_ref()
                    .is_some_and(|s| LabelSelector::from_k8s(s).matches(labels))
        })
}

fn selects(term: &PodAffinityTerm, labels: &BTreeMap<String, String>) -> bool {
    term.label_selector
        .as_ref()
        .is_some_and(|s| LabelSelector::from_k8s(s).matches(labels))
}

fn node_affinity(workload: &Workload) -> Option<Finding> {
    let set = workload
        .spec
        .affinity
        .as_ref()
        .is_some_and(|a| a.node_affinity.is_some());
    (!set).then(|| {
        let message = format!("{} defines no node affinity rules.", workload.object);
        finding(
            ids::WORKLOAD_NO_NODE_AFFINITY,
            &workload.object,
            "NoNodeAffinity",
            message,
        )
    })
}

/// The NetworkPolicies of the workload's namespace that select its pods; `None` when a policy
/// the snapshot could not see may select them.
fn selecting_policies<'a>(
    snapshot: &'a Context<'_>,
    workload: &Workload,
) -> Option<Vec<&'a NetworkPolicy>> {
    let namespace = workload.object.namespace.as_deref();
    if !snapshot.collected("NetworkPolicy", namespace) {
        return None;
    }
    let labels = workload.labels();
    let policies = snapshot.network_policies.iter().filter(|p| {
        p.metadata.namespace.as_deref() == namespace
            && p.spec.as_ref().is_some_and(|s| {
                s.pod_selector
                    .as_ref()
                    .is_none_or(|sel| LabelSelector::from_k8s(sel).matches(labels))
            })
    });
    Some(policies.collect())
}

/// Pods that no NetworkPolicy selects accept traffic from anywhere in the cluster.
fn isolation(snapshot: &Context<'_>, workload: &Workload) -> Option<Finding> {
    let isolated = !selecting_policies(snapshot, workload)?.is_empty();
    (!isolated).then(|| {
        let message = format!("No NetworkPolicy selects the pods of {}.", workload.object);
        finding(
            ids::POD_NOT_ISOLATED,
            &workload.object,
            "PodNotIsolated",
            message,
        )
    })
}

/// The directions a policy isolates: its `policyTypes`, or when it names none, Ingress, and
/// Egress too if it has egress rules (as the API server defaults them).
fn directions(policy: &NetworkPolicy) -> (bool, bool) {
    let Some(spec) = policy.spec.as_ref() else {
        return (false, false);
    };
    match spec.policy_types.as_ref().filter(|t| !t.is_empty()) {
        Some(types) => (
            types.iter().any(|t| t == "Ingress"),
            types.iter().any(|t| t == "Egress"),
        ),
        None => (true, spec.egress.as_ref().is_some_and(|e| !e.is_empty())),
    }
}

/// Pods that NetworkPolicies isolate in one direction only. Pods no policy selects are
/// `pod-not-isolated`'s.
fn partial_isolation(snapshot: &Context<'_>, workload: &Workload) -> Option<Finding> {
    let policies = selecting_policies(snapshot, workload)?;
    if policies.is_empty() {
        return None;
    }
    let (ingress, egress) = policies.iter().fold((false, false), |(i, e), p| {
        let (pi, pe) = directions(p);
        (i || pi, e || pe)
    });
    let (reason, covered, open) = match (ingress, egress) {
        (true, false) => ("IngressOnly", "incoming", "outgoing"),
        (false, true) => ("EgressOnly", "outgoing", "incoming"),
        _ => return None,
    };
    let message = format!(
        "The NetworkPolicies that select the pods of {} restrict only {covered} traffic; {open} traffic is not restricted.",
        describe(&workload.object)
    );
    Some(finding(
        ids::POD_NETWORK_POLICY_PARTIAL,
        &workload.object,
        reason,
        message,
    ))
}

/// Topology spread constraints the API server rejects (`maxSkew` below 1, no `topologyKey`, an
/// unknown `whenUnsatisfiable`, a `minDomains` below 1 or without `DoNotSchedule`), and those
/// that spread nothing: no `labelSelector`, or one that does not select the workload's own pods.
fn topology_spread(workload: &Workload) -> Vec<Finding> {
    let labels = workload.labels();
    let constraints = workload.spec.topology_spread_constraints.iter().flatten();
    let mut out = Vec::new();
    for (i, c) in constraints.enumerate() {
        let do_not_schedule = c.when_unsatisfiable == "DoNotSchedule";
        let (reason, problem) = if c.max_skew < 1 {
            (
                "MaxSkewInvalid",
                format!("sets maxSkew to {}, below 1", c.max_skew),
            )
        } else if c.topology_key.is_empty() {
            ("TopologyKeyUnset", "sets no topologyKey".to_owned())
        } else if !do_not_schedule && c.when_unsatisfiable != "ScheduleAnyway" {
            (
                "WhenUnsatisfiableInvalid",
                format!(
                    "sets whenUnsatisfiable to {:?}, not DoNotSchedule or ScheduleAnyway",
                    c.when_unsatisfiable
                ),
            )
        } else if let Some(n) = c.min_domains.filter(|n| *n < 1 || !do_not_schedule) {
            let why = if n < 1 {
                "below 1"
            } else {
                "without whenUnsatisfiable: DoNotSchedule"
            };
            (
                "MinDomainsInvalid",
                format!("sets minDomains to {n}, {why}"),
            )
        } else if c.label_selector.is_none() {
            (
                "NoLabelSelector",
                "has no labelSelector, so it counts no pods".to_owned(),
            )
        } else if !c
            .label_selector
            .as_ref()
            .is_some_and(|s| LabelSelector::from_k8s(s).matches(labels))
        {
            (
                "SelectorMissesOwnPods",
                "has a labelSelector that does not select the workload's own pods".to_owned(),
            )
        } else {
            continue;
        };
        let message = format!(
            "Topology spread constraint {} of {} {problem}.",
            i + 1,
            describe(&workload.object)
        );
        out.push(finding(
            ids::TOPOLOGY_SPREAD_INVALID,
            &workload.object,
            reason,
            message,
        ));
    }
    out
}

fn dns(workload: &Workload) -> Option<Finding> {
    let config = workload.spec.dns_config.as_ref();
    let options = config
        .and_then(|c| c.options.as_ref())
        .filter(|o| !o.is_empty());
    let ndots = options
        .into_iter()
        .flatten()
        .find(|o| o.name.as_deref() == Some("ndots"))
        .and_then(|o| o.value.clone());
    let (reason, detail) = match (config, options, &ndots) {
        (None, _, _) => ("NoDnsConfig", "sets no dnsConfig".to_owned()),
        (Some(_), None, _) => ("NoDnsOptions", "sets no dnsConfig options".to_owned()),
        (Some(_), Some(_), None) => ("NoNdots", "sets no ndots option".to_owned()),
        (Some(_), Some(_), Some(v)) if v.parse::<u32>().is_ok_and(|n| n <= 2) => return None,
        (Some(_), Some(_), Some(v)) => ("NdotsHigh", format!("sets ndots to {v}")),
    };
    let message = format!(
        "The pod template of {} {detail}, so each lookup of an external name first tries every search domain.",
        workload.object
    );
    Some(finding(
        ids::DNS_NDOTS_UNSET,
        &workload.object,
        reason,
        message,
    ))
}

fn priority_and_restart(workload: &Workload) -> Vec<Finding> {
    let mut out = Vec::new();
    if let Some(class) = workload.spec.priority_class_name.as_deref()
        && !ACCEPTED_PRIORITY_CLASSES.contains(&class)
    {
        let message = format!(
            "{} uses the priority class {class}, which is not one of {}.",
            workload.object,
            ACCEPTED_PRIORITY_CLASSES.join(", ")
        );
        out.push(finding(
            ids::PRIORITY_CLASS_NOT_ALLOWED,
            &workload.object,
            "PriorityClassNotAllowed",
            message,
        ));
    }
    if workload.spec.restart_policy.as_deref() == Some("Never") {
        let message = format!(
            "{} sets restartPolicy Never, so failed containers are not restarted in place.",
            workload.object
        );
        out.push(finding(
            ids::RESTART_POLICY_NEVER,
            &workload.object,
            "RestartPolicyNever",
            message,
        ));
    }
    out
}
