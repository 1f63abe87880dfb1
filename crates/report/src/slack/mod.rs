//! Slack messages in Block Kit, with a text fallback, always within Slack's limits: at most 50
//! blocks, section text of at most 3,000 characters, headers of at most 150, and a whole message
//! well under 12,000. A long answer is split over several messages, each saying which part it
//! is; nothing is ever cut off. [`violations`] checks a message against the same limits after
//! the anonymizer has rewritten it (a pseudonym can be longer than the name it replaces).

mod split;

use std::fmt::Write as _;

use kubewhy_model::{Issue, ObjectRef, Report, Severity};
use serde::Serialize;
use serde_json::{Value, json};

pub use split::split;

use crate::shared::qualified;

/// At most this many blocks in one message.
pub const MAX_BLOCKS: usize = 50;
/// At most this many characters in a section's text.
pub const MAX_SECTION: usize = 3_000;
/// At most this many characters in a header.
pub const MAX_HEADER: usize = 150;
/// A whole message (its blocks as JSON, plus the fallback text) stays under this many
/// characters; Slack has refused messages near 13,000 as `msg_blocks_too_long`.
pub const MAX_MESSAGE: usize = 11_000;

/// How much of each limit a rendering may use. The anonymizer runs after rendering and may
/// lengthen the text, so a message that fails [`violations`] once scrubbed is rendered again
/// with [`Budget::tighter`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Characters of text per section.
    pub section: usize,
    /// Characters of text per message, over all its sections.
    pub message: usize,
}

impl Default for Budget {
    fn default() -> Self {
        Self {
            section: 2_800,
            message: 9_000,
        }
    }
}

impl Budget {
    /// Two thirds of this budget.
    #[must_use]
    pub fn tighter(self) -> Self {
        Self {
            section: self.section * 2 / 3,
            message: self.message * 2 / 3,
        }
    }
}

/// One Slack message: the fallback `text` (notifications and screen readers show it) and its
/// blocks.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Message {
    /// Plain-text fallback.
    pub text: String,
    /// Block Kit blocks.
    pub blocks: Vec<Value>,
}

impl Message {
    /// The message as the JSON body Slack takes (`text` and `blocks`).
    #[must_use]
    pub fn to_json(&self) -> Value {
        json!({ "text": self.text, "blocks": self.blocks })
    }
}

/// `/kubewhy analyze`: one message with the counts by severity, the worst issues, and an
/// `explain` hint for each. `response_url` takes only five posts, so the summary always fits
/// one message: issues that do not fit are counted, not listed.
#[must_use]
pub fn summary(report: &Report, scope: &str, budget: Budget) -> Message {
    let counts = counts(report);
    let header = truncate(
        &format!(
            "kubewhy: {} in {scope}",
            plural(report.issues.len(), "issue")
        ),
        MAX_HEADER,
    );
    let mut blocks = vec![
        json!({ "type": "header", "text": { "type": "plain_text", "text": header } }),
        section(&counts),
    ];
    let mut used = counts.len() + header.len();
    let mut shown = 0;
    for issue in &report.issues {
        let text = truncate(&issue_line(issue), budget.section);
        // Room for the closing context block.
        if used + text.len() > budget.message || blocks.len() + 2 >= MAX_BLOCKS {
            break;
        }
        used += text.len();
        blocks.push(section(&text));
        shown += 1;
    }
    let rest = report.issues.len() - shown;
    let mut footer = String::from("`/kubewhy explain KIND/NAME -n NAMESPACE` explains one issue.");
    if rest > 0 {
        let _ = write!(
            footer,
            " {} more not shown: narrow with `/kubewhy analyze NAMESPACE`.",
            plural(rest, "issue")
        );
    }
    blocks.push(json!({ "type": "context", "elements": [ { "type": "mrkdwn", "text": footer } ] }));
    Message {
        text: format!(
            "kubewhy: {} in {scope} ({})",
            plural(report.issues.len(), "issue"),
            plain_counts(report)
        ),
        blocks,
    }
}

/// A long answer (an explanation, a chat reply) under a title, split over as many messages as
/// it takes. Each message after the first says it continues.
#[must_use]
pub fn long_text(title: &str, body: &str, budget: Budget) -> Vec<Message> {
    let body = mrkdwn(body);
    let sections = split(&body, budget.section);
    paginate(title, &body, sections, budget)
}

/// Preformatted text (a table) under a title, each part fenced as code.
#[must_use]
pub fn long_code(title: &str, text: &str, budget: Budget) -> Vec<Message> {
    let text = escape(text);
    let sections = split(&text, budget.section.saturating_sub(8))
        .into_iter()
        .map(|part| format!("```{part}```"))
        .collect();
    paginate(title, &text, sections, budget)
}

