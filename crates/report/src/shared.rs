//! What the renderers share: which objects and log lines an issue shows when it has more than
//! fit, and how an object is named on its own.

use kubewhy_model::{LogEvidence, ObjectRef};

/// Up to `max` items rendered by `show`, then `and N more` when some were left out.
pub(crate) fn first_and_more<'a>(
    objects: &'a [ObjectRef],
    max: usize,
    show: impl Fn(&'a ObjectRef) -> String,
) -> Vec<String> {
    let mut shown: Vec<String> = objects.iter().take(max).map(show).collect();
    if objects.len() > max {
        shown.push(format!("and {} more", objects.len() - max));
    }
    shown
}

/// The last `max` lines of a log tail with their index, moved back so that the first error line
/// stays visible even when it is older than the window.
pub(crate) fn log_window(log: &LogEvidence, max: usize) -> impl Iterator<Item = (usize, &str)> {
    let skip = log.lines.len().saturating_sub(max);
    let start = log.first_error.map_or(skip, |i| i.min(skip));
    log.lines
        .iter()
        .enumerate()
        .skip(start)
        .take(max)
        .map(|(i, line)| (i, line.as_str()))
}

/// `namespace/Kind/name`, or `Kind/name` for cluster-scoped objects: one string that names an
/// object wherever it is read.
pub(crate) fn qualified(o: &ObjectRef) -> String {
    match &o.namespace {
        Some(ns) => format!("{ns}/{}/{}", o.kind, o.name),
        None => format!("{}/{}", o.kind, o.name),
    }
}

/// An issue's causal chain in one line: `Service/orders-db (has no ready endpoints) →
/// StorageClass/fast-ssd (does not exist; likely root cause)`.
pub(crate) fn chain_line(issue: &kubewhy_model::Issue) -> Option<String> {
    if issue.chain.is_empty() {
        return None;
    }
    let links: Vec<String> = issue
        .chain
        .iter()
        .map(|link| {
            let root = if link.root_cause {
                "; likely root cause"
            } else {
                ""
            };
            format!(
                "{}/{} ({}{root})",
                link.object.kind, link.object.name, link.problem
            )
        })
        .collect();
    Some(links.join(" → "))
}

/// What an explanation's heading says about how it was made: backend, model, cache, fallback
/// and why, confidence, and the call's tokens, latency and cost when there was a call.
pub(crate) fn explanation_how(explanation: &kubewhy_model::Explanation) -> Vec<String> {
    let mut how = vec![explanation.backend.clone()];
    if !explanation.model.is_empty() {
        how.push(explanation.model.clone());
    }
    if explanation.cached {
        how.push("cached".to_owned());
    }
    if explanation.fallback {
        how.push(match &explanation.fallback_reason {
            Some(reason) => format!("offline fallback: {reason}"),
            None => "offline fallback".to_owned(),
        });
    }
    if let Some(confidence) = explanation.structured.as_ref().and_then(|s| s.confidence) {
        how.push(format!("confidence {}", confidence.as_str()));
    }
    if explanation.tokens_in + explanation.tokens_out > 0 {
        how.push(format!(
            "{} tokens in, {} out",
            explanation.tokens_in, explanation.tokens_out
        ));
    }
    if let Some(ms) = explanation.latency_ms {
        how.push(format!("{ms} ms"));
    }
    if let Some(cost) = explanation.cost {
        how.push(format!("cost {:.4}", cost.amount()));
    }
    how
}

/// The warning about objects an explanation's commands name that the run never saw.
pub(crate) fn ungrounded_warning(explanation: &kubewhy_model::Explanation) -> Option<String> {
    (!explanation.ungrounded.is_empty()).then(|| {
        format!(
            "the suggested commands name objects that are neither in the issue nor in the \
             cluster: {}; check them before running anything",
            explanation.ungrounded.join(", ")
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log(n: usize, first_error: Option<usize>) -> LogEvidence {
        LogEvidence {
            pod: "p".into(),
            container: "c".into(),
            previous: true,
            lines: (0..n).map(|i| format!("line {i}")).collect(),
            first_error,
            truncated: false,
        }
    }

    #[test]
    fn the_window_keeps_the_first_error_in_view() {
        let tail: Vec<usize> = log_window(&log(30, None), 10).map(|(i, _)| i).collect();
        assert_eq!(tail, (20..30).collect::<Vec<_>>());
        let early: Vec<usize> = log_window(&log(30, Some(3)), 10).map(|(i, _)| i).collect();
        assert_eq!(early, (3..13).collect::<Vec<_>>());
    }

    #[test]
    fn objects_beyond_the_limit_are_counted() {
        let pods: Vec<ObjectRef> = (0..7)
            .map(|i| ObjectRef::new("v1", "Pod", Some("shop"), format!("web-{i}")))
            .collect();
        let shown = first_and_more(&pods, 5, |o| o.name.clone());
        assert_eq!(shown.len(), 6);
        assert_eq!(shown[5], "and 2 more");
        assert_eq!(first_and_more(&pods[..2], 5, |o| o.name.clone()).len(), 2);
    }
}
