//! The issue's evidence as lines to match, each with where it was seen, in the order a reader
//! would look: container states first, then events, the log from its first error, the issue's
//! message, conditions and the causal chain.

use std::fmt::Write as _;

use kubewhy_model::Issue;

use super::library::Source;

/// One line of evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// What kind of evidence it is.
    pub source: Source,
    /// Where it was seen, for people: `the log of container api (pod checkout-7d9f)`.
    pub origin: String,
    /// The text.
    pub text: String,
}

/// The lines of `issue`'s evidence, in reading order.
pub fn collect(issue: &Issue) -> Vec<Line> {
    let mut lines = Vec::new();
    let evidence = &issue.evidence;
    for c in &evidence.containers {
        let who = if c.init {
            format!("init container {} (pod {})", c.container, c.pod)
        } else {
            format!("container {} (pod {})", c.container, c.pod)
        };
        if let Some(message) = c.message.as_deref().filter(|m| !m.is_empty()) {
            push(
                &mut lines,
                Source::State,
                format!("the state of {who}"),
                message,
            );
        }
        let mut state = format!("{} {}", c.state, c.reason.as_deref().unwrap_or(""))
            .trim()
            .to_owned();
        if let Some(last) = &c.last_termination {
            let _ = write!(state, "; last terminated {last}");
        }
        if let Some(code) = c.exit_code {
            let _ = write!(state, " (exit code {code})");
        }
        push(
            &mut lines,
            Source::State,
            format!("the state of {who}"),
            &state,
        );
    }
    for e in &evidence.events {
        let origin = format!("event {} on {}", e.reason, e.object);
        push(
            &mut lines,
            Source::Event,
            origin.clone(),
            &format!("{}: {}", e.reason, e.message),
        );
    }
    for log in &evidence.logs {
        let origin = format!(
            "the {}log of container {} (pod {})",
            if log.previous { "previous " } else { "" },
            log.container,
            log.pod
        );
        let first = log.first_error.unwrap_or(0).min(log.lines.len());
        // From the first error on, then what came before it: the first error is usually why.
        for line in log.lines[first..].iter().chain(&log.lines[..first]) {
            push(&mut lines, Source::Log, origin.clone(), line);
        }
    }
    push(
        &mut lines,
        Source::Message,
        "the issue".to_owned(),
        &issue.message,
    );
    for c in &evidence.conditions {
        if let Some(message) = &c.message {
            let origin = format!("condition {}={} of {}", c.type_, c.status, c.object);
            let reason = c.reason.as_deref().unwrap_or("");
            push(
                &mut lines,
                Source::Condition,
                origin,
                &format!("{reason}: {message}"),
            );
        }
    }
    for link in &issue.chain {
        let origin = format!("the causal chain ({})", link.object);
        if let Some(text) = &link.evidence {
            push(&mut lines, Source::Chain, origin.clone(), text);
        }
        let problem = format!("{} {} {}", link.object.kind, link.object.name, link.problem);
        push(&mut lines, Source::Chain, origin, &problem);
    }
    lines
}

fn push(lines: &mut Vec<Line>, source: Source, origin: String, text: &str) {
    let text = text.trim();
    if text.is_empty() || lines.iter().any(|l| l.source == source && l.text == text) {
        return;
    }
    lines.push(Line {
        source,
        origin,
        text: text.to_owned(),
    });
}

/// `text` cut to at most `max` characters, on a character boundary, with an ellipsis.
pub fn quote(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// `text` cut to at most `max` characters so that the bytes `start..end` (a match) stay in
/// view: a long JSON log line whose error sits near its end is quoted around the error.
pub fn quote_around(text: &str, (start, end): (usize, usize), max: usize) -> String {
    let head_end = text.char_indices().nth(max).map_or(text.len(), |(i, _)| i);
    if end <= head_end {
        return quote(text, max);
    }
    // Some context before the match, on a character boundary.
    let mut from = start.saturating_sub(max / 3);
    while !text.is_char_boundary(from) {
        from -= 1;
    }
    format!("…{}", quote(&text[from..], max))
}
