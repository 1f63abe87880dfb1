//! Container states: every waiting reason, terminations (OOMKilled and exit codes), restarts
//! and readiness, for init containers and regular containers alike.

use kubewhy_model::{Finding, LogTarget, Severity};
use kubewhy_source::k8s::core::v1::{Container, ContainerStateTerminated, ContainerStatus};

use super::{PodContext, phase::human_duration};
use crate::evidence;

const IMAGE_PULL: &[&str] = &[
    "ImagePullBackOff",
    "ErrImagePull",
    "InvalidImageName",
    "ErrImageNeverPull",
    "RegistryUnavailable",
    "ImageInspectError",
    "SignatureValidationFailed",
];
const START_FAILURES: &[&str] = &[
    "CreateContainerError",
    "RunContainerError",
    "StartError",
    "ContainerCannotRun",
    "PreStartHookError",
    "PostStartHookError",
    "PreCreateHookError",
];
/// Waiting reasons of a container that is on its way up.
const STARTING: &[&str] = &["ContainerCreating", "PodInitializing"];
/// Events that keep a pod in ContainerCreating.
const CREATE_BLOCKERS: &[&str] = &[
    "FailedMount",
    "FailedAttachVolume",
    "FailedMapVolume",
    "FailedCreatePodSandBox",
    "FailedCreatePodContainer",
];
/// A failure this recent counts as ongoing restarts rather than history.
const RECENT_SECONDS: i64 = 3600;
/// A running container not ready for this long is flagged even without probe events.
const NOT_READY_SECONDS: i64 = 300;

/// Checks every container of the pod.
pub(super) fn check(ctx: &PodContext<'_>) -> Vec<Finding> {
    let Some(status) = ctx.pod.status.as_ref() else {
        return Vec::new();
    };
    if status.phase.as_deref() == Some("Succeeded") {
        return Vec::new();
    }
    let init = status
        .init_container_statuses
        .iter()
        .flatten()
        .map(|s| (s, true));
    let regular = status
        .container_statuses
        .iter()
        .flatten()
        .map(|s| (s, false));
    let mut findings: Vec<Finding> = init
        .chain(regular)
        .filter_map(|(s, init)| container(ctx, s, init))
        .collect();
    if let Some(stuck) = stuck_creating(ctx) {
        findings.push(stuck);
    }
    findings
}

fn label(status: &ContainerStatus, init: bool) -> String {
    let kind = if init { "Init container" } else { "Container" };
    format!("{kind} {}", status.name)
}

fn spec<'a>(ctx: &'a PodContext<'_>, name: &str, init: bool) -> Option<&'a Container> {
    let spec = ctx.pod.spec.as_ref()?;
    let list = if init {
        spec.init_containers.as_deref().unwrap_or(&[])
    } else {
        &spec.containers
    };
    list.iter().find(|c| c.name == name)
}

fn container(ctx: &PodContext<'_>, status: &ContainerStatus, init: bool) -> Option<Finding> {
    let state = status.state.as_ref();
    let last = status
        .last_state
        .as_ref()
        .and_then(|s| s.terminated.as_ref());
    let (mut finding, wants_log) = if let Some(waiting) = state.and_then(|s| s.waiting.as_ref()) {
        let reason = waiting.reason.as_deref().unwrap_or("");
        let message = waiting.message.as_deref().unwrap_or("").trim();
        waiting_finding(ctx, status, init, reason, message, last)?
    } else if let Some(terminated) = state.and_then(|s| s.terminated.as_ref()) {
        (
            terminated_finding(ctx, status, init, terminated)?,
            Some(false),
        )
    } else {
        running_finding(ctx, status, init, last)?
    };
    finding
        .evidence
        .containers
        .push(evidence::container(ctx.name(), status, init));
    if let Some(previous) = wants_log {
        finding.logs.push(LogTarget {
            namespace: ctx.object.namespace.clone().unwrap_or_default(),
            pod: ctx.object.name.clone(),
            container: status.name.clone(),
            previous,
        });
    }
    Some(finding)
}

/// A finding, and whether a log helps: `Some(previous)` names which instance's log.
type Found = (Finding, Option<bool>);

fn waiting_finding(
    ctx: &PodContext<'_>,
    status: &ContainerStatus,
    init: bool,
    reason: &str,
    message: &str,
    last: Option<&ContainerStateTerminated>,
) -> Option<Found> {
    let who = label(status, init);
    let detail = if message.is_empty() {
        String::new()
    } else {
        format!(": {message}")
    };
    let found = match reason {
        "CrashLoopBackOff" => match last {
            Some(t) if t.reason.as_deref() == Some("OOMKilled") => (
                oom(ctx, status, init, "is crash looping after being killed"),
                Some(true),
            ),
            _ => {
                let exit = last.map_or_else(String::new, |t| {
                    format!(
                        "; last exit code {}{}",
                        t.exit_code,
                        paren(t.reason.as_deref())
                    )
                });
                let text = format!(
                    "{who} is crash looping ({} restarts{exit})",
                    status.restart_count
                );
                (ctx.finding("pod-crash-looping", reason, text), Some(true))
            }
        },
        r if IMAGE_PULL.contains(&r) => {
            // BackOff and ErrImagePull alternate for the same cause; one fingerprint for both.
            let stable = if r == "ImagePullBackOff" || r == "ErrImagePull" {
                "ImagePull"
            } else {
                r
            };
            let image = spec(ctx, &status.name, init)
                .and_then(|c| c.image.as_deref())
                .unwrap_or(&status.image);
            let text = format!("{who} cannot pull image {image} ({reason}){detail}");
            (ctx.finding("pod-image-pull-failing", stable, text), None)
        }
        "CreateContainerConfigError" => {
            let text = format!(
                "{who} cannot be created: its configuration refers to something missing{detail}"
            );
            (
                ctx.finding("pod-container-config-error", reason, text),
                None,
            )
        }
        r if START_FAILURES.contains(&r) => {
            let text = format!("{who} cannot be started ({reason}){detail}");
            (
                ctx.finding("pod-container-start-failing", reason, text),
                Some(false),
            )
        }
        r if r.is_empty() || STARTING.contains(&r) => return None,
        _ => {
            let text = format!("{who} is waiting ({reason}){detail}");
            (ctx.finding("pod-container-waiting", reason, text), None)
        }
    };
    Some(found)
}

