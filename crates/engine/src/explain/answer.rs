//! Reading a model's answer: names restored (secrets stay pseudonyms), the structured answer
//! kept and rendered as readable text, prose kept when there is no JSON, and every
//! pseudonym the model invented named in a warning.

use std::fmt::Write as _;

use kubewhy_llm::{
    BackendId,
    prompt::{StructuredAnswer, parse_answer},
};
use kubewhy_model::Explanation;
use kubewhy_scrub::{PseudonymTable, ScrubError, unscrub};

/// The explanation an answer makes, tokens and timing left to the caller.
pub(crate) fn read(
    text: &str,
    table: &PseudonymTable,
    backend: &BackendId,
) -> Result<Explanation, ScrubError> {
    let restored = unscrub(table, text)?;
    let parsed = parse_answer(&restored.text);
    let mut text = match &parsed.structured {
        Some(answer) => render(answer, &parsed.prose),
        None => parsed.prose.clone(),
    };
    // A pseudonym the model invented is named, never silently left.
    for unknown in &restored.unknown {
        let _ = writeln!(text, "Note: {unknown}.");
    }
    Ok(Explanation {
        text,
        structured: parsed.structured,
        backend: backend.name.clone(),
        model: backend.model.clone(),
        ..Explanation::default()
    })
}

/// A structured answer as text: summary, cause, steps, commands, verification.
fn render(answer: &StructuredAnswer, prose: &str) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail.
    if !answer.summary.is_empty() {
        let _ = writeln!(out, "{}", answer.summary);
    }
    if !answer.root_cause.is_empty() {
        let _ = writeln!(out, "Root cause: {}", answer.root_cause);
    }
    list(
        &mut out,
        "Evidence",
        answer.evidence.iter().map(String::as_str),
    );
    if !answer.fix.is_empty() {
        let _ = writeln!(out, "Fix:");
        for (n, step) in answer.fix.iter().enumerate() {
            let _ = writeln!(out, "  {}. {step}", n + 1);
        }
    }
    if !answer.commands.is_empty() {
        let _ = writeln!(out, "Commands:");
        for command in &answer.commands {
            let mode = if command.changes {
                "changes the cluster"
            } else {
                "read-only"
            };
            let _ = writeln!(out, "  $ {}  ({mode})", command.command);
        }
    }
    list(&mut out, "Verify", answer.verify.iter().map(String::as_str));
    if let Some(confidence) = answer.confidence {
        let _ = writeln!(out, "Confidence: {}", confidence.as_str());
    }
    if !prose.trim().is_empty() {
        let _ = writeln!(out, "\n{}", prose.trim());
    }
    out
}

fn list<'a>(out: &mut String, heading: &str, items: impl ExactSizeIterator<Item = &'a str>) {
    if items.len() == 0 {
        return;
    }
    let _ = writeln!(out, "{heading}:");
    for item in items {
        let _ = writeln!(out, "  - {item}");
    }
}
