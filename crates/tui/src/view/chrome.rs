//! The frame around the panes: the header, the status line, the footer with the keys that work
//! here, and what the body shows before there are issues (connecting, reading, or why the
//! source cannot be read).

use kubewhy_model::Severity;
use ratatui::{
    Frame,
    layout::{Constraint, Layout, Rect},
    style::Style,
    text::{Line, Span},
    widgets::{Block, Paragraph, Wrap},
};

use super::{
    run_label,
    text::truncate,
    theme::{Theme, severity_label},
};
use crate::state::{InputKind, RunStatus, Screen, State};

pub(super) fn header(state: &State, theme: Theme, frame: &mut Frame<'_>, area: Rect) {
    let backend = match &state.settings.backend {
        Some((backend, model)) => format!("{backend} {model}"),
        None => "offline (catalog)".to_owned(),
    };
    let context = state
        .context
        .as_deref()
        .unwrap_or(match state.source_kind() {
            "files" => "-",
            _ => "…",
        });
    let first = pairs(
        theme,
        &[
            ("kubewhy", ""),
            ("ctx", context),
            ("ns", state.namespace()),
            ("source", state.source_kind()),
            ("llm", &backend),
        ],
        area.width,
    );
    let mut spans = Vec::new();
    let counts = state.list.counts();
    for severity in Severity::ALL {
        let n = counts.get(&severity).copied().unwrap_or(0);
        let style = if n > 0 {
            theme.severity(severity)
        } else {
            theme.dim()
        };
        spans.push(Span::styled(
            format!("{} {n}", severity_label(severity)),
            style,
        ));
        spans.push(Span::raw("  "));
    }
    let observed = state.observed_at.as_deref().unwrap_or("-");
    spans.push(Span::styled("observed ", theme.dim()));
    spans.push(Span::raw(format!("{observed}  ")));
    let run = run_label(&state.run);
    let run_style = if matches!(state.run, RunStatus::Failed(_)) {
        theme.error()
    } else {
        Style::new()
    };
    spans.push(Span::styled(run, run_style));
    if state.watch.on {
        spans.push(Span::styled("  watch on", theme.key()));
    }
    let second = fit_line(spans, area.width);
    frame.render_widget(Paragraph::new(vec![first, second]), area);
}

/// `name value` pairs, the names dimmed, cut to the width.
fn pairs<'a>(theme: Theme, pairs: &[(&'a str, &str)], width: u16) -> Line<'a> {
    let mut spans = Vec::new();
    for (name, value) in pairs {
        if value.is_empty() {
            spans.push(Span::styled(*name, theme.heading()));
        } else {
            spans.push(Span::styled(format!("{name} "), theme.dim()));
            spans.push(Span::raw(value.to_string()));
        }
        spans.push(Span::raw("  "));
    }
    fit_line(spans, width)
}

/// Cuts a line of spans to `width` cells.
pub(super) fn fit_line(spans: Vec<Span<'_>>, width: u16) -> Line<'_> {
    let mut left = usize::from(width);
    let mut out = Vec::new();
    for span in spans {
        if left == 0 {
            break;
        }
        let cut = truncate(&span.content, left).into_owned();
        left = left.saturating_sub(super::text::width(&cut));
        out.push(Span::styled(cut, span.style));
    }
    Line::from(out)
}

pub(super) fn status(state: &State, theme: Theme, frame: &mut Frame<'_>, area: Rect) {
    let line = if let Some(input) = &state.input {
        let prompt = match input.kind {
            InputKind::Filter => "/",
            InputKind::Command => ":",
            InputKind::Chat => "ask: ",
        };
        let shown = tail(
            &input.text,
            usize::from(area.width).saturating_sub(prompt.len() + 1),
        );
        let x = area.x + u16::try_from(prompt.len() + super::text::width(&shown)).unwrap_or(0);
        frame.set_cursor_position((x.min(area.right().saturating_sub(1)), area.y));
        Line::from(vec![Span::styled(prompt, theme.key()), Span::raw(shown)])
    } else if let Some(note) = &state.note {
        let style = if note.error {
            theme.error()
        } else {
            Style::new()
        };
        fit_line(vec![Span::styled(note.text.clone(), style)], area.width)
    } else {
        let mut spans = Vec::new();
        let filter = state.list.filter.describe();
        if !filter.is_empty() {
            spans.push(Span::styled("filter ", theme.dim()));
            spans.push(Span::raw(format!("{filter}  ")));
        }
        if let Some(min) = state.list.min_severity {
            spans.push(Span::styled("severity ", theme.dim()));
            spans.push(Span::raw(format!("{min}+  ")));
        }
        if !state.warnings.is_empty() {
            let n = state.warnings.len();
            let first = &state.warnings[0];
            spans.push(Span::styled(
                format!("{n} warning{}: {first}", if n == 1 { "" } else { "s" }),
                theme.dim(),
            ));
        }
        fit_line(spans, area.width)
    };
    frame.render_widget(Paragraph::new(line), area);
}

/// The end of `text` that fits in `cells`: the part being typed stays in sight.
fn tail(text: &str, cells: usize) -> String {
    let mut out: Vec<char> = Vec::new();
    let mut used = 0;
    for c in text.chars().rev() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w > cells {
            break;
        }
        used += w;
        out.push(c);
    }
    out.into_iter().rev().collect()
}