fn terminated_finding(
    ctx: &PodContext<'_>,
    status: &ContainerStatus,
    init: bool,
    terminated: &ContainerStateTerminated,
) -> Option<Finding> {
    if terminated.exit_code == 0 {
        return None;
    }
    if terminated.reason.as_deref() == Some("OOMKilled") {
        return Some(oom(ctx, status, init, "was killed"));
    }
    let reason = terminated.reason.as_deref().unwrap_or("Error");
    let message = terminated
        .message
        .as_deref()
        .map(str::trim)
        .filter(|m| !m.is_empty());
    let text = format!(
        "{} exited with code {}{}{}",
        label(status, init),
        terminated.exit_code,
        paren(Some(reason)),
        message.map_or_else(String::new, |m| format!(": {m}")),
    );
    Some(ctx.finding("pod-container-failed", reason, text))
}

fn running_finding(
    ctx: &PodContext<'_>,
    status: &ContainerStatus,
    init: bool,
    last: Option<&ContainerStateTerminated>,
) -> Option<Found> {
    if let Some(t) = last.filter(|t| t.exit_code != 0) {
        let age = ctx.age_seconds(t.finished_at.as_ref());
        let recent = age.map_or(status.restart_count >= 3, |age| age <= RECENT_SECONDS);
        if recent && t.reason.as_deref() == Some("OOMKilled") {
            let mut finding = oom(ctx, status, init, "was killed and restarted");
            finding.severity = Severity::Warning;
            return Some((finding, Some(true)));
        }
        if recent {
            let when = age.map_or_else(String::new, |a| format!(" {} ago", human_duration(a)));
            let text = format!(
                "{} restarted {} times; it last exited with code {}{}{when}",
                label(status, init),
                status.restart_count,
                t.exit_code,
                paren(t.reason.as_deref()),
            );
            return Some((
                ctx.finding("pod-container-restarting", "Restarting", text),
                Some(true),
            ));
        }
    }
    let running = status.state.as_ref().and_then(|s| s.running.as_ref());
    if init
        || status.ready
        || running.is_none()
        || ctx.pod.status.as_ref()?.phase.as_deref() != Some("Running")
    {
        return None;
    }
    let unhealthy = ctx
        .snapshot
        .events_for(&ctx.object)
        .find(|e| e.reason.as_deref() == Some("Unhealthy"))
        .and_then(|e| e.message.clone());
    let long = ctx
        .age_seconds(running?.started_at.as_ref())
        .is_some_and(|age| age > NOT_READY_SECONDS);
    if unhealthy.is_none() && !long {
        return None;
    }
    let why = unhealthy.map_or_else(
        || "no probe events explain it".to_owned(),
        |m| m.trim().to_owned(),
    );
    let text = format!("{} is running but not ready: {why}", label(status, init));
    Some((ctx.finding("pod-not-ready", "NotReady", text), Some(false)))
}

fn oom(ctx: &PodContext<'_>, status: &ContainerStatus, init: bool, what: &str) -> Finding {
    let limit = spec(ctx, &status.name, init)
        .and_then(|c| c.resources.as_ref()?.limits.as_ref()?.get("memory"))
        .map_or_else(
            || "its memory limit".to_owned(),
            |q| format!("its memory limit of {}", q.0),
        );
    let text = format!(
        "{} {what} for exceeding {limit} (OOMKilled, exit code 137; {} restarts)",
        label(status, init),
        status.restart_count
    );
    ctx.finding("pod-oom-killed", "OOMKilled", text)
}

/// A pod held in ContainerCreating by mount or sandbox failures: one finding for the pod.
fn stuck_creating(ctx: &PodContext<'_>) -> Option<Finding> {
    let status = ctx.pod.status.as_ref()?;
    let all = status
        .init_container_statuses
        .iter()
        .flatten()
        .chain(status.container_statuses.iter().flatten());
    let creating = all
        .filter_map(|s| s.state.as_ref()?.waiting.as_ref()?.reason.as_deref())
        .any(|r| STARTING.contains(&r));
    let blocker = ctx.snapshot.events_for(&ctx.object).find(|e| {
        e.reason
            .as_deref()
            .is_some_and(|r| CREATE_BLOCKERS.contains(&r))
    })?;
    if !creating {
        return None;
    }
    let reason = blocker.reason.as_deref().unwrap_or("FailedMount");
    let message = blocker.message.as_deref().unwrap_or("").trim();
    let text = format!(
        "Pod {} is stuck creating its containers ({reason}): {message}",
        ctx.name()
    );
    Some(ctx.finding("pod-stuck-creating", reason, text))
}

fn paren(reason: Option<&str>) -> String {
    reason.map_or_else(String::new, |r| format!(" ({r})"))
}