/// `/kubewhy explain`: each issue of the object with its explanation and fix.
#[must_use]
pub fn explanation(report: &Report, target: &str, budget: Budget) -> Vec<Message> {
    if report.issues.is_empty() {
        return vec![notice(&format!(
            "`{target}`: no issue found; it looks healthy."
        ))];
    }
    let mut body = String::new();
    for issue in &report.issues {
        let _ = writeln!(
            body,
            "## {} {} on {}",
            emoji(issue.severity),
            issue.title,
            qualified(&issue.root)
        );
        match &issue.explanation {
            Some(e) => {
                let _ = writeln!(body, "{}", e.text.trim());
                if e.fallback {
                    let why = e
                        .fallback_reason
                        .as_deref()
                        .unwrap_or("the LLM did not answer");
                    let _ = writeln!(body, "_offline explanation: {why}_");
                }
            }
            None => {
                let _ = writeln!(body, "{}", issue.message);
            }
        }
        if let Some(fix) = &issue.fix {
            let _ = writeln!(body, "**Fix:** {fix}");
        }
        let _ = writeln!(body, "_fingerprint {}_\n", issue.fingerprint);
    }
    long_text(&format!("kubewhy explain {target}"), &body, budget)
}

fn paginate(title: &str, body: &str, sections: Vec<String>, budget: Budget) -> Vec<Message> {
    let mut messages: Vec<Vec<String>> = vec![Vec::new()];
    let mut used = 0;
    for part in sections {
        let full = messages.last().is_some_and(|m| m.len() + 2 >= MAX_BLOCKS);
        if !messages.last().is_some_and(Vec::is_empty)
            && (used + part.len() > budget.message || full)
        {
            messages.push(Vec::new());
            used = 0;
        }
        used += part.len();
        if let Some(last) = messages.last_mut() {
            last.push(part);
        }
    }
    let total = messages.len();
    messages
        .into_iter()
        .enumerate()
        .map(|(i, parts)| {
            let heading = if total == 1 {
                title.to_owned()
            } else {
                format!("{title} ({}/{total})", i + 1)
            };
            let heading = truncate(&heading, MAX_HEADER);
            let mut blocks = vec![
                json!({ "type": "header", "text": { "type": "plain_text", "text": heading } }),
            ];
            blocks.extend(parts.iter().map(|p| section(p)));
            let text = if i == 0 {
                format!("{heading}: {}", first_line(body))
            } else {
                format!("{heading}, continued")
            };
            Message {
                text: truncate(&text, 300),
                blocks,
            }
        })
        .collect()
}

/// A short message: an acknowledgement, a refusal, an error.
#[must_use]
pub fn notice(text: &str) -> Message {
    let text = truncate(&mrkdwn(text), MAX_SECTION);
    Message {
        text: text.clone(),
        blocks: vec![section(&text)],
    }
}

/// A notification about one issue: new, changed, or resolved.
#[must_use]
pub fn notification(issue: &Issue, change: &str, budget: Budget) -> Message {
    let head = format!(
        "{} {change}: {} on {}",
        emoji(issue.severity),
        issue.title,
        qualified(&issue.root)
    );
    let mut body = issue_line(issue);
    if let Some(fix) = &issue.fix {
        let _ = write!(body, "\n*Fix:* {}", escape(fix));
    }
    let _ = write!(body, "\n_fingerprint {}_", issue.fingerprint);
    Message {
        text: truncate(&format!("{head} (fingerprint {})", issue.fingerprint), 300),
        blocks: vec![section(&truncate(&body, budget.section))],
    }
}

/// Many new issues at once (a node went down): one message listing as many as fit, and how
/// many more there are.
#[must_use]
pub fn batch(issues: &[&Issue], budget: Budget) -> Message {
    let head = truncate(&format!("{} new issues", issues.len()), MAX_HEADER);
    let mut blocks =
        vec![json!({ "type": "header", "text": { "type": "plain_text", "text": head } })];
    let mut used = 0;
    let mut shown = 0;
    for issue in issues {
        let line = truncate(
            &format!("{}\n_fingerprint {}_", issue_line(issue), issue.fingerprint),
            budget.section,
        );
        if used + line.len() > budget.message || blocks.len() + 2 >= MAX_BLOCKS {
            break;
        }
        used += line.len();
        blocks.push(section(&line));
        shown += 1;
    }
    if shown < issues.len() {
        let more = format!(
            "and {} more: `/kubewhy analyze` lists them all.",
            issues.len() - shown
        );
        blocks
            .push(json!({ "type": "context", "elements": [ { "type": "mrkdwn", "text": more } ] }));
    }
    let fingerprints: Vec<String> = issues
        .iter()
        .take(20)
        .map(|i| i.fingerprint.to_string())
        .collect();
    Message {
        text: truncate(&format!("{head}: {}", fingerprints.join(", ")), 3_000),
        blocks,
    }
}

