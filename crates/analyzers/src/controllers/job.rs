//! Jobs that failed or are suspended, and CronJobs whose schedule is invalid, that do not
//! start their Jobs, are suspended or carry a negative starting deadline.

use kubewhy_model::{Finding, LogTarget, ObjectRef};
use kubewhy_source::{
    Snapshot,
    k8s::{
        batch::v1::{CronJob, Job},
        core::v1::Pod,
    },
    object_ref,
};

use super::cron;
use crate::{
    Context,
    findings::{Build, finding},
    ids,
    k8s::{conds, recent},
};

/// At most this many failed pods are named as related objects.
const MAX_RELATED: usize = 5;

/// Warning events of the CronJob controller that mean a run was not started.
const NOT_SCHEDULING_REASONS: &[&str] = &[
    "UnparseableSchedule",
    "InvalidSchedule",
    "FailedNeedsStart",
    "MissSchedule",
    "TooManyMissedTimes",
    "FailedCreate",
];

/// The label that hands a Job to a Kueue queue.
const KUEUE_QUEUE_LABEL: &str = "kueue.x-k8s.io/queue-name";

/// How far back a warning event about a missed run still says something about the present.
const RECENT_SECONDS: i64 = 3600;

pub(super) fn check(cx: &Context<'_>) -> Vec<Finding> {
    let snapshot: &Snapshot = cx;
    let mut findings = Vec::new();
    for job in &snapshot.jobs {
        findings.extend(check_job(snapshot, job));
    }
    for cron_job in &snapshot.cron_jobs {
        findings.extend(check_cron_job(snapshot, cron_job));
    }
    findings
}

fn check_job(snapshot: &Snapshot, job: &Job) -> Option<Finding> {
    let object = object_ref(job);
    let status = job.status.as_ref();
    let failed = conds!(status.and_then(|s| s.conditions.as_ref()))
        .find(|c| c.type_ == "Failed" && c.status == "True");
    if let Some(cond) = failed {
        if superseded(snapshot, job, cond.since) {
            return None;
        }
        let failed_count = match status.and_then(|s| s.failed).unwrap_or(0) {
            1 => "1 failed pod".to_owned(),
            n => format!("{n} failed pods"),
        };
        let message = format!(
            "Job {} failed with {failed_count} ({})",
            object.name,
            cond.explain()
        );
        let reason = cond.reason.unwrap_or("Failed");
        let mut found = finding(ids::JOB_FAILED, &object, reason, message).events(snapshot);
        found.evidence.conditions.push(cond.evidence(&object));
        let pods = failed_pods(snapshot, job);
        found.logs.extend(pods.last().and_then(|p| log_target(p)));
        found.related = pods
            .iter()
            .rev()
            .take(MAX_RELATED)
            .map(|p| object_ref(*p))
            .collect();
        return Some(found);
    }
    // Kueue creates its Jobs suspended and resumes them when the queue admits them.
    let queued = job
        .metadata
        .labels
        .as_ref()
        .is_some_and(|l| l.contains_key(KUEUE_QUEUE_LABEL));
    (job.spec.as_ref().and_then(|s| s.suspend) == Some(true) && !queued).then(|| {
        let message = format!("Job {} is suspended and runs no pods", object.name);
        finding(ids::JOB_SUSPENDED, &object, "Suspended", message).events(snapshot)
    })
}

/// A failed Job of a CronJob whose later run succeeded is history, not a problem.
fn superseded(
    snapshot: &Snapshot,
    job: &Job,
    failed_at: Option<&kubewhy_source::meta::Time>,
) -> bool {
    let owner = job
        .metadata
        .owner_references
        .iter()
        .flatten()
        .find(|o| o.kind == "CronJob" && o.controller == Some(true));
    let cron_job = owner.and_then(|o| {
        snapshot
            .cron_jobs
            .get(job.metadata.namespace.as_deref(), &o.name)
    });
    let succeeded = cron_job.and_then(|c| c.status.as_ref()?.last_successful_time.as_ref());
    matches!((succeeded, failed_at), (Some(ok), Some(failed)) if ok.0 > failed.0)
}

