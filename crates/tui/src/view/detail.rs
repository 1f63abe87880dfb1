//! The detail pane of the selected issue: what is wrong, the objects, conditions, container
//! states, events, the log tail with the decisive line marked, the causal chain, and the fix.

use std::fmt::Write as _;

use kubewhy_model::Issue;
use ratatui::{
    Frame,
    layout::Rect,
    text::{Line, Span},
    widgets::{Block, Paragraph, Wrap},
};

use super::{
    clamp_scroll,
    text::clean,
    theme::{Theme, severity_label},
};
use crate::state::{Scroll, State};

/// The width of the labels in front of the fields.
const LABEL: usize = 10;
/// Log lines shown before the decisive one; `l`/`p` show the whole tail.
const LOG_CONTEXT: usize = 4;
/// Objects listed before "and N more".
const OBJECTS_SHOWN: usize = 8;

pub(super) fn render(
    state: &State,
    theme: Theme,
    frame: &mut Frame<'_>,
    area: Rect,
    focused: bool,
) {
    let mut block = Block::bordered().title(" Detail ");
    if focused {
        block = block.border_style(theme.focused());
    }
    let Some((issue, resolved)) = state.list.selected() else {
        frame.render_widget(
            Paragraph::new(Line::styled("no issue selected", theme.dim())).block(block),
            area,
        );
        return;
    };
    let mut lines = lines(state, issue, theme);
    if resolved {
        lines.insert(
            0,
            Line::styled(
                "resolved: the latest run no longer finds this issue",
                theme.resolved(),
            ),
        );
    }
    let inner = block.inner(area);
    let scroll = clamp_scroll(state.scroll(Scroll::Detail), lines.len(), inner.height);
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0)),
        area,
    );
}

fn section(theme: Theme, title: &str) -> Line<'static> {
    Line::styled(format!("── {title} "), theme.heading())
}

fn field(theme: Theme, name: &str, value: String) -> Line<'_> {
    Line::from(vec![
        Span::styled(format!("{name:<LABEL$}"), theme.dim()),
        Span::raw(value),
    ])
}

/// The detail's lines: what is wrong and how to fix it first, then why (the chain and the
/// decisive log line), then the rest of the evidence.
#[must_use]
pub fn lines<'a>(state: &State, issue: &'a Issue, theme: Theme) -> Vec<Line<'a>> {
    let mut out = vec![
        Line::from(vec![
            Span::styled(
                severity_label(issue.severity),
                theme.severity(issue.severity),
            ),
            Span::raw(" "),
            Span::styled(issue.title.as_str(), theme.heading()),
        ]),
        Line::raw(clean(&issue.message).into_owned()),
        Line::raw(""),
    ];
    out.push(match &issue.fix {
        Some(fix) => Line::from(vec![
            Span::styled(format!("{:<LABEL$}", "fix"), theme.dim()),
            Span::styled(format!("$ {fix}"), theme.command()),
            Span::styled("  (ctrl-y copies)", theme.dim()),
        ]),
        None => field(
            theme,
            "fix",
            "no one-line fix: see the explanation pane".to_owned(),
        ),
    });
    out.push(field(theme, "root", issue.root.to_string()));
    let mut check = format!("{} · {}", issue.check, issue.category);
    if !issue.merged_checks.is_empty() {
        let merged: Vec<&str> = issue.merged_checks.iter().map(|c| c.as_str()).collect();
        let _ = write!(check, " (also {})", merged.join(", "));
    }
    out.push(field(theme, "check", check));
    if let Some(origin) = &issue.origin {
        out.push(field(theme, "file", origin.to_string()));
    }
    let causes: Vec<String> = issue
        .caused_by
        .iter()
        .filter_map(|fp| state.list.issues().iter().find(|i| i.fingerprint == *fp))
        .map(|cause| format!("{} ({})", cause.root, cause.title))
        .collect();
    objects(&mut out, theme, "caused by", causes.into_iter());
    objects(
        &mut out,
        theme,
        "objects",
        issue.objects.iter().map(ToString::to_string),
    );
    objects(
        &mut out,
        theme,
        "related",
        issue.related.iter().map(ToString::to_string),
    );
    chain(&mut out, issue, theme);
    logs(&mut out, issue, theme);
    evidence(&mut out, issue, theme);
    out
}

