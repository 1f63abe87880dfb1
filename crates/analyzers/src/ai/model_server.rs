//! Model servers (vLLM, TGI, Triton, Ollama, KServe, Ray Serve): readiness, probe budgets that
//! a model load outlasts, endpoints no NetworkPolicy guards, and multi-GB images pulled on every
//! start.

use std::collections::BTreeMap;

use kubewhy_model::{Finding, ObjectRef};
use kubewhy_source::{
    LabelSelector, dynamic_ref,
    k8s::core::v1::{Container, Probe},
};

use super::frameworks::{self, Framework};
use crate::{
    Context,
    findings::{Build, finding},
    ids,
    k8s::{describe, in_namespace, namespace_of},
    workload::Workload,
};

/// A model load shorter than this is rare for an LLM; probe budgets below it kill the load.
const MIN_LOAD_SECONDS: i32 = 300;

/// The label KServe puts on the pods of an InferenceService.
const KSERVE_LABEL: &str = "serving.kserve.io/inferenceservice";

/// Kinds whose pods run to completion; readiness and exposure do not apply to them.
fn runs_to_completion(workload: &Workload<'_>) -> bool {
    matches!(workload.object.kind.as_str(), "Job" | "CronJob")
}

/// The workload's model-server containers with what they run.
fn servers<'a>(workload: &'a Workload<'_>) -> impl Iterator<Item = (&'a Container, Framework)> {
    workload.spec.containers.iter().filter_map(|c| {
        frameworks::recognize(c)
            .filter(|f| f.is_model_server())
            .map(|f| (c, f))
    })
}

/// `model-server-no-readiness-probe`: neither a readiness nor a startup probe.
pub(super) fn no_readiness(workload: &Workload<'_>) -> Vec<Finding> {
    if runs_to_completion(workload) {
        return Vec::new();
    }
    servers(workload)
        .filter(|(c, _)| c.readiness_probe.is_none() && c.startup_probe.is_none())
        .map(|(c, framework)| {
            let message = format!(
                "Container {} of {} runs {} without a readiness or startup probe",
                c.name,
                describe(&workload.object),
                framework.name()
            );
            let found = finding(
                ids::MODEL_SERVER_NO_READINESS_PROBE,
                &workload.object,
                "NoReadinessProbe",
                message,
            );
            found.container(&c.name, false)
        })
        .collect()
}

/// Seconds a probe tolerates failing from the container's start, and how it adds up.
fn budget(probe: &Probe) -> (i32, String) {
    let delay = probe.initial_delay_seconds.unwrap_or(0);
    let period = probe.period_seconds.unwrap_or(10);
    let failures = probe.failure_threshold.unwrap_or(3);
    let total = delay.saturating_add(period.saturating_mul(failures));
    let how = format!(
        "initialDelaySeconds {delay} + periodSeconds {period} x failureThreshold {failures}"
    );
    (total, how)
}

/// `model-server-probe-too-short`: the probe that restarts a loading container gives up before
/// `MIN_LOAD_SECONDS`.
pub(super) fn probe_too_short(workload: &Workload<'_>) -> Vec<Finding> {
    let mut findings = Vec::new();
    // `ollama serve` listens at once and loads a model on the first request that names it, so
    // no probe waits for a load.
    let loads_at_start = servers(workload).filter(|(_, f)| *f != Framework::Ollama);
    for (c, framework) in loads_at_start {
        let (probe, reason, kind) = match (&c.startup_probe, &c.liveness_probe) {
            (Some(startup), _) => (startup, "StartupProbeTooShort", "startup"),
            (None, Some(liveness)) => (liveness, "LivenessProbeTooShort", "liveness"),
            (None, None) => continue,
        };
        let (seconds, how) = budget(probe);
        if seconds >= MIN_LOAD_SECONDS {
            continue;
        }
        let message = format!(
            "Container {} of {} runs {}, whose {kind} probe restarts it unless the model loads within {seconds}s ({how})",
            c.name,
            describe(&workload.object),
            framework.name()
        );
        let found = finding(
            ids::MODEL_SERVER_PROBE_TOO_SHORT,
            &workload.object,
            reason,
            message,
        );
        findings.push(found.container(&c.name, false));
    }
    findings
}

