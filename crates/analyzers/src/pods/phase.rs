//! Pod-level states: unschedulable (with what does not fit), gated, evicted, failed, stuck
//! terminating, and Pending without any scheduling decision.

use kubewhy_model::Finding;
use kubewhy_source::k8s::core::v1::PodCondition;

use super::PodContext;
use crate::{evidence, findings::Build, ids, k8s::unsatisfied};

/// Pods stuck terminating this long past their grace period are flagged.
const TERMINATING_SLACK_SECONDS: i64 = 300;

/// A pod Pending this long with no scheduling decision at all is flagged: the scheduler decides
/// within seconds, and writes `PodScheduled=False` when it cannot place the pod.
const UNDECIDED_SECONDS: i64 = 600;

/// Checks the pod as a whole. `Some` means the pod's state explains everything and its
/// containers need no further look.
pub(super) fn check(ctx: &PodContext<'_>) -> Option<Vec<Finding>> {
    let status = ctx.pod.status.as_ref()?;
    let phase = status.phase.as_deref().unwrap_or("");
    if let Some(deleted) = &ctx.pod.metadata.deletion_timestamp {
        let grace = ctx.pod.metadata.deletion_grace_period_seconds.unwrap_or(30);
        let found = ctx
            .since(Some(deleted))
            .filter(|age| age.seconds() > grace + TERMINATING_SLACK_SECONDS)
            .map(|age| {
                let message = format!(
                    "Pod {} has been terminating past its deletion time {}; a finalizer or an unreachable node holds it",
                    ctx.name(),
                    age.lasting(),
                );
                ctx.finding(ids::POD_STUCK_TERMINATING, "Terminating", message)
            });
        return Some(found.into_iter().collect());
    }
    let reason = status.reason.as_deref().unwrap_or("");
    let message = status.message.as_deref().unwrap_or("").trim();
    if phase == "Failed" && reason == "Evicted" {
        let text = format!("Pod {} was evicted: {}", ctx.name(), or_unknown(message));
        return Some(vec![ctx.finding(ids::POD_EVICTED, "Evicted", text)]);
    }
    if phase == "Failed" && !reason.is_empty() {
        let text = format!(
            "Pod {} failed ({reason}): {}",
            ctx.name(),
            or_unknown(message)
        );
        return Some(vec![ctx.finding(ids::POD_FAILED, reason, text)]);
    }
    if phase != "Pending" {
        return None;
    }
    let scheduled = status
        .conditions
        .iter()
        .flatten()
        .find(|c| c.type_ == "PodScheduled" && c.status == "False");
    match scheduled {
        Some(cond) => Some(vec![not_scheduled(ctx, cond)]),
        None => undecided(ctx).map(|f| vec![f]),
    }
}

/// A pod the scheduler turned down, or that scheduling gates hold back.
fn not_scheduled(ctx: &PodContext<'_>, cond: &PodCondition) -> Finding {
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
        (ids::POD_SCHEDULING_GATED, text)
    } else {
        let why = cond.message.as_deref().map_or("no reason given", str::trim);
        let mut misfits = unbound_claims(ctx);
        if let Some(spec) = ctx.pod.spec.as_ref() {
            let nodes: Vec<_> = ctx.snapshot.nodes.iter().collect();
            misfits.extend(unsatisfied(spec, &nodes, why));
        }
        let text = if misfits.is_empty() {
            format!("Pod {} cannot be scheduled: {why}", ctx.name())
        } else {
            format!(
                "Pod {} cannot be scheduled: {}; what does not fit: {}",
                ctx.name(),
                why.trim_end_matches('.'),
                misfits.join("; ")
            )
        };
        (ids::POD_UNSCHEDULABLE, text)
    };
    let reason = cond.reason.as_deref().unwrap_or("Unschedulable");
    ctx.finding(check, reason, text)
        .condition(evidence::condition(
            &ctx.object,
            &cond.type_,
            &cond.status,
            cond.reason.as_ref(),
            cond.message.as_ref(),
        ))
}

/// The pod's claims that are not bound, which the scheduler waits for before it places the pod
/// (`pod has unbound immediate PersistentVolumeClaims`).
fn unbound_claims(ctx: &PodContext<'_>) -> Vec<String> {
    let namespace = ctx.object.namespace.as_deref();
    let volumes = ctx.pod.spec.iter().flat_map(|s| s.volumes.iter().flatten());
    volumes
        .filter_map(|v| v.persistent_volume_claim.as_ref())
        .filter_map(|claim| {
            let name = claim.claim_name.as_str();
            match ctx.snapshot.persistent_volume_claims.get(namespace, name) {
                Some(pvc) => {
                    let phase = pvc.status.as_ref().and_then(|s| s.phase.as_deref());
                    (phase != Some("Bound")).then(|| {
                        let phase = phase.unwrap_or("Pending");
                        format!("PersistentVolumeClaim {name} is {phase}, not bound")
                    })
                }
                None if ctx.snapshot.listed("PersistentVolumeClaim", namespace) => {
                    Some(format!("PersistentVolumeClaim {name} does not exist"))
                }
                None => None,
            }
        })
        .collect()
}

/// A Pending pod with no node, no container status and no scheduling decision long after it
/// was created: no scheduler has looked at it (its `schedulerName` does not run, or the
/// scheduler is down). A pod whose containers report a status has been placed, whatever its
/// (possibly trimmed) spec says.
fn undecided(ctx: &PodContext<'_>) -> Option<Finding> {
    let spec = ctx.pod.spec.as_ref()?;
    let placed = spec.node_name.as_deref().is_some_and(|n| !n.is_empty())
        || crate::k8s::container_statuses(ctx.pod).next().is_some();
    if placed {
        return None;
    }
    let age = ctx
        .since(ctx.pod.metadata.creation_timestamp.as_ref())
        .filter(|age| age.seconds() > UNDECIDED_SECONDS)?;
    let scheduler = spec
        .scheduler_name
        .as_deref()
        .unwrap_or("default-scheduler");
    let message = format!(
        "Pod {} has been Pending {} without a scheduling decision: scheduler {scheduler} has not placed it or said why",
        ctx.name(),
        age.lasting()
    );
    Some(ctx.finding(ids::POD_UNSCHEDULABLE, "NotScheduled", message))
}

fn or_unknown(message: &str) -> &str {
    if message.is_empty() {
        "no message given"
    } else {
        message
    }
}
