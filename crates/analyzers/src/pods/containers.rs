//! Container states: every waiting reason, terminations (OOMKilled and exit codes), restarts
//! and readiness, for init containers and regular containers alike. Crash and restart
//! findings quote the last termination: its exit code, what the code means, and the message
//! the container left.

use kubewhy_model::{Finding, LogTarget, Severity};
use kubewhy_source::k8s::core::v1::{Container, ContainerStateTerminated, ContainerStatus};

use super::{
    PodContext, creating,
    termination::{describe_exit, restarts_always},
};
use crate::{
    evidence,
    findings::Build,
    ids,
    k8s::{container_label, container_spec, recent},
};

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
    let mut findings: Vec<Finding> = crate::k8s::container_statuses(ctx.pod)
        .filter_map(|(s, init)| container(ctx, s, init))
        .collect();
    findings.extend(creating::check(ctx));
    findings
}

fn spec<'a>(ctx: &'a PodContext<'_>, name: &str, init: bool) -> Option<&'a Container> {
    container_spec(ctx.pod.spec.as_ref()?, name, init)
}

/// Whether the container is started again whatever its exit code.
fn always(ctx: &PodContext<'_>, status: &ContainerStatus, init: bool) -> bool {
    restarts_always(ctx.pod.spec.as_ref(), &status.name, init)
}

fn container(ctx: &PodContext<'_>, status: &ContainerStatus, init: bool) -> Option<Finding> {
    let state = status.state.as_ref();
    let last = status
        .last_state
        .as_ref()
        .and_then(|s| s.terminated.as_ref());
    let (finding, wants_log) = if let Some(waiting) = state.and_then(|s| s.waiting.as_ref()) {
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
    let mut finding = finding.container_state(evidence::container(ctx.name(), status, init));
    if let Some(previous) = wants_log {
        finding = finding.log(LogTarget {
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
    let who = container_label(&status.name, init);
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
            _ => (crash_loop(ctx, status, init, last), Some(true)),
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
            (ctx.finding(ids::POD_IMAGE_PULL_FAILING, stable, text), None)
        }
        "CreateContainerConfigError" => {
            let text = format!(
                "{who} cannot be created: its configuration refers to something missing{detail}"
            );
            (
                ctx.finding(ids::POD_CONTAINER_CONFIG_ERROR, reason, text),
                None,
            )
        }
        r if START_FAILURES.contains(&r) => {
            let text = format!("{who} cannot be started ({reason}){detail}");
            (
                ctx.finding(ids::POD_CONTAINER_START_FAILING, reason, text),
                Some(false),
            )
        }
        r if r.is_empty() || creating::STARTING.contains(&r) => return None,
        _ => {
            let text = format!("{who} is waiting ({reason}){detail}");
            (ctx.finding(ids::POD_CONTAINER_WAITING, reason, text), None)
        }
    };
    Some(found)
}

/// A container in CrashLoopBackOff, with how its last instance ended.
fn crash_loop(
    ctx: &PodContext<'_>,
    status: &ContainerStatus,
    init: bool,
    last: Option<&ContainerStateTerminated>,
) -> Finding {
    let who = container_label(&status.name, init);
    let restarts = status.restart_count;
    let text = match last {
        Some(t) if t.exit_code == 0 && always(ctx, status, init) => format!(
            "{who} keeps exiting and being restarted ({restarts} restarts, in CrashLoopBackOff); its last instance ended with {}",
            describe_exit(t, true)
        ),
        Some(t) => format!(
            "{who} is crash looping ({restarts} restarts); its last instance ended with {}",
            describe_exit(t, always(ctx, status, init))
        ),
        None => format!("{who} is crash looping ({restarts} restarts)"),
    };
    ctx.finding(ids::POD_CRASH_LOOPING, "CrashLoopBackOff", text)
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
    let text = format!(
        "{} ended with {}",
        container_label(&status.name, init),
        describe_exit(terminated, always(ctx, status, init)),
    );
    Some(ctx.finding(ids::POD_CONTAINER_FAILED, reason, text))
}

fn running_finding(
    ctx: &PodContext<'_>,
    status: &ContainerStatus,
    init: bool,
    last: Option<&ContainerStateTerminated>,
) -> Option<Found> {
    if let Some(t) = last.filter(|t| t.exit_code != 0) {
        let ended = ctx.since(t.finished_at.as_ref());
        // A restart counts unless the clock proves it older than the window; with no clock,
        // or one read from this pod itself, several restarts are what counts.
        let recent = match (ended, t.finished_at.as_ref()) {
            (Some(_), Some(at)) => recent(ctx.snapshot, at.0, RECENT_SECONDS) != Some(false),
            _ => status.restart_count >= 3,
        };
        if recent && t.reason.as_deref() == Some("OOMKilled") {
            let finding =
                oom(ctx, status, init, "was killed and restarted").severity(Severity::Warning);
            return Some((finding, Some(true)));
        }
        if recent {
            let when = ended.map_or_else(String::new, |a| format!(" {}", a.ago()));
            let text = format!(
                "{} restarted {} times; its last instance ended{when} with {}",
                container_label(&status.name, init),
                status.restart_count,
                describe_exit(t, always(ctx, status, init)),
            );
            return Some((
                ctx.finding(ids::POD_CONTAINER_RESTARTING, "Restarting", text),
                Some(true),
            ));
        }
    }
    not_ready(ctx, status, init)
}

/// A running container that has not become ready.
fn not_ready(ctx: &PodContext<'_>, status: &ContainerStatus, init: bool) -> Option<Found> {
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
        .since(running?.started_at.as_ref())
        .is_some_and(|age| age.seconds() > NOT_READY_SECONDS);
    if unhealthy.is_none() && !long {
        return None;
    }
    let why = unhealthy.map_or_else(
        || "no probe events explain it".to_owned(),
        |m| m.trim().to_owned(),
    );
    let text = format!(
        "{} is running but not ready: {why}",
        container_label(&status.name, init)
    );
    Some((
        ctx.finding(ids::POD_NOT_READY, "NotReady", text),
        Some(false),
    ))
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
        container_label(&status.name, init),
        status.restart_count
    );
    ctx.finding(ids::POD_OOM_KILLED, "OOMKilled", text)
}
