//! The explanation pane: the backend's answer as it streams, with tokens, latency and cost in
//! the title, and "cached" or "offline" when it is; the offline explanation when the backend
//! failed, the catalog's when there is no backend; the follow-up chat of the issue when open.

use ratatui::{
    Frame,
    layout::Rect,
    text::{Line, Span},
    widgets::{Block, Paragraph, Wrap},
};

use super::{clamp_scroll, text::clean, theme::Theme};
use crate::{
    llm::{AnswerMeta, ChatRole, catalog_explanation},
    state::{Scroll, State, Status},
};

pub(super) fn render(
    state: &State,
    theme: Theme,
    frame: &mut Frame<'_>,
    area: Rect,
    focused: bool,
) {
    let (title, lines) = content(state, theme);
    let mut block = Block::bordered().title(title);
    if focused {
        block = block.border_style(theme.focused());
    }
    let inner = block.inner(area);
    let scroll = clamp_scroll(state.scroll(Scroll::Explanation), lines.len(), inner.height);
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0)),
        area,
    );
}

/// The pane's title and text.
fn content(state: &State, theme: Theme) -> (String, Vec<Line<'static>>) {
    let selected = state.list.selected().map(|(issue, _)| issue);
    let assist = &state.assist;
    if assist.chat_open {
        return (" Chat ".to_owned(), chat(state, theme));
    }
    let current = selected.filter(|i| assist.explanation.fingerprint == Some(i.fingerprint));
    match (current, &assist.explanation.status) {
        (Some(_), Status::Streaming) => {
            let mut lines = markdown(&assist.explanation.text, theme);
            lines.push(Line::styled("▍", theme.dim()));
            (title(state, "streaming…"), lines)
        }
        (Some(_), Status::Done(meta)) => (
            title(state, &numbers(meta)),
            markdown(&assist.explanation.text, theme),
        ),
        (Some(issue), Status::Failed(error)) => {
            let text = &assist.explanation.text;
            let mut lines = vec![
                Line::styled(format!("The backend failed: {error}"), theme.error()),
                Line::raw(if text.is_empty() {
                    "The catalog's explanation:"
                } else {
                    "The offline explanation:"
                }),
                Line::raw(""),
            ];
            if text.is_empty() {
                lines.extend(offline(issue.check.as_str(), theme));
            } else {
                lines.extend(markdown(text, theme));
            }
            (" Explanation · offline (fallback) ".to_owned(), lines)
        }
        _ => match selected {
            Some(issue) => {
                let mut lines = Vec::new();
                if state.settings.backend.is_none() {
                    lines.push(Line::styled(
                        "How to fix, from the check catalog (no LLM backend configured):",
                        theme.dim(),
                    ));
                    lines.push(Line::raw(""));
                }
                lines.extend(offline(issue.check.as_str(), theme));
                (" Explanation · offline (catalog) ".to_owned(), lines)
            }
            None => (" Explanation ".to_owned(), Vec::new()),
        },
    }
}

/// Tokens, latency, cost and "cached", for the title.
fn numbers(meta: &AnswerMeta) -> String {
    let mut parts = vec![format!("{}→{} tokens", meta.tokens_in, meta.tokens_out)];
    parts.push(format!(
        "{}.{} s",
        meta.latency_ms / 1000,
        meta.latency_ms % 1000 / 100
    ));
    if let Some(cost) = meta.cost {
        parts.push(format!("${cost:.4}"));
    }
    if meta.cached {
        parts.push("cached".to_owned());
    }
    if meta.offline {
        parts.push("offline".to_owned());
    }
    parts.join(" · ")
}

fn title(state: &State, detail: &str) -> String {
    match &state.settings.backend {
        Some((backend, model)) => format!(" Explanation · {backend} {model} · {detail} "),
        None => format!(" Explanation · {detail} "),
    }
}

fn offline(check: &str, theme: Theme) -> Vec<Line<'static>> {
    match catalog_explanation(check) {
        Some(text) => markdown(&text, theme),
        None => vec![Line::styled(
            format!("the catalog has no entry for {check}"),
            theme.dim(),
        )],
    }
}

