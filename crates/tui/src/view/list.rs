//! The issue list: one line per issue (severity in text, namespace, the root object under its
//! cause in the tree, the check, the age), group headings, `+`/`-` for issues new and resolved
//! since the last refresh. Only the rows in sight are laid out.

use std::fmt::Write as _;

use jiff::Timestamp;
use ratatui::{
    Frame,
    layout::Rect,
    style::Style,
    text::{Line, Span},
    widgets::{Block, Paragraph},
};

use super::{
    follow,
    text::{clean, fit, fit_right},
    theme::{Theme, severity_label},
};
use crate::state::{Entry, GroupBy, Row, State};

/// The columns, by width.
struct Columns {
    namespace: usize,
    object: usize,
    check: usize,
}

impl Columns {
    /// Widths for `width` cells: mark (2), severity (6), namespace, object, check, age (5).
    fn new(width: usize, with_namespace: bool) -> Self {
        let fixed = 2 + 6 + 1 + 5;
        let rest = width.saturating_sub(fixed);
        let namespace = if with_namespace {
            (rest / 6).clamp(8, 20) + 1
        } else {
            0
        };
        let rest = rest.saturating_sub(namespace);
        let check = (rest * 2 / 5).clamp(10, 34);
        let object = rest.saturating_sub(check + 1);
        Self {
            namespace,
            object,
            check,
        }
    }
}

pub(super) fn render(state: &State, theme: Theme, frame: &mut Frame<'_>, area: Rect) {
    let list = &state.list;
    let total = list.issues().len();
    let shown = list.shown();
    let mut title = if shown == total + list.resolved_count() {
        format!(" Issues ({total}) ")
    } else {
        format!(" Issues ({shown} of {total}) ")
    };
    let _ = write!(title, "· sort {} ", list.sort.as_str());
    if list.group != GroupBy::None {
        let _ = write!(title, "· by {} ", list.group.as_str());
    }
    let block = Block::bordered().title(title);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.height < 2 || inner.width < 10 {
        return;
    }
    let width = usize::from(inner.width);
    let with_namespace = list.group != GroupBy::Namespace && width >= 60;
    let columns = Columns::new(width, with_namespace);
    let height = usize::from(inner.height) - 1;
    let rows = list.rows();
    let offset = follow(list.offset.get(), list.selected_row(), height, rows.len());
    list.offset.set(offset);
    let mut lines = Vec::with_capacity(height + 1);
    lines.push(heading(&columns, theme, width));
    if rows.is_empty() {
        lines.push(Line::styled(
            "  no issue matches the filter (esc clears it)",
            theme.dim(),
        ));
    }
    let observed = state.observed_at.as_deref().and_then(|t| t.parse().ok());
    for (i, row) in rows.iter().enumerate().skip(offset).take(height) {
        let selected = i == list.selected_row();
        lines.push(match row {
            Row::Group { label, count } => {
                Line::styled(fit(&format!("▾ {label} ({count})"), width), theme.heading())
            }
            Row::Issue { entry, tree } => issue_line(
                state, theme, &columns, *entry, tree, observed, selected, width,
            ),
        });
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

fn heading(columns: &Columns, theme: Theme, width: usize) -> Line<'static> {
    let mut text = String::from("  SEV   ");
    if columns.namespace > 0 {
        text.push_str(&gap(fit("NAMESPACE", columns.namespace - 1)));
    }
    text.push_str(&gap(fit("OBJECT", columns.object)));
    text.push_str(&fit("CHECK", columns.check));
    text.push_str(&fit_right("AGE", 5));
    Line::styled(fit(&text, width), theme.dim())
}

#[allow(clippy::too_many_arguments)] // One row's inputs; a struct would only rename them.
fn issue_line<'a>(
    state: &'a State,
    theme: Theme,
    columns: &Columns,
    entry: Entry,
    tree: &str,
    observed: Option<Timestamp>,
    selected: bool,
    width: usize,
) -> Line<'a> {
    let list = &state.list;
    let issue = list.issue(entry);
    let resolved = matches!(entry, Entry::Resolved(_));
    // The cursor is drawn in text too: reverse video is not the only sign.
    let cursor = if selected { "›" } else { " " };
    let (mark, mark_style) = if resolved {
        ("-", theme.resolved())
    } else if list.is_new(issue.fingerprint) {
        ("+", theme.new_issue())
    } else {
        (" ", Style::new())
    };
    let root = &issue.root;
    let object = format!("{tree}{}/{}", root.kind, clean(&root.name));
    let age = match (observed, list.last_seen(entry)) {
        (Some(now), Some(then)) => age(now, then),
        _ => String::new(),
    };
    let mut spans = vec![
        Span::raw(cursor),
        Span::styled(mark, mark_style),
        Span::styled(
            fit(severity_label(issue.severity), 6),
            theme.severity(issue.severity),
        ),
    ];
    if columns.namespace > 0 {
        let namespace = root.namespace.as_deref().unwrap_or("-");
        spans.push(Span::raw(gap(fit(
            &clean(namespace),
            columns.namespace - 1,
        ))));
    }
    spans.push(Span::raw(gap(fit(&object, columns.object))));
    let check_style = if resolved {
        theme.resolved()
    } else {
        theme.dim()
    };
    spans.push(Span::styled(
        fit(issue.check.as_str(), columns.check),
        check_style,
    ));
    spans.push(Span::raw(fit_right(&age, 5)));
    let used: usize = spans.iter().map(|s| super::text::width(&s.content)).sum();
    if used < width {
        spans.push(Span::raw(" ".repeat(width - used)));
    }
    let line = Line::from(spans);
    if selected {
        line.style(theme.selected())
    } else {
        line
    }
}

/// A column's text with the space that separates it from the next.
fn gap(mut text: String) -> String {
    text.push(' ');
    text
}

/// How long before `now` `then` was, as kubectl prints ages: `42s`, `5m`, `3h`, `2d`.
#[must_use]
pub fn age(now: Timestamp, then: Timestamp) -> String {
    let secs = now.as_second().saturating_sub(then.as_second()).max(0);
    match secs {
        0..60 => format!("{secs}s"),
        60..3_600 => format!("{}m", secs / 60),
        3_600..86_400 => format!("{}h", secs / 3_600),
        _ => format!("{}d", secs / 86_400),
    }
}
