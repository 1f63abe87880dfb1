//! Log evidence: the tail of the containers that crashed, fetched only for issues that want it,
//! within a line and byte budget, with the first error-like line marked.

use futures::{StreamExt, stream};
use kubewhy_model::{Fingerprint, FocusContext, LogEvidence, LogTarget, Warning, WarningKind};
use kubewhy_source::{Snapshot, Source, live::LogError};

use crate::group::Grouped;

/// At most this many containers' logs per issue.
const MAX_LOGS_PER_ISSUE: usize = 2;
/// At most this many lines per log.
const MAX_LINES: usize = 20;
/// At most this many bytes per log tail.
const MAX_BYTES: usize = 4096;
/// Words that mark a line as the likely cause, compared case-insensitively.
const ERROR_WORDS: &[&str] = &[
    "error",
    "exception",
    "traceback",
    "panic",
    "fatal",
    "failed",
    "killed",
    "refused",
    "denied",
];

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
            Ok(Some(log)) => {
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

/// One container's tail. Dumps carry only the current log; for a crashed container it holds
/// the last run, so it stands in when the previous instance's is missing.
async fn fetch(
    source: &Source,
    snapshot: &Snapshot,
    mut target: LogTarget,
) -> Result<Option<LogEvidence>, LogError> {
    let mut text = source.logs(snapshot, &target).await?;
    if text.is_none() && target.previous {
        target.previous = false;
        text = source.logs(snapshot, &target).await?;
    }
    Ok(text
        .filter(|t| !t.trim().is_empty())
        .map(|t| tail(&target, &t)))
}

/// The last lines of `text` within the budget.
pub(crate) fn tail(target: &LogTarget, text: &str) -> LogEvidence {
    let all: Vec<&str> = text.lines().collect();
    let mut lines: Vec<String> = Vec::new();
    let mut bytes = 0;
    for line in all.iter().rev().filter(|l| !l.trim().is_empty()) {
        if lines.len() == MAX_LINES || bytes + line.len() > MAX_BYTES {
            break;
        }
        bytes += line.len();
        lines.push((*line).to_owned());
    }
    lines.reverse();
    let kept = lines.len();
    let truncated = all.iter().filter(|l| !l.trim().is_empty()).count() > kept;
    let first_error = lines.iter().position(|line| {
        let lower = line.to_ascii_lowercase();
        ERROR_WORDS.iter().any(|w| lower.contains(w))
    });
    LogEvidence {
        pod: target.pod.clone(),
        container: target.container.clone(),
        previous: target.previous,
        lines,
        first_error,
        truncated,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_keeps_the_last_lines_and_marks_the_first_error() {
        let target = LogTarget {
            namespace: "a".into(),
            pod: "p".into(),
            container: "c".into(),
            previous: true,
        };
        let mut text = (0..30).fold(String::new(), |text, i| {
            text + "line " + &i.to_string() + "\n"
        });
        text.push_str("Traceback: boom\nexit\n");
        let log = tail(&target, &text);
        assert_eq!(log.lines.len(), MAX_LINES);
        assert_eq!(log.lines.last().map(String::as_str), Some("exit"));
        assert_eq!(log.first_error, Some(MAX_LINES - 2));
        assert!(log.truncated);
    }
}