/// Markdown as lines to wrap: a paragraph's hard-wrapped lines joined, list items kept apart,
/// fences dropped, code indented and styled as commands.
fn markdown(text: &str, theme: Theme) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    let mut paragraph = String::new();
    let flush = |paragraph: &mut String, out: &mut Vec<Line<'static>>| {
        if !paragraph.is_empty() {
            out.push(Line::raw(std::mem::take(paragraph)));
        }
    };
    let mut in_code = false;
    for line in text.lines() {
        let line = clean(line);
        let trimmed = line.trim();
        if trimmed.starts_with("```") {
            flush(&mut paragraph, &mut out);
            in_code = !in_code;
            continue;
        }
        if in_code {
            out.push(Line::styled(format!("  {line}"), theme.command()));
        } else if trimmed.is_empty() {
            flush(&mut paragraph, &mut out);
            out.push(Line::raw(""));
        } else {
            let item = trimmed.starts_with("- ")
                || trimmed.starts_with("* ")
                || trimmed.starts_with("$ ")
                || trimmed
                    .split_once(". ")
                    .is_some_and(|(n, _)| n.parse::<u32>().is_ok());
            // An answer's sections (`Root cause: ...`, `Fix:`) start lines of their own.
            let heading = trimmed
                .strip_suffix(':')
                .is_some_and(|head| is_label(&format!("{head}: ")));
            if item || heading || is_label(trimmed) {
                flush(&mut paragraph, &mut out);
            } else if !paragraph.is_empty() {
                paragraph.push(' ');
            }
            paragraph.push_str(if item { &line } else { trimmed });
            if trimmed.ends_with(':') {
                flush(&mut paragraph, &mut out);
            }
        }
    }
    flush(&mut paragraph, &mut out);
    out
}

/// Whether a line begins with a short label (`Root cause: `, `Confidence: `).
fn is_label(line: &str) -> bool {
    line.split_once(": ").is_some_and(|(head, _)| {
        head.len() <= 24
            && head.chars().next().is_some_and(char::is_uppercase)
            && head.chars().all(|c| c.is_alphabetic() || c == ' ')
    })
}

fn chat(state: &State, theme: Theme) -> Vec<Line<'static>> {
    let Some(fingerprint) = state.list.selected_fingerprint() else {
        return Vec::new();
    };
    let turns = state
        .assist
        .chats
        .get(&fingerprint)
        .map_or(&[][..], Vec::as_slice);
    let mut out = Vec::new();
    if turns.is_empty() {
        out.push(Line::styled(
            "Ask a follow-up question about this issue; every message goes through the anonymizer.",
            theme.dim(),
        ));
    }
    for turn in turns {
        let (who, style) = match turn.role {
            ChatRole::User => ("you", theme.key()),
            ChatRole::Assistant => ("kubewhy", theme.heading()),
        };
        out.push(Line::from(vec![Span::styled(format!("{who}:"), style)]));
        out.extend(markdown(&turn.text, theme));
        out.push(Line::raw(""));
    }
    if state
        .assist
        .pending
        .is_some_and(|p| p.fingerprint == fingerprint)
    {
        out.push(Line::styled("▍", theme.dim()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<String> {
        markdown(text, Theme::new(false))
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn an_answers_sections_keep_lines_of_their_own() {
        let answer = "checkout is failing.\nRoot cause: the database is down.\nFix:\n  1. Start \
                      it.\nCommands:\n  $ kubectl get pods -n shop  (read-only)\nConfidence: high\n";
        assert_eq!(
            lines(answer),
            [
                "checkout is failing.",
                "Root cause: the database is down.",
                "Fix:",
                "  1. Start it.",
                "Commands:",
                "  $ kubectl get pods -n shop  (read-only)",
                "Confidence: high",
            ]
        );
    }

    #[test]
    fn a_hard_wrapped_paragraph_ending_in_a_colon_stays_one_paragraph() {
        assert_eq!(
            lines(
                "Fix the cause, a missing\ndependency or a bug at start-up:\n\n```\nkubectl logs\n```"
            ),
            [
                "Fix the cause, a missing dependency or a bug at start-up:",
                "",
                "  kubectl logs",
            ]
        );
    }
}
