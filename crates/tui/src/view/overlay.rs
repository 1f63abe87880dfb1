//! Views drawn over the body: the help, the describe view, text (YAML, log tails) and the
//! payload preview. Each scrolls with `j`/`k` and closes with `esc`.

use kubewhy_model::FocusContext;
use ratatui::{
    Frame,
    layout::Rect,
    text::{Line, Span},
    widgets::{Block, Clear, Paragraph, Wrap},
};

use super::{clamp_scroll, text::clean, theme::Theme};
use crate::{
    keys::{BINDINGS, COMMANDS},
    state::{Describe, Overlay, Scroll, State, TextView},
};

pub(super) fn render(
    state: &State,
    overlay: &Overlay,
    theme: Theme,
    frame: &mut Frame<'_>,
    area: Rect,
) {
    let (title, lines) = match overlay {
        Overlay::Help => (" Help · every key ".to_owned(), help(theme)),
        Overlay::Describe(describe) => describe_view(describe, theme),
        Overlay::Text(view) => (format!(" {} ", view.title), text(view, theme)),
        Overlay::Preview => {
            let lines = match &state.assist.preview {
                Some(payload) => payload
                    .lines()
                    .map(|l| Line::raw(clean(l).into_owned()))
                    .collect(),
                None => vec![Line::styled("waiting for the payload…", theme.dim())],
            };
            (
                " Preview · what would be sent (scrubbed) ".to_owned(),
                lines,
            )
        }
    };
    let area = inset(area);
    frame.render_widget(Clear, area);
    let block = Block::bordered().title(title).border_style(theme.focused());
    let inner = block.inner(area);
    let scroll = clamp_scroll(state.scroll(Scroll::Overlay), lines.len(), inner.height);
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0)),
        area,
    );
}

/// The body less a margin, where there is room for one.
fn inset(area: Rect) -> Rect {
    let dx = if area.width >= 100 { 4 } else { 0 };
    let dy = u16::from(area.height >= 30);
    Rect {
        x: area.x + dx,
        y: area.y + dy,
        width: area.width.saturating_sub(2 * dx),
        height: area.height.saturating_sub(2 * dy),
    }
}

fn help(theme: Theme) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    for (key, what) in BINDINGS {
        out.push(Line::from(vec![
            Span::styled(format!("{key:<22}"), theme.key()),
            Span::raw(*what),
        ]));
    }
    out.push(Line::raw(""));
    out.push(Line::styled("Commands (after :)", theme.heading()));
    for (command, what) in COMMANDS {
        out.push(Line::from(vec![
            Span::styled(format!("{command:<22}"), theme.key()),
            Span::raw(*what),
        ]));
    }
    out.push(Line::raw(""));
    out.push(Line::styled(
        "Read-only: kubewhy never changes the cluster; a fix is shown and copied, never run.",
        theme.dim(),
    ));
    out
}

fn text(view: &TextView, theme: Theme) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    if let Some(note) = &view.note {
        out.push(Line::styled(note.clone(), theme.dim()));
        out.push(Line::raw(""));
    }
    for (i, line) in view.lines.iter().enumerate() {
        let line = clean(line).into_owned();
        out.push(if view.marked.contains(&i) {
            Line::styled(format!("▶ {line}"), theme.marked())
        } else {
            Line::raw(format!("  {line}"))
        });
    }
    out
}

fn describe_view(describe: &Describe, theme: Theme) -> (String, Vec<Line<'static>>) {
    match describe {
        Describe::Loading(object) => (
            format!(" Describe · {object} "),
            vec![Line::styled(format!("reading {object}…"), theme.dim())],
        ),
        Describe::Failed(object, error) => (
            format!(" Describe · {object} "),
            vec![Line::styled(
                format!("cannot describe {object}: {error}"),
                theme.error(),
            )],
        ),
        Describe::Ready(context) => (
            format!(" Describe · {} ", context.object),
            describe_lines(context, theme),
        ),
    }
}

fn describe_lines(c: &FocusContext, theme: Theme) -> Vec<Line<'static>> {
    let field = |name: &str, value: String| {
        Line::from(vec![
            Span::styled(format!("{name:<12}"), theme.dim()),
            Span::raw(value),
        ])
    };
    let object = &c.object;
    let mut out = vec![
        field("Name:", object.name.clone()),
        field(
            "Namespace:",
            object.namespace.clone().unwrap_or_else(|| "-".to_owned()),
        ),
        field("Kind:", object.kind.clone()),
        field("API:", object.api_version.clone()),
    ];
    if !c.owners.is_empty() {
        let owners: Vec<String> = c.owners.iter().map(ToString::to_string).collect();
        out.push(field("Owners:", owners.join(" → ")));
    }
    pods_and_states(&mut out, c, theme);
    for (title, refs) in [("Routes", &c.routes), ("Claims", &c.claims)] {
        if !refs.is_empty() {
            out.push(section(theme, title));
            out.extend(refs.iter().map(|r| Line::raw(format!("  {r}"))));
        }
    }
    out.push(section(theme, "Events"));
    if c.events.is_empty() {
        out.push(Line::styled("  <none>", theme.dim()));
    }
    for e in &c.events {
        out.push(Line::raw(format!(
            "  {:<8} {:<20} ×{:<3} {}: {}",
            e.type_,
            e.reason,
            e.count,
            e.object,
            clean(&e.message)
        )));
    }
    out.push(field("Issues:", c.issues.len().to_string()));
    out
}

fn section(theme: Theme, title: &str) -> Line<'static> {
    Line::styled(format!("{title}:"), theme.heading())
}

/// Pods, conditions and container states, as `kubectl describe` lists them.
fn pods_and_states(out: &mut Vec<Line<'static>>, c: &FocusContext, theme: Theme) {
    if !c.pods.is_empty() {
        let count = c.pod_count.max(c.pods.len());
        out.push(section(theme, &format!("Pods ({count})")));
        for p in &c.pods {
            let node = p.node.as_deref().unwrap_or("-");
            out.push(Line::raw(format!(
                "  {:<40} {:<10} {:<5} restarts {:<4} node {node}",
                p.name, p.phase, p.ready, p.restarts
            )));
        }
    }
    if !c.conditions.is_empty() {
        out.push(section(theme, "Conditions"));
        for k in &c.conditions {
            let reason = k.reason.as_deref().unwrap_or("");
            let message = k.message.as_deref().map(clean).unwrap_or_default();
            out.push(Line::raw(format!(
                "  {} {}={} {reason} {message}",
                k.object, k.type_, k.status
            )));
        }
    }
    if !c.containers.is_empty() {
        out.push(section(theme, "Containers"));
        for k in &c.containers {
            let reason = k.reason.as_deref().unwrap_or("");
            out.push(Line::raw(format!(
                "  {}/{} {} {reason} restarts {}",
                k.pod, k.container, k.state, k.restarts
            )));
        }
    }
}