fn objects<'a>(
    out: &mut Vec<Line<'a>>,
    theme: Theme,
    name: &'a str,
    names: impl ExactSizeIterator<Item = String>,
) {
    let total = names.len();
    if total == 0 {
        return;
    }
    for (i, object) in names.take(OBJECTS_SHOWN).enumerate() {
        let label = if i == 0 { name } else { "" };
        out.push(field(theme, label, clean(&object).into_owned()));
    }
    if total > OBJECTS_SHOWN {
        out.push(field(
            theme,
            "",
            format!("… and {} more", total - OBJECTS_SHOWN),
        ));
    }
}

fn evidence<'a>(out: &mut Vec<Line<'a>>, issue: &'a Issue, theme: Theme) {
    let evidence = &issue.evidence;
    if !evidence.conditions.is_empty() {
        out.push(Line::raw(""));
        out.push(section(theme, "Conditions"));
        for c in &evidence.conditions {
            let mut text = format!("{} {}={}", c.object, c.type_, c.status);
            if let Some(reason) = &c.reason {
                let _ = write!(text, " {reason}");
            }
            if let Some(message) = &c.message {
                let _ = write!(text, ": {}", clean(message));
            }
            out.push(Line::raw(text));
        }
    }
    if !evidence.containers.is_empty() {
        out.push(Line::raw(""));
        out.push(section(theme, "Containers"));
        for c in &evidence.containers {
            let mut text = format!("{}/{} {}", c.pod, c.container, c.state);
            if c.init {
                text.push_str(" (init)");
            }
            if let Some(reason) = &c.reason {
                let _ = write!(text, " {reason}");
            }
            if let Some(code) = c.exit_code {
                let _ = write!(text, " exit {code}");
            }
            let _ = write!(text, " restarts {}", c.restarts);
            if let Some(last) = &c.last_termination {
                let _ = write!(text, " last {last}");
            }
            if let Some(message) = &c.message {
                let _ = write!(text, ": {}", clean(message));
            }
            out.push(Line::raw(text));
        }
    }
    if !evidence.events.is_empty() {
        out.push(Line::raw(""));
        out.push(section(theme, "Events"));
        for e in &evidence.events {
            let count = if e.count > 1 {
                format!(" ×{}", e.count)
            } else {
                String::new()
            };
            out.push(Line::from(vec![
                Span::styled(format!("{} {}{count} ", e.type_, e.reason), theme.dim()),
                Span::raw(format!("{}: {}", e.object, clean(&e.message))),
            ]));
        }
    }
}

fn logs<'a>(out: &mut Vec<Line<'a>>, issue: &'a Issue, theme: Theme) {
    for log in &issue.evidence.logs {
        out.push(Line::raw(""));
        let which = if log.previous {
            " (previous instance)"
        } else {
            ""
        };
        out.push(section(
            theme,
            &format!("Log tail · {}/{}{which}", log.pod, log.container),
        ));
        let from = log.first_error.map_or(0, |i| i.saturating_sub(LOG_CONTEXT));
        if from > 0 || log.truncated {
            let key = if log.previous { "p" } else { "l" };
            out.push(Line::styled(
                format!("  (earlier lines: {key} shows the whole tail)"),
                theme.dim(),
            ));
        }
        for (i, line) in log.lines.iter().enumerate().skip(from) {
            let text = clean(line).into_owned();
            out.push(if log.first_error == Some(i) {
                Line::styled(format!("▶ {text}"), theme.marked())
            } else {
                Line::raw(format!("  {text}"))
            });
        }
    }
}

fn chain<'a>(out: &mut Vec<Line<'a>>, issue: &'a Issue, theme: Theme) {
    if issue.chain.is_empty() {
        return;
    }
    out.push(Line::raw(""));
    out.push(section(theme, "Chain"));
    for (i, link) in issue.chain.iter().enumerate() {
        let indent = "   ".repeat(i.saturating_sub(1));
        let arrow = if i == 0 { "" } else { "└→ " };
        let text = format!("{indent}{arrow}{} {}", link.object, link.problem);
        out.push(if link.root_cause {
            Line::styled(format!("{text}  ← likely root cause"), theme.marked())
        } else {
            Line::raw(text)
        });
        if let Some(evidence) = &link.evidence {
            let pad = "   ".repeat(i);
            out.push(Line::styled(
                format!("{pad}  “{}”", clean(evidence)),
                theme.dim(),
            ));
        }
    }
}