/// The Job's failed pods, oldest first.
fn failed_pods<'a>(snapshot: &'a Snapshot, job: &Job) -> Vec<&'a Pod> {
    let uid = job.metadata.uid.as_deref().unwrap_or_default();
    let mut pods: Vec<&Pod> = snapshot
        .pods
        .owned_by(uid)
        .filter(|p| p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Failed"))
        .collect();
    pods.sort_by(|a, b| {
        let created = |p: &Pod| p.metadata.creation_timestamp.as_ref().map(|t| t.0);
        created(a)
            .cmp(&created(b))
            .then_with(|| a.metadata.name.cmp(&b.metadata.name))
    });
    pods
}

/// The log of the container that failed in `pod`.
fn log_target(pod: &Pod) -> Option<LogTarget> {
    let status = pod.status.as_ref()?;
    let container = status.container_statuses.iter().flatten().find(|c| {
        c.state
            .as_ref()
            .and_then(|s| s.terminated.as_ref())
            .is_some_and(|t| t.exit_code != 0)
    })?;
    Some(LogTarget {
        namespace: pod.metadata.namespace.clone().unwrap_or_default(),
        pod: pod.metadata.name.clone().unwrap_or_default(),
        container: container.name.clone(),
        previous: false,
    })
}

fn check_cron_job(snapshot: &Snapshot, cron_job: &CronJob) -> Vec<Finding> {
    let object = object_ref(cron_job);
    let spec = &cron_job.spec;
    let mut findings = Vec::new();
    let suspended = spec.suspend == Some(true);
    if let Err(problem) = cron::validate(&spec.schedule) {
        let message = format!(
            "CronJob {} has an invalid schedule \"{}\": {problem}",
            object.name, spec.schedule
        );
        let reason = if cron::has_time_zone_prefix(&spec.schedule) {
            "TimeZoneInSchedule"
        } else {
            "InvalidSchedule"
        };
        findings.push(
            finding(ids::CRONJOB_INVALID_SCHEDULE, &object, reason, message).events(snapshot),
        );
    } else if !suspended {
        findings.extend(not_scheduling(snapshot, cron_job, &object));
    }
    if suspended {
        let message = format!("CronJob {} is suspended and starts no Jobs", object.name);
        findings
            .push(finding(ids::CRONJOB_SUSPENDED, &object, "Suspended", message).events(snapshot));
    }
    if let Some(deadline) = spec.starting_deadline_seconds.filter(|d| *d < 0) {
        let message = format!(
            "CronJob {} has a negative startingDeadlineSeconds ({deadline}), so no run can ever start in time",
            object.name
        );
        findings.push(
            finding(
                ids::CRONJOB_STARTING_DEADLINE_NEGATIVE,
                &object,
                "NegativeStartingDeadline",
                message,
            )
            .events(snapshot),
        );
    }
    findings
}

/// A recent warning event that a run was not started. Events are kept for an hour by default
/// but dumps and long-lived clusters hold older ones: a run that failed to start before the
/// last successful run, or more than an hour ago, is history. Against an inferred clock "an
/// hour ago" cannot be told, so only the last successful run decides.
fn not_scheduling(snapshot: &Snapshot, cron_job: &CronJob, object: &ObjectRef) -> Option<Finding> {
    let succeeded = cron_job
        .status
        .as_ref()
        .and_then(|s| s.last_successful_time.as_ref())
        .map(|t| t.0);
    // Without a clock, what is recent cannot be told at all.
    snapshot.observed_at()?;
    let event = snapshot.events_for(object).find(|e| {
        let seen = kubewhy_source::event_last_seen(e);
        e.type_.as_deref() == Some("Warning")
            && e.reason
                .as_deref()
                .is_some_and(|r| NOT_SCHEDULING_REASONS.contains(&r))
            && seen.is_some_and(|t| {
                recent(snapshot, t, RECENT_SECONDS) != Some(false)
                    && succeeded.is_none_or(|ok| t > ok)
            })
    })?;
    let reason = event.reason.as_deref().unwrap_or_default();
    let message = format!(
        "CronJob {} is not starting its Jobs ({reason}: {})",
        object.name,
        event
            .message
            .as_deref()
            .map_or("no message given", str::trim)
    );
    Some(finding(ids::CRONJOB_NOT_SCHEDULING, object, reason, message).events(snapshot))
}