/// Whether an Ingress-type NetworkPolicy in `namespace` selects pods with `labels`.
/// Without a full list of the namespace's NetworkPolicies, the pods count as guarded: a
/// policy the snapshot could not see may select them.
fn guarded(cx: &Context<'_>, namespace: &str, labels: &BTreeMap<String, String>) -> bool {
    if !cx.collected("NetworkPolicy", Some(namespace)) {
        return true;
    }
    in_namespace(&cx.network_policies, namespace).any(|policy| {
        let Some(spec) = policy.spec.as_ref() else {
            return false;
        };
        // Without policyTypes, a policy always restricts ingress.
        let ingress = spec
            .policy_types
            .as_ref()
            .is_none_or(|types| types.iter().any(|t| t == "Ingress"));
        let selector = spec
            .pod_selector
            .as_ref()
            .map(LabelSelector::from_k8s)
            .unwrap_or_default();
        ingress && selector.matches(labels)
    })
}

fn exposed_finding(object: &ObjectRef, what: &str) -> Finding {
    let namespace = namespace_of(object);
    let message = format!(
        "No NetworkPolicy in namespace {namespace} selects the pods of {} ({what}), so every pod in the cluster can reach its inference endpoint",
        describe(object)
    );
    finding(
        ids::MODEL_SERVER_EXPOSED,
        object,
        "NoNetworkPolicy",
        message,
    )
}

/// `model-server-exposed` for workloads running a model server.
pub(super) fn exposed(snapshot: &Context<'_>, workload: &Workload<'_>) -> Option<Finding> {
    if runs_to_completion(workload) {
        return None;
    }
    let (_, framework) = servers(workload).next()?;
    let namespace = workload.object.namespace.as_deref().unwrap_or_default();
    if guarded(snapshot, namespace, &workload.pod_labels()) {
        return None;
    }
    Some(exposed_finding(&workload.object, framework.name()))
}

/// `model-server-exposed` for KServe InferenceServices, whose pods KServe labels with the
/// service's name.
pub(super) fn exposed_inference_services(snapshot: &Context<'_>) -> Vec<Finding> {
    let services = snapshot.dynamic.iter().filter(|d| {
        d.types.as_ref().is_some_and(|t| {
            t.kind == "InferenceService" && t.api_version.starts_with("serving.kserve.io/")
        })
    });
    services
        .filter_map(|service| {
            let name = service.metadata.name.clone().unwrap_or_default();
            let namespace = service.metadata.namespace.as_deref().unwrap_or_default();
            let labels = BTreeMap::from([(KSERVE_LABEL.to_owned(), name)]);
            (!guarded(snapshot, namespace, &labels))
                .then(|| exposed_finding(&dynamic_ref(service), "KServe"))
        })
        .collect()
}

/// Whether the image reference has neither a tag nor a digest, or the tag `latest`: the
/// kubelet then defaults `imagePullPolicy` to `Always`.
fn defaults_to_always(image: &str) -> bool {
    if image.contains('@') {
        return false;
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    last.split_once(':').is_none_or(|(_, tag)| tag == "latest")
}

/// `model-image-pull-always`: an ML image pulled again on every container start.
pub(super) fn pull_always(workload: &Workload<'_>) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (c, init) in workload.containers() {
        let (Some(framework), Some(image)) = (frameworks::recognize(c), c.image.as_deref()) else {
            continue;
        };
        let (reason, why) = match c.image_pull_policy.as_deref() {
            Some("Always") => ("PullAlways", "imagePullPolicy Always"),
            None if defaults_to_always(image) => (
                "ImplicitPullAlways",
                "no imagePullPolicy and a latest or missing tag",
            ),
            _ => continue,
        };
        let message = format!(
            "Container {} of {} pulls its {} image {image} on every start ({why})",
            c.name,
            describe(&workload.object),
            framework.name()
        );
        let found = finding(
            ids::MODEL_IMAGE_PULL_ALWAYS,
            &workload.object,
            reason,
            message,
        )
        .container(&c.name, init);
        findings.push(found);
    }
    findings
}