/// A notification that an issue is gone.
#[must_use]
pub fn resolved(fingerprint: &str, title: &str) -> Message {
    let text = format!(
        ":white_check_mark: resolved: {} (fingerprint {fingerprint})",
        escape(title)
    );
    Message {
        text: text.clone(),
        blocks: vec![section(&truncate(&text, MAX_SECTION))],
    }
}

/// What in `message` (a JSON body with `text` and `blocks`) breaks Block Kit's limits; empty
/// when it is fine.
#[must_use]
pub fn violations(message: &Value) -> Vec<String> {
    let mut found = Vec::new();
    let blocks = message
        .get("blocks")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice);
    if blocks.len() > MAX_BLOCKS {
        found.push(format!("{} blocks, over {MAX_BLOCKS}", blocks.len()));
    }
    for (i, block) in blocks.iter().enumerate() {
        let text = block
            .pointer("/text/text")
            .and_then(Value::as_str)
            .unwrap_or("");
        let limit = match block.get("type").and_then(Value::as_str) {
            Some("header") => MAX_HEADER,
            Some("section") => MAX_SECTION,
            _ => continue,
        };
        let len = text.chars().count();
        if len > limit {
            found.push(format!("block {i}: {len} characters, over {limit}"));
        }
    }
    let size = message.to_string().chars().count();
    if size > MAX_MESSAGE + 1_000 {
        found.push(format!("the message is {size} characters"));
    }
    found
}

/// Markdown as LLMs write it, in Slack's mrkdwn: `**bold**` and `# headings` become `*bold*`;
/// `&`, `<` and `>` are escaped as Slack requires.
#[must_use]
pub fn mrkdwn(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    for line in markdown.lines() {
        let trimmed = line.trim_start_matches('#');
        let line = if trimmed.len() < line.len() && trimmed.starts_with(' ') {
            format!("*{}*", trimmed.trim())
        } else {
            line.replace("**", "*")
        };
        out.push_str(&escape(&line));
        out.push('\n');
    }
    out.truncate(out.trim_end().len());
    out
}

fn section(text: &str) -> Value {
    json!({ "type": "section", "text": { "type": "mrkdwn", "text": text } })
}

fn issue_line(issue: &Issue) -> String {
    let mut line = format!(
        "{} *{}* `{}`  {}\n{}",
        emoji(issue.severity),
        escape(&issue.title),
        issue.check.as_str(),
        escape(&qualified(&issue.root)),
        escape(&issue.message)
    );
    if issue.objects.len() > 1 {
        let _ = write!(line, " ({} objects)", issue.objects.len());
    }
    let _ = write!(line, "\n`/kubewhy explain {}`", explain_target(&issue.root));
    line
}

/// The argument `/kubewhy explain` takes for `root`.
#[must_use]
pub fn explain_target(root: &ObjectRef) -> String {
    let kind = root.kind.to_ascii_lowercase();
    match &root.namespace {
        Some(ns) => format!("{kind}/{} -n {ns}", root.name),
        None => format!("{kind}/{}", root.name),
    }
}

fn counts(report: &Report) -> String {
    let parts: Vec<String> = Severity::ALL
        .iter()
        .map(|s| {
            format!(
                "{} {} {}",
                emoji(*s),
                report.summary.by_severity.get(s).copied().unwrap_or(0),
                s.as_str()
            )
        })
        .collect();
    format!(
        "{}  ·  {} objects scanned",
        parts.join("  "),
        report.summary.objects_scanned
    )
}

fn plain_counts(report: &Report) -> String {
    Severity::ALL
        .iter()
        .map(|s| {
            format!(
                "{} {}",
                report.summary.by_severity.get(s).copied().unwrap_or(0),
                s.as_str()
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn emoji(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => ":red_circle:",
        Severity::Error => ":large_orange_circle:",
        Severity::Warning => ":large_yellow_circle:",
        Severity::Info => ":large_blue_circle:",
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

fn first_line(text: &str) -> &str {
    let line = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    line.char_indices()
        .nth(200)
        .map_or(line, |(i, _)| &line[..i])
}

/// Slack's three escapes.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// At most `max` characters, with `…` when something was left out. Only for headers and
/// fallbacks, whose full text is in the body.
fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max.saturating_sub(1)) {
        Some((i, _)) if text[i..].chars().count() > 1 => format!("{}…", &text[..i]),
        _ => text.to_owned(),
    }
}

#[cfg(test)]
mod tests;
