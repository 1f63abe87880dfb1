//! Log evidence: the tails of the containers that crashed, fetched only for issues that want
//! them, and cut to the lines around the decisive one ([`tail`]).

use futures::{StreamExt, stream};
use kubewhy_model::{Fingerprint, FocusContext, LogEvidence, LogTarget, Warning, WarningKind};
use kubewhy_source::{Snapshot, Source, live::LogError};

use kubewhy_scrub::Redactor;

use crate::{group::Grouped, redact};

mod tail;

pub(crate) use tail::tail;

/// At most this many containers' logs per issue.
const MAX_LOGS_PER_ISSUE: usize = 2;
/// Log tails fetched at once: enough to hide latency, few enough to spare the API server.
const CONCURRENT_LOGS: usize = 4;

/// Where a fetched tail goes: an issue (by index), or the focused object's context.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Owner {
    Issue(usize),
    Focus,
}

/// Fetches log tails concurrently, attaches them in a fixed order (so output stays
/// deterministic), calls `on_tail` as each arrives, and returns warnings for the ones that
/// could not be fetched.
pub(crate) async fn attach(
    source: &Source,
    snapshot: &Snapshot,
    grouped: &mut [Grouped],
    mut focus: Option<&mut FocusContext>,
    redactor: &Redactor,
    mut on_tail: impl FnMut(Fingerprint, LogEvidence),
) -> Vec<Warning> {
    let mut wanted: Vec<(Owner, usize, LogTarget)> = Vec::new();
    for (i, group) in grouped.iter().enumerate() {
        for (j, target) in group.logs.iter().take(MAX_LOGS_PER_ISSUE).enumerate() {
            wanted.push((Owner::Issue(i), j, target.clone()));
        }
    }
    if let Some(focus) = focus.as_deref() {
        for (j, target) in focus.log_targets.iter().enumerate() {
            wanted.push((Owner::Focus, j, target.clone()));
        }
    }
    let mut fetches = stream::iter(wanted)
        .map(|(owner, j, target)| async move { (owner, j, fetch(source, snapshot, target).await) })
        .buffer_unordered(CONCURRENT_LOGS);
    let mut tails = Vec::new();
    let mut warnings = Vec::new();
    while let Some((owner, j, result)) = fetches.next().await {
        match result {
            Ok(Some((mut log, cut))) => {
                warnings.extend(cut.map(|cut| Warning::new(WarningKind::Logs, cut)));
                redact::log(redactor, &mut log);
                if let Owner::Issue(i) = owner {
                    on_tail(grouped[i].issue.fingerprint, log.clone());
                }
                tails.push((owner, j, log));
            }
            Ok(None) => {}
            Err(e) => warnings.push(Warning::new(WarningKind::Logs, e.to_string())),
        }
    }
    tails.sort_by_key(|(owner, j, _)| (*owner, *j));
    for (owner, _, log) in tails {
        match owner {
            Owner::Issue(i) => grouped[i].issue.evidence.logs.push(log),
            Owner::Focus => {
                if let Some(focus) = focus.as_deref_mut() {
                    focus.logs.push(log);
                }
            }
        }
    }
    warnings.sort();
    warnings
}

/// One container's tail, and what to tell the user when the server sent more than asked for.
/// Dumps carry only the current log; for a crashed container it holds the last run, so it
/// stands in when the previous instance's is missing.
async fn fetch(
    source: &Source,
    snapshot: &Snapshot,
    mut target: LogTarget,
) -> Result<Option<(LogEvidence, Option<String>)>, LogError> {
    let mut log = source.logs(snapshot, &target).await?;
    if log.is_none() && target.previous {
        target.previous = false;
        log = source.logs(snapshot, &target).await?;
    }
    Ok(log
        .filter(|log| !log.text.trim().is_empty())
        .map(|log| (tail(&target, &log.text), log.cut)))
}
