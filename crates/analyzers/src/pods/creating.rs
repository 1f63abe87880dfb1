//! Pods whose containers never start: held in ContainerCreating or PodInitializing by a volume
//! that does not mount or a sandbox that cannot be created. The kubelet's events say which
//! (the specific `MountVolume.*` event leads, not the generic "timed out waiting for the
//! condition" that wraps it); when the events have expired, as they do after an hour and as
//! archives often lack them, the pod's own conditions and timestamps still show how long it has
//! been stuck, and the message names what to check.

use kubewhy_model::Finding;
use kubewhy_source::{
    event_last_seen,
    k8s::core::v1::{Event, Pod, PodSpec, Volume},
    meta::Time,
};

use super::PodContext;
use crate::{evidence, findings::Build, ids, k8s::and_list};

/// Waiting reasons of a container that is on its way up.
pub(super) const STARTING: &[&str] = &["ContainerCreating", "PodInitializing"];

/// Events that keep a pod in ContainerCreating.
const CREATE_BLOCKERS: &[&str] = &[
    "FailedMount",
    "FailedAttachVolume",
    "FailedMapVolume",
    "FailedCreatePodSandBox",
    "FailedCreatePodContainer",
];

/// Messages of the specific step that failed, as opposed to the wrapper that only says a
/// timeout passed (`Unable to attach or mount volumes: ... timed out waiting for the
/// condition`).
const SPECIFIC: &[&str] = &[
    "MountVolume.",
    "MapVolume.",
    "AttachVolume.",
    "Multi-Attach",
];

/// A pod may take this long to start its containers (pulling a large image, attaching a disk)
/// before it counts as stuck without an event to say why.
const STUCK_SECONDS: i64 = 600;

/// One finding for a pod whose containers are not starting.
pub(super) fn check(ctx: &PodContext<'_>) -> Option<Finding> {
    let state = starting_state(ctx.pod)?;
    match blocker(ctx) {
        Some(event) => Some(from_event(ctx, state, event)),
        None => from_timestamps(ctx, state),
    }
}

/// `ContainerCreating` or `PodInitializing`, when a container waits with that reason, or when
/// a scheduled Pending pod reports no container at all.
fn starting_state(pod: &Pod) -> Option<&'static str> {
    let status = pod.status.as_ref()?;
    let statuses: Vec<_> = crate::k8s::container_statuses(pod).collect();
    let waiting = statuses
        .iter()
        .filter_map(|(s, _)| s.state.as_ref()?.waiting.as_ref()?.reason.as_deref())
        .find_map(|r| STARTING.iter().copied().find(|s| *s == r));
    if waiting.is_some() {
        return waiting;
    }
    let scheduled = pod
        .spec
        .as_ref()
        .and_then(|s| s.node_name.as_deref())
        .is_some_and(|n| !n.is_empty());
    let pending = status.phase.as_deref() == Some("Pending");
    (pending && scheduled && statuses.is_empty()).then(|| {
        let inits = pod.spec.as_ref().and_then(|s| s.init_containers.as_ref());
        if inits.is_some_and(|i| !i.is_empty()) {
            "PodInitializing"
        } else {
            "ContainerCreating"
        }
    })
}

/// The event that explains the wait: the most recent specific one, else the most recent of any
/// blocking reason.
fn blocker<'a>(ctx: &PodContext<'a>) -> Option<&'a Event> {
    let blocking = || {
        ctx.snapshot.events_for(&ctx.object).filter(|e| {
            e.reason
                .as_deref()
                .is_some_and(|r| CREATE_BLOCKERS.contains(&r))
        })
    };
    let specific = |e: &&Event| {
        e.message
            .as_deref()
            .is_some_and(|m| SPECIFIC.iter().any(|s| m.contains(s)))
    };
    blocking().find(specific).or_else(|| blocking().next())
}

fn from_event(ctx: &PodContext<'_>, state: &str, event: &Event) -> Finding {
    let reason = event.reason.as_deref().unwrap_or("FailedMount");
    let message = event.message.as_deref().unwrap_or("").trim();
    let text = format!(
        "Pod {} is stuck creating its containers ({reason}): {message}",
        ctx.name()
    );
    // The event the message quotes leads the evidence too.
    let mut events = evidence::events(ctx.snapshot, &ctx.object);
    if let Some(i) = events
        .iter()
        .position(|e| e.reason == reason && e.message == message)
    {
        let lead = events.remove(i);
        events.insert(0, lead);
    }
    crate::findings::finding(ids::POD_STUCK_CREATING, &ctx.object, state, text).with_events(events)
}

