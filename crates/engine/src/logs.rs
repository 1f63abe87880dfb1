//! Log evidence: the tail of the containers that crashed, fetched only for issues that want it,
//! within a line and byte budget, with the first error-like line marked.

use kubewhy_model::{LogEvidence, LogTarget, Warning, WarningKind};
use kubewhy_source::{Snapshot, Source};

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

/// Fetches and attaches logs; returns warnings for the ones that could not be fetched.
pub(crate) async fn attach(
    source: &Source,
    snapshot: &Snapshot,
    grouped: &mut [Grouped],
) -> Vec<Warning> {
    let mut warnings = Vec::new();
    for group in grouped.iter_mut() {
        for wanted in group.logs.iter().take(MAX_LOGS_PER_ISSUE) {
            let mut target = wanted.clone();
            let mut fetched = source.logs(snapshot, &target).await;
            // Dumps carry only the current log; for a crashed container it holds the last run.
            if matches!(fetched, Ok(None)) && target.previous {
                target.previous = false;
                fetched = source.logs(snapshot, &target).await;
            }
            match fetched {
                Ok(Some(text)) if !text.trim().is_empty() => {
                    group.issue.evidence.logs.push(tail(&target, &text));
                }
                Ok(_) => {}
                Err(e) => warnings.push(Warning::new(
                    WarningKind::Logs,
                    format!(
                        "logs of {}/{} container {}: {e}",
                        target.namespace, target.pod, target.container
                    ),
                )),
            }
        }
    }
    warnings
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
