//! CronJob templates as written: the restart policy their Jobs' pods need, and the starting
//! deadline that keeps a late run from starting at an arbitrary time.

use kubewhy_model::Finding;
use kubewhy_source::{Snapshot, k8s::batch::v1::CronJob, object_ref};

use crate::{Context, findings::finding, ids, k8s::describe};

pub(super) fn check(cx: &Context<'_>) -> Vec<Finding> {
    let snapshot: &Snapshot = cx;
    let deadline = cx.enabled(ids::CRONJOB_STARTING_DEADLINE_UNSET);
    let mut findings = Vec::new();
    for cron in &snapshot.cron_jobs {
        findings.extend(restart_policy(cron));
        if deadline {
            findings.extend(starting_deadline(cron));
        }
    }
    findings
}

/// A Job's pods must restart `OnFailure` or `Never`. Left out, the pod template defaults to
/// `Always`, which the API server rejects for Jobs.
fn restart_policy(cron: &CronJob) -> Option<Finding> {
    let job = cron.spec.job_template.spec.as_ref()?;
    let spec = job.template.spec.as_ref()?;
    let object = object_ref(cron);
    let (reason, detail) = match spec.restart_policy.as_deref() {
        Some("OnFailure" | "Never") => return None,
        None => (
            "RestartPolicyUnset",
            "sets no restartPolicy, so it defaults to Always".to_owned(),
        ),
        Some(other) => (
            "RestartPolicyInvalid",
            format!("sets restartPolicy {other}"),
        ),
    };
    let message = format!(
        "The pod template of {} {detail}; a Job's pods must use OnFailure or Never, so the API server rejects it.",
        describe(&object)
    );
    Some(finding(
        ids::CRONJOB_RESTART_POLICY_INVALID,
        &object,
        reason,
        message,
    ))
}

fn starting_deadline(cron: &CronJob) -> Option<Finding> {
    if cron.spec.starting_deadline_seconds.is_some() {
        return None;
    }
    let object = object_ref(cron);
    let message = format!(
        "{} sets no startingDeadlineSeconds, so a run missed while the controller was down or busy starts whenever it catches up.",
        describe(&object)
    );
    Some(finding(
        ids::CRONJOB_STARTING_DEADLINE_UNSET,
        &object,
        "StartingDeadlineUnset",
        message,
    ))
}