/// The keys that work here.
fn keys_here(state: &State) -> &'static [(&'static str, &'static str)] {
    if state.input.is_some() {
        match state.input.as_ref().map(|i| i.kind) {
            Some(InputKind::Filter) => &[
                ("enter", "apply"),
                ("esc", "cancel"),
                ("!", "invert"),
                ("-l app=x", "labels"),
            ],
            Some(InputKind::Chat) => &[("enter", "send"), ("esc", "cancel")],
            _ => &[
                ("enter", "run"),
                ("esc", "cancel"),
                (":q", "quit"),
                (":ns", "namespace"),
            ],
        }
    } else if state.overlay.is_some() {
        &[
            ("esc", "close"),
            ("j/k", "scroll"),
            ("g/G", "top/bottom"),
            ("q", "quit"),
        ]
    } else if !state.loaded && matches!(state.run, RunStatus::Failed(_)) {
        &[
            ("ctrl-r", "retry"),
            (":ctx", "context"),
            ("?", "help"),
            ("q", "quit"),
        ]
    } else if state.screen == Screen::Detail {
        &[
            ("esc", "back"),
            ("?", "help"),
            ("q", "quit"),
            ("tab", "pane"),
            ("j/k", "scroll"),
            ("x", "explain"),
            ("r", "regenerate"),
            ("c", "chat"),
            ("P", "preview"),
            ("d", "describe"),
            ("y", "yaml"),
            ("l/p", "logs"),
            ("ctrl-y", "copy fix"),
        ]
    } else {
        &[
            ("enter", "open"),
            ("/", "filter"),
            (":", "command"),
            ("?", "help"),
            ("q", "quit"),
            ("x", "explain"),
            ("d", "describe"),
            ("y", "yaml"),
            ("l", "logs"),
            ("s", "sort"),
            ("b", "group"),
            ("ctrl-r", "refresh"),
            ("w", "watch"),
        ]
    }
}

pub(super) fn footer(state: &State, theme: Theme, frame: &mut Frame<'_>, area: Rect) {
    let keys = keys_here(state);
    let mut spans = Vec::new();
    for (key, what) in keys {
        spans.push(Span::styled(*key, theme.key()));
        spans.push(Span::raw(format!(" {what}  ")));
    }
    frame.render_widget(Paragraph::new(fit_line(spans, area.width)), area);
}

/// The body before there are issues: connecting, reading, nothing found, or why it failed.
pub(super) fn placeholder(state: &State, theme: Theme, frame: &mut Frame<'_>, area: Rect) {
    let what = match state.source_kind() {
        "demo" => "the demo cluster".to_owned(),
        "files" => "the files".to_owned(),
        _ => state
            .context
            .as_deref()
            .map_or_else(|| "the cluster".to_owned(), |c| format!("context {c}")),
    };
    let (title, lines, style) = match &state.run {
        RunStatus::Failed(message) => (
            " Cannot read the source ",
            vec![
                Line::styled(format!("kubewhy cannot read {what}:"), theme.error()),
                Line::raw(""),
                Line::raw(message.clone()),
                Line::raw(""),
                Line::from(vec![
                    Span::styled("ctrl-r", theme.key()),
                    Span::raw(" or "),
                    Span::styled("enter", theme.key()),
                    Span::raw(" retries · "),
                    Span::styled(":ctx NAME", theme.key()),
                    Span::raw(" tries another context · "),
                    Span::styled("q", theme.key()),
                    Span::raw(" quits"),
                ]),
            ],
            theme.error(),
        ),
        RunStatus::Done | RunStatus::Cancelled => (
            " Issues ",
            vec![Line::raw(format!("No issues found in {what}."))],
            Style::new(),
        ),
        run => (
            " kubewhy ",
            vec![
                Line::raw(match run {
                    RunStatus::Opening => format!("Connecting to {what}…"),
                    _ => format!("Reading {what}…"),
                }),
                Line::styled(run_label(run), theme.dim()),
            ],
            Style::new(),
        ),
    };
    let block = Block::bordered().title(title).border_style(style);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let height = u16::try_from(lines.len() + 2).unwrap_or(u16::MAX);
    let [_, middle, _] = Layout::vertical([
        Constraint::Fill(1),
        Constraint::Length(height.min(inner.height)),
        Constraint::Fill(2),
    ])
    .areas(inner);
    let [_, text, _] = Layout::horizontal([
        Constraint::Length(2),
        Constraint::Fill(1),
        Constraint::Length(2),
    ])
    .areas(middle);
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), text);
}
