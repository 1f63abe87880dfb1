//! Pod-level states: unschedulable, gated, evicted, failed, stuck terminating.

use kubewhy_model::Finding;

use super::PodContext;
use crate::evidence;

/// Pods stuck terminating this long past their grace period are flagged.
const TERMINATING_SLACK_SECONDS: i64 = 300;

/// Checks the pod as a whole. `Some` means the pod's state explains everything and its
/// containers need no further look.
pub(super) fn check(ctx: &PodContext<'_>) -> Option<Vec<Finding>> {
    let status = ctx.pod.status.as_ref()?;
    let phase = status.phase.as_deref().unwrap_or("");
    if let Some(deleted) = &ctx.pod.metadata.deletion_timestamp {
        let grace = ctx.pod.metadata.deletion_grace_period_seconds.unwrap_or(30);
        let overdue = ctx
            .age_seconds(Some(deleted))
            .is_some_and(|age| age > grace + TERMINATING_SLACK_SECONDS);
        let found = overdue.then(|| {
            let message = format!(
                "Pod {} has been terminating for {} past its deletion time; a finalizer or an unreachable node holds it",
                ctx.name(),
                human_duration(ctx.age_seconds(Some(deleted)).unwrap_or_default()),
            );
            ctx.finding("pod-stuck-terminating", "Terminating", message)
        });
        return Some(found.into_iter().collect());
    }
    let reason = status.reason.as_deref().unwrap_or("");
    let message = status.message.as_deref().unwrap_or("").trim();
    if phase == "Failed" && reason == "Evicted" {
        let text = format!("Pod {} was evicted: {}", ctx.name(), or_unknown(message));
        return Some(vec![ctx.finding("pod-evicted", "Evicted", text)]);
    }
    if phase == "Failed" && !reason.is_empty() {
        let text = format!(
            "Pod {} failed ({reason}): {}",
            ctx.name(),
            or_unknown(message)
        );
        return Some(vec![ctx.finding("pod-failed", reason, text)]);
    }
    if phase == "Pending" {
        let scheduled = status
            .conditions
            .iter()
            .flatten()
            .find(|c| c.type_ == "PodScheduled" && c.status == "False");
        if let Some(cond) = scheduled {
            let (check, text) = if cond.reason.as_deref() == Some("SchedulingGated") {
                let spec = ctx.pod.spec.iter();
                let gates: Vec<&str> = spec
                    .flat_map(|s| s.scheduling_gates.iter().flatten())
                    .map(|g| g.name.as_str())
                    .collect();
                let text = format!(
                    "Pod {} waits for scheduling gates to be removed: {}",
                    ctx.name(),
                    gates.join(", ")
                );
                ("pod-scheduling-gated", text)
            } else {
                let why = cond.message.as_deref().map_or("no reason given", str::trim);
                (
                    "pod-unschedulable",
                    format!("Pod {} cannot be scheduled: {why}", ctx.name()),
                )
            };
            let reason = cond.reason.as_deref().unwrap_or("Unschedulable");
            let mut finding = ctx.finding(check, reason, text);
            finding.evidence.conditions.push(evidence::condition(
                &ctx.object,
                &cond.type_,
                &cond.status,
                cond.reason.as_ref(),
                cond.message.as_ref(),
            ));
            return Some(vec![finding]);
        }
    }
    None
}

fn or_unknown(message: &str) -> &str {
    if message.is_empty() {
        "no message given"
    } else {
        message
    }
}

pub(crate) use crate::findings::human_duration;
