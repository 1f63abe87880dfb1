//! `render(&state, frame)`: draws the state and nothing else. It reads, never awaits, never
//! blocks, and touches only the rows in sight, so a frame costs the same with ten issues or ten
//! thousand.
//!
//! ```text
//! header   context · namespace · source · backend · counts by severity · observed · run
//! body     list | detail (+ explanation) | placeholder or error, with an overlay on top
//! status   what is being typed, or the latest message
//! footer   the keys that work here
//! ```

mod chrome;
mod detail;
mod explain;
mod list;
mod overlay;
pub mod text;
pub mod theme;

use ratatui::{
    Frame,
    layout::{Constraint, Layout, Rect},
};

use crate::state::{Pane, RunStatus, Screen, State};
use theme::Theme;

/// Width from which the list shows the selected issue's detail beside it.
const WIDE_LIST: u16 = 140;
/// Width from which the detail and the explanation sit side by side.
const WIDE_DETAIL: u16 = 120;

/// Draws the whole screen.
pub fn render(state: &State, frame: &mut Frame<'_>) {
    let theme = Theme::new(state.settings.color);
    let [header, body, status, footer] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Fill(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(frame.area());
    chrome::header(state, theme, frame, header);
    body_view(state, theme, frame, body);
    if let Some(overlay) = &state.overlay {
        overlay::render(state, overlay, theme, frame, body);
    }
    chrome::status(state, theme, frame, status);
    chrome::footer(state, theme, frame, footer);
}

fn body_view(state: &State, theme: Theme, frame: &mut Frame<'_>, area: Rect) {
    if !state.loaded {
        chrome::placeholder(state, theme, frame, area);
        return;
    }
    match state.screen {
        Screen::List => {
            if area.width >= WIDE_LIST {
                let [left, right] =
                    Layout::horizontal([Constraint::Percentage(60), Constraint::Percentage(40)])
                        .areas(area);
                list::render(state, theme, frame, left);
                detail::render(state, theme, frame, right, false);
            } else {
                list::render(state, theme, frame, area);
            }
        }
        Screen::Detail => {
            let layout = if area.width >= WIDE_DETAIL {
                Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)])
            } else {
                Layout::vertical([Constraint::Percentage(55), Constraint::Percentage(45)])
            };
            let [first, second] = layout.areas(area);
            detail::render(state, theme, frame, first, state.pane == Pane::Detail);
            explain::render(state, theme, frame, second, state.pane == Pane::Explanation);
        }
    }
}

/// A short description of the run's state, for the header.
#[must_use]
pub fn run_label(run: &RunStatus) -> String {
    match run {
        RunStatus::Opening => "connecting…".to_owned(),
        RunStatus::Running(None) => "running…".to_owned(),
        RunStatus::Running(Some(step)) => step.clone(),
        RunStatus::Logs => "fetching log tails…".to_owned(),
        RunStatus::Done => "up to date".to_owned(),
        RunStatus::Cancelled => "run cancelled".to_owned(),
        RunStatus::Failed(_) => "run failed".to_owned(),
    }
}

/// Keeps `offset` so that `selected` is among the `height` rows from it.
#[must_use]
pub fn follow(offset: usize, selected: usize, height: usize, len: usize) -> usize {
    if height == 0 {
        return 0;
    }
    let mut offset = offset.min(len.saturating_sub(height));
    if selected < offset {
        offset = selected;
    } else if selected >= offset + height {
        offset = selected + 1 - height;
    }
    offset
}

/// A scroll offset clamped so that the last line stays in sight.
#[must_use]
pub fn clamp_scroll(scroll: u16, lines: usize, height: u16) -> u16 {
    let max = lines.saturating_sub(usize::from(height).max(1));
    u16::try_from(usize::from(scroll).min(max)).unwrap_or(u16::MAX)
}
