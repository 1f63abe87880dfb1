//! The context of one object, gathered whether or not a check fires on it: its owners, its
//! pods and their containers, the Services and Ingresses that route to it, the claims it
//! mounts, its warning events, and which crashed containers' logs would explain it. The TUI's
//! detail pane, `kubewhy explain`, Slack and MCP all show this.

use std::collections::BTreeSet;

use kubewhy_model::{FocusContext, LogTarget, ObjectRef, PodSummary};
use kubewhy_source::{Snapshot, k8s::core::v1::Pod, object_ref};

use crate::evidence;

/// Bounds, as for an issue's evidence.
const MAX_PODS: usize = 10;
const MAX_CONTAINERS: usize = 5;
const MAX_EVENTS: usize = 8;
const MAX_CONDITIONS: usize = 5;
const MAX_LOGS: usize = 2;

/// The context of `object`; `None` when the snapshot does not hold it.
#[must_use]
pub fn focus_context(snapshot: &Snapshot, object: &ObjectRef) -> Option<FocusContext> {
    if !snapshot.contains(object) {
        return None;
    }
    let namespace = object.namespace.as_deref().unwrap_or("");
    let pods: Vec<&Pod> = snapshot
        .pods
        .in_namespace(namespace)
        .iter()
        .filter(|pod| {
            let pod_ref = object_ref(*pod);
            pod_ref.is(object) || snapshot.owner_chain(&pod_ref).iter().any(|o| o.is(object))
        })
        .collect();
    let mut context = FocusContext {
        object: object.clone(),
        owners: snapshot.owner_chain(object),
        pods: pods.iter().take(MAX_PODS).map(|p| summary(p)).collect(),
        pod_count: pods.len(),
        conditions: Vec::new(),
        containers: Vec::new(),
        routes: routes(snapshot, namespace, &pods),
        claims: claims(namespace, &pods),
        events: Vec::new(),
        logs: Vec::new(),
        issues: Vec::new(),
        log_targets: Vec::new(),
    };
    let mut events = evidence::events(snapshot, object);
    for pod in &pods {
        let pod_ref = object_ref(*pod);
        if !pod_ref.is(object) {
            events.extend(evidence::events(snapshot, &pod_ref));
        }
        add_pod_state(&mut context, pod, &pod_ref);
    }
    events.sort_by(|a, b| b.last_seen.cmp(&a.last_seen));
    events.truncate(MAX_EVENTS);
    context.events = events;
    Some(context)
}

fn summary(pod: &Pod) -> PodSummary {
    let status = pod.status.as_ref();
    let containers = status.and_then(|s| s.container_statuses.as_ref());
    let total = pod.spec.as_ref().map_or(0, |s| s.containers.len());
    let ready = containers.map_or(0, |c| c.iter().filter(|c| c.ready).count());
    PodSummary {
        name: pod.metadata.name.clone().unwrap_or_default(),
        phase: status
            .and_then(|s| s.phase.clone())
            .unwrap_or_else(|| "Unknown".to_owned()),
        ready: format!("{ready}/{total}"),
        restarts: containers.map_or(0, |c| c.iter().map(|c| c.restart_count).sum()),
        node: pod.spec.as_ref().and_then(|s| s.node_name.clone()),
    }
}

/// Adds a pod's failing conditions, its containers that are not running and ready, and the
/// crashed ones whose logs would explain it.
fn add_pod_state(context: &mut FocusContext, pod: &Pod, pod_ref: &ObjectRef) {
    let Some(status) = pod.status.as_ref() else {
        return;
    };
    for condition in status.conditions.iter().flatten() {
        if condition.status != "True" && context.conditions.len() < MAX_CONDITIONS {
            context.conditions.push(evidence::condition(
                pod_ref,
                &condition.type_,
                &condition.status,
                condition.reason.as_ref(),
                condition.message.as_ref(),
            ));
        }
    }
    let statuses = status
        .init_container_statuses
        .iter()
        .flatten()
        .map(|s| (s, true))
        .chain(
            status
                .container_statuses
                .iter()
                .flatten()
                .map(|s| (s, false)),
        );
    for (container, init) in statuses {
        let running = container
            .state
            .as_ref()
            .is_some_and(|s| s.running.is_some());
        let finished_init = init
            && container
                .state
                .as_ref()
                .and_then(|s| s.terminated.as_ref())
                .is_some_and(|t| t.exit_code == 0);
        if (running && container.ready) || finished_init {
            continue;
        }
        if context.containers.len() < MAX_CONTAINERS {
            context
                .containers
                .push(evidence::container(&pod_ref.name, container, init));
        }
        let crashed = container
            .last_state
            .as_ref()
            .is_some_and(|s| s.terminated.is_some());
        let seen = context
            .log_targets
            .iter()
            .any(|t| t.container == container.name);
        if crashed && !seen && context.log_targets.len() < MAX_LOGS {
            context.log_targets.push(LogTarget {
                namespace: pod_ref.namespace.clone().unwrap_or_default(),
                pod: pod_ref.name.clone(),
                container: container.name.clone(),
                previous: true,
            });
        }
    }
}

/// Services whose selector matches one of the pods, and Ingresses with one of them as backend.
fn routes(snapshot: &Snapshot, namespace: &str, pods: &[&Pod]) -> Vec<ObjectRef> {
    let mut services = Vec::new();
    for service in snapshot.services.in_namespace(namespace) {
        let Some(selector) = service.spec.as_ref().and_then(|s| s.selector.as_ref()) else {
            continue;
        };
        let selects = pods.iter().any(|pod| {
            let labels = pod.metadata.labels.as_ref();
            !selector.is_empty()
                && selector
                    .iter()
                    .all(|(k, v)| labels.and_then(|l| l.get(k)) == Some(v))
        });
        if selects {
            services.push(service);
        }
    }
    let names: BTreeSet<&str> = services
        .iter()
        .filter_map(|s| s.metadata.name.as_deref())
        .collect();
    let mut routes: Vec<ObjectRef> = services.iter().map(|s| object_ref(*s)).collect();
    for ingress in snapshot.ingresses.in_namespace(namespace) {
        let Some(spec) = ingress.spec.as_ref() else {
            continue;
        };
        let default = spec.default_backend.iter();
        let paths = spec
            .rules
            .iter()
            .flatten()
            .filter_map(|r| r.http.as_ref())
            .flat_map(|h| h.paths.iter().map(|p| &p.backend));
        let routes_here = default
            .chain(paths)
            .filter_map(|b| b.service.as_ref())
            .any(|s| names.contains(s.name.as_str()));
        if routes_here {
            routes.push(object_ref(ingress));
        }
    }
    routes
}

/// The claims the pods mount.
fn claims(namespace: &str, pods: &[&Pod]) -> Vec<ObjectRef> {
    let names: BTreeSet<&str> = pods
        .iter()
        .filter_map(|p| p.spec.as_ref())
        .flat_map(|s| s.volumes.iter().flatten())
        .filter_map(|v| v.persistent_volume_claim.as_ref())
        .map(|c| c.claim_name.as_str())
        .collect();
    names
        .into_iter()
        .map(|name| ObjectRef::new("v1", "PersistentVolumeClaim", Some(namespace), name))
        .collect()
}
