//! `update(state, action) -> effects`: the only place the state changes. It never blocks and
//! never awaits; work that takes time is an [`Effect`] the runtime carries out, and its result
//! comes back as another [`Action`].

mod assist;
mod engine;
mod input;
mod views;

use crate::{
    action::{Action, Effect},
    state::{Overlay, Pane, Screen, Scroll, State},
};

/// How many lines a page is, for `ctrl-f` and `ctrl-b`. The view shows at least this many.
pub const PAGE: isize = 10;

/// Applies an action; returns the work it starts.
pub fn update(state: &mut State, action: Action) -> Vec<Effect> {
    match action {
        Action::Up => move_by(state, -1),
        Action::Down => move_by(state, 1),
        Action::PageUp => move_by(state, -PAGE),
        Action::PageDown => move_by(state, PAGE),
        Action::Top => move_by(state, isize::MIN),
        Action::Bottom => move_by(state, isize::MAX),
        Action::Open => open(state),
        Action::Back => back(state),
        Action::SwitchPane => {
            if state.screen == Screen::Detail {
                state.pane = match state.pane {
                    Pane::Detail => Pane::Explanation,
                    Pane::Explanation => Pane::Detail,
                };
            }
            Vec::new()
        }
        Action::StartFilter
        | Action::StartCommand
        | Action::Type(_)
        | Action::Erase
        | Action::Submit
        | Action::Cancel => input::update(state, &action),
        Action::Help => {
            state.overlay = Some(Overlay::Help);
            state.scroll[Scroll::Overlay as usize] = 0;
            Vec::new()
        }
        Action::Describe | Action::Yaml | Action::Logs { .. } => views::open(state, &action),
        Action::CopyFix => copy_fix(state),
        Action::Refresh => refresh(state),
        Action::ToggleWatch => toggle_watch(state),
        Action::CycleSort => {
            let sort = state.list.sort.next();
            sort_by(state, sort)
        }
        Action::CycleGroup => {
            let group = state.list.group.next();
            group_by(state, group)
        }
        Action::Explain
        | Action::Regenerate
        | Action::Chat
        | Action::Preview
        | Action::Llm { .. } => assist::update(state, action),
        Action::Quit => {
            state.quit = true;
            Vec::new()
        }
        Action::Tick => tick(state),
        Action::Opened { .. }
        | Action::OpenFailed(_)
        | Action::Engine(_)
        | Action::Described(_)
        | Action::YamlLoaded(_) => engine::update(state, action),
    }
}

fn toggle_watch(state: &mut State) -> Vec<Effect> {
    state.watch.on = !state.watch.on;
    state.watch.elapsed = 0;
    let secs = state.settings.watch_secs;
    state.say(if state.watch.on {
        format!("auto-refresh on: a run every {secs} s; new and resolved issues are marked")
    } else {
        "auto-refresh off".to_owned()
    });
    Vec::new()
}

/// Sorts the list (`s`, `:sort`).
pub(crate) fn sort_by(state: &mut State, sort: crate::state::SortKey) -> Vec<Effect> {
    state.list.sort = sort;
    state.list.rebuild();
    state.say(format!("sorted by {}", sort.as_str()));
    Vec::new()
}

/// Groups the list (`b`, `:group`).
pub(crate) fn group_by(state: &mut State, group: crate::state::GroupBy) -> Vec<Effect> {
    state.list.group = group;
    state.list.rebuild();
    state.say(format!("grouped by {}", group.as_str()));
    Vec::new()
}

/// Moves the selection in the list, or scrolls the focused pane or the overlay.
fn move_by(state: &mut State, delta: isize) -> Vec<Effect> {
    let lines = i32::try_from(delta.clamp(-100_000, 100_000)).unwrap_or(0);
    if state.overlay.is_some() {
        scroll(state, Scroll::Overlay, delta, lines);
        return Vec::new();
    }
    if state.screen == Screen::Detail {
        let which = match state.pane {
            Pane::Detail => Scroll::Detail,
            Pane::Explanation => Scroll::Explanation,
        };
        scroll(state, which, delta, lines);
        return Vec::new();
    }
    let before = state.list.selected_fingerprint();
    match delta {
        isize::MIN => state.list.top(),
        isize::MAX => state.list.bottom(),
        _ => state.list.move_by(delta),
    }
    if state.list.selected_fingerprint() == before {
        return Vec::new();
    }
    state.scroll[Scroll::Detail as usize] = 0;
    state.scroll[Scroll::Explanation as usize] = 0;
    assist::selection_changed(state)
}

fn scroll(state: &mut State, which: Scroll, delta: isize, lines: i32) {
    match delta {
        isize::MIN => state.scroll[which as usize] = 0,
        // The view clamps the offset to the text.
        isize::MAX => state.scroll[which as usize] = u16::MAX,
        _ => state.scroll_by(which, lines),
    }
}

fn open(state: &mut State) -> Vec<Effect> {
    if state.overlay.is_some() {
        return Vec::new();
    }
    if matches!(state.run, crate::state::RunStatus::Failed(_)) && !state.loaded {
        return refresh(state);
    }
    if state.list.selected().is_none() {
        return Vec::new();
    }
    state.screen = Screen::Detail;
    state.pane = Pane::Detail;
    state.scroll[Scroll::Detail as usize] = 0;
    if state.settings.auto_explain && state.settings.backend.is_some() {
        return assist::update(state, Action::Explain);
    }
    Vec::new()
}

fn back(state: &mut State) -> Vec<Effect> {
    if state.overlay.take().is_some() {
        state.scroll[Scroll::Overlay as usize] = 0;
    } else if state.assist.chat_open {
        state.assist.chat_open = false;
    } else if state.screen == Screen::Detail {
        state.screen = Screen::List;
    } else if !state.list.filter.is_empty() || state.list.filter.selector.is_some() {
        state.list.filter.text.clear();
        state.list.filter.invert = false;
        state.list.rebuild();
        if state.list.filter.selector.take().is_some() {
            state.options.scope.selector = None;
            return refresh(state);
        }
    }
    state.note = None;
    Vec::new()
}

fn copy_fix(state: &mut State) -> Vec<Effect> {
    let Some((issue, _)) = state.list.selected() else {
        state.complain("no issue selected");
        return Vec::new();
    };
    if let Some(fix) = issue.fix.clone() {
        state.say(format!("copied to the clipboard (OSC 52): {fix}"));
        vec![Effect::Copy(fix)]
    } else {
        state.complain("this issue has no fix command; its fix is in the detail");
        Vec::new()
    }
}

/// Drops the run in flight and starts a new one.
pub(crate) fn refresh(state: &mut State) -> Vec<Effect> {
    state.list.begin_refresh();
    state.run = if state.context.is_some() || state.loaded {
        crate::state::RunStatus::Running(None)
    } else {
        crate::state::RunStatus::Opening
    };
    state.watch.elapsed = 0;
    vec![Effect::Run(state.options.clone())]
}

fn tick(state: &mut State) -> Vec<Effect> {
    state.watch.elapsed += 1;
    if state.watch.on
        && state.watch.elapsed >= state.settings.watch_secs.max(1)
        && !state.run.in_flight()
    {
        return refresh(state);
    }
    Vec::new()
}

#[cfg(test)]
mod tests;
