//! Keys to actions, as k9s users expect them. `ctrl-d` deletes in k9s: kubewhy binds nothing
//! to it. [`BINDINGS`] and [`COMMANDS`] are the help's text, kept beside the mapping so that
//! the two agree.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use crate::{action::Action, state::State};

/// Every key, as the help lists them.
pub const BINDINGS: &[(&str, &str)] = &[
    (
        "j / k, ↓ / ↑",
        "move (in the detail: scroll the focused pane)",
    ),
    ("g / G, home / end", "first / last"),
    ("ctrl-f / ctrl-b", "page down / up (ctrl-d is never bound)"),
    ("enter", "open the issue (on an error: retry)"),
    (
        "esc",
        "back: close the view, leave the detail, clear the filter",
    ),
    (
        "tab",
        "detail: switch between the detail and the explanation",
    ),
    ("/", "filter: text, !text to invert, -l app=x for labels"),
    (":", "command (below)"),
    ("?", "this help"),
    ("x", "explain the issue"),
    ("r", "regenerate the explanation, skipping the cache"),
    ("c", "follow-up chat about the issue"),
    ("P", "preview what would be sent to the backend (scrubbed)"),
    ("d", "describe the issue's object"),
    ("y", "the object's YAML (Secrets never shown)"),
    ("l / p", "log tail of the current / previous instance"),
    ("ctrl-y", "copy the fix command (OSC 52)"),
    (
        "ctrl-r",
        "refresh: drop the run in flight and start a new one",
    ),
    (
        "w",
        "auto-refresh on/off; + new and - resolved issues marked",
    ),
    ("s / b", "cycle the sort / the grouping"),
    ("q, ctrl-c", "quit"),
];

/// Every `:` command, as the help lists them.
pub const COMMANDS: &[(&str, &str)] = &[
    (":ns NAME, :ns all", "read one namespace, or all"),
    (":ctx NAME", "switch to another kubeconfig context"),
    (
        ":check ID,...",
        "run only these checks or categories (:check all)",
    ),
    (
        ":severity LEVEL",
        "hide issues below critical|error|warning|info (all)",
    ),
    (":sort KEY", "severity, namespace, kind or age"),
    (":group KEY", "namespace, severity or none"),
    (":backend NAME", "the LLM backend to explain with"),
    (":q", "quit"),
];

/// The action a key stands for here, if any.
#[must_use]
pub fn action(state: &State, key: KeyEvent) -> Option<Action> {
    if !matches!(key.kind, KeyEventKind::Press | KeyEventKind::Repeat) {
        return None;
    }
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    if ctrl && key.code == KeyCode::Char('c') {
        return Some(Action::Quit);
    }
    if state.input.is_some() {
        return match key.code {
            KeyCode::Esc => Some(Action::Cancel),
            KeyCode::Enter => Some(Action::Submit),
            KeyCode::Backspace => Some(Action::Erase),
            KeyCode::Char(c) if !ctrl => Some(Action::Type(c)),
            _ => None,
        };
    }
    if ctrl {
        return match key.code {
            KeyCode::Char('f') => Some(Action::PageDown),
            KeyCode::Char('b') => Some(Action::PageUp),
            KeyCode::Char('r') => Some(Action::Refresh),
            KeyCode::Char('y') => Some(Action::CopyFix),
            // ctrl-d deletes in k9s; here it does nothing, on purpose.
            _ => None,
        };
    }
    Some(match key.code {
        KeyCode::Char('j') | KeyCode::Down => Action::Down,
        KeyCode::Char('k') | KeyCode::Up => Action::Up,
        KeyCode::Char('g') | KeyCode::Home => Action::Top,
        KeyCode::Char('G') | KeyCode::End => Action::Bottom,
        KeyCode::PageDown => Action::PageDown,
        KeyCode::PageUp => Action::PageUp,
        KeyCode::Enter => Action::Open,
        KeyCode::Esc => Action::Back,
        KeyCode::Tab => Action::SwitchPane,
        KeyCode::Char('/') => Action::StartFilter,
        KeyCode::Char(':') => Action::StartCommand,
        KeyCode::Char('?') => Action::Help,
        KeyCode::Char('x') => Action::Explain,
        KeyCode::Char('r') => Action::Regenerate,
        KeyCode::Char('c') => Action::Chat,
        KeyCode::Char('P') => Action::Preview,
        KeyCode::Char('d') => Action::Describe,
        KeyCode::Char('y') => Action::Yaml,
        KeyCode::Char('l') => Action::Logs { previous: false },
        KeyCode::Char('p') => Action::Logs { previous: true },
        KeyCode::Char('w') => Action::ToggleWatch,
        KeyCode::Char('s') => Action::CycleSort,
        KeyCode::Char('b') => Action::CycleGroup,
        KeyCode::Char('q') => Action::Quit,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use kubewhy_engine::{Options, SourceSpec};

    use super::*;
    use crate::state::{Input, InputKind, Settings};

    fn key(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, modifiers)
    }

    #[test]
    fn k9s_keys_map_and_ctrl_d_does_nothing() {
        let state = State::new(SourceSpec::Demo, Options::default(), Settings::default());
        let none = KeyModifiers::NONE;
        assert!(matches!(
            action(&state, key(KeyCode::Char('j'), none)),
            Some(Action::Down)
        ));
        assert!(matches!(
            action(&state, key(KeyCode::Char('G'), KeyModifiers::SHIFT)),
            Some(Action::Bottom)
        ));
        assert!(matches!(
            action(&state, key(KeyCode::Char('f'), KeyModifiers::CONTROL)),
            Some(Action::PageDown)
        ));
        assert!(matches!(
            action(&state, key(KeyCode::Char('r'), KeyModifiers::CONTROL)),
            Some(Action::Refresh)
        ));
        assert!(action(&state, key(KeyCode::Char('d'), KeyModifiers::CONTROL)).is_none());
        assert!(matches!(
            action(&state, key(KeyCode::Char('d'), none)),
            Some(Action::Describe)
        ));
        assert!(matches!(
            action(&state, key(KeyCode::Char('p'), none)),
            Some(Action::Logs { previous: true })
        ));
    }

    #[test]
    fn typing_goes_to_the_status_line_and_ctrl_c_still_quits() {
        let mut state = State::new(SourceSpec::Demo, Options::default(), Settings::default());
        state.input = Some(Input {
            kind: InputKind::Filter,
            text: String::new(),
            saved: String::new(),
        });
        let none = KeyModifiers::NONE;
        assert!(matches!(
            action(&state, key(KeyCode::Char('q'), none)),
            Some(Action::Type('q'))
        ));
        assert!(matches!(
            action(&state, key(KeyCode::Esc, none)),
            Some(Action::Cancel)
        ));
        assert!(matches!(
            action(&state, key(KeyCode::Char('c'), KeyModifiers::CONTROL)),
            Some(Action::Quit)
        ));
    }
}