/// Stuck for longer than [`STUCK_SECONDS`] by the pod's own timestamps, with no container ever
/// started, and no event of the last [`STUCK_SECONDS`] to show progress (an image still being
/// pulled).
fn from_timestamps(ctx: &PodContext<'_>, state: &str) -> Option<Finding> {
    let progressing = ctx
        .snapshot
        .events_for(&ctx.object)
        .filter_map(event_last_seen)
        .max()
        .is_some_and(|seen| {
            crate::k8s::since(ctx.snapshot, Some(&Time(seen)))
                .is_none_or(|age| age.seconds() <= STUCK_SECONDS)
        });
    if progressing {
        return None;
    }
    let started = crate::k8s::container_statuses(ctx.pod).any(|(s, _)| {
        let ran = |st: Option<&kubewhy_source::k8s::core::v1::ContainerState>| {
            st.is_some_and(|st| st.running.is_some() || st.terminated.is_some())
        };
        ran(s.state.as_ref()) || ran(s.last_state.as_ref())
    });
    if started {
        return None;
    }
    let status = ctx.pod.status.as_ref()?;
    let scheduled_at = status
        .conditions
        .iter()
        .flatten()
        .find(|c| c.type_ == "PodScheduled" && c.status == "True")
        .and_then(|c| c.last_transition_time.as_ref());
    let since = scheduled_at.or(status.start_time.as_ref()).or(ctx
        .pod
        .metadata
        .creation_timestamp
        .as_ref());
    let age = ctx.since(since).filter(|a| a.seconds() > STUCK_SECONDS)?;
    let doing = if state == "PodInitializing" {
        "initializing"
    } else {
        "creating its containers"
    };
    let text = format!(
        "Pod {} has been {doing} {}; no container has started; {}",
        ctx.name(),
        age.lasting(),
        what_to_check(ctx.pod.spec.as_ref())
    );
    Some(ctx.finding(ids::POD_STUCK_CREATING, state, text))
}

/// `check volumes data, cache and Secrets db-creds`: what the kubelet must prepare before a
/// container starts, other than what it always can (emptyDir, downward API, the projected
/// service account token).
fn what_to_check(spec: Option<&PodSpec>) -> String {
    let mut volumes = Vec::new();
    let mut secrets = Vec::new();
    for volume in spec.into_iter().flat_map(|s| s.volumes.iter().flatten()) {
        if let Some(secret) = volume
            .secret
            .as_ref()
            .and_then(|s| s.secret_name.as_deref())
        {
            secrets.push(secret.to_owned());
        } else if !always_ready(volume) {
            volumes.push(volume.name.clone());
        }
        let projected = volume
            .projected
            .iter()
            .flat_map(|p| p.sources.iter().flatten());
        secrets.extend(projected.filter_map(|s| Some(s.secret.as_ref()?.name.clone())));
    }
    secrets.sort();
    secrets.dedup();
    let mut parts = Vec::new();
    if !volumes.is_empty() {
        let word = if volumes.len() == 1 {
            "volume"
        } else {
            "volumes"
        };
        parts.push(format!("{word} {}", volumes.join(", ")));
    }
    if !secrets.is_empty() {
        let word = if secrets.len() == 1 {
            "Secret"
        } else {
            "Secrets"
        };
        parts.push(format!("{word} {}", secrets.join(", ")));
    }
    if parts.is_empty() {
        return "check the node's container runtime and network plugin".to_owned();
    }
    format!("check {}", and_list(&parts))
}

/// Volumes the kubelet sets up without anything that can be missing.
fn always_ready(volume: &Volume) -> bool {
    let token_only = volume.projected.as_ref().is_some_and(|p| {
        p.sources.iter().flatten().all(|s| {
            s.service_account_token.is_some()
                || s.downward_api.is_some()
                || s.config_map
                    .as_ref()
                    .is_some_and(|c| c.name == "kube-root-ca.crt")
        })
    });
    volume.empty_dir.is_some() || volume.downward_api.is_some() || token_only
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_to_check_names_volumes_and_secrets_but_not_the_token() {
        let spec: PodSpec = serde_json::from_value(serde_json::json!({
            "containers": [{"name": "app", "image": "app"}],
            "volumes": [
                {"name": "data", "persistentVolumeClaim": {"claimName": "data-0"}},
                {"name": "scratch", "emptyDir": {}},
                {"name": "certs", "secret": {"secretName": "tls"}},
                {"name": "config", "configMap": {"name": "app"}},
                {"name": "kube-api-access-x", "projected": {"sources": [
                    {"serviceAccountToken": {"path": "token"}},
                    {"configMap": {"name": "kube-root-ca.crt"}}
                ]}}
            ]
        }))
        .unwrap();
        assert_eq!(
            what_to_check(Some(&spec)),
            "check volumes data, config and Secret tls"
        );
        assert_eq!(
            what_to_check(None),
            "check the node's container runtime and network plugin"
        );
    }
}
