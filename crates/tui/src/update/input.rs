//! The status line's editor: `/` filters as it is typed, `:` runs a command on `enter`, and a
//! chat message is sent on `enter`. `esc` puts back what was there before.

use kubewhy_analyzers::Filter;
use kubewhy_engine::SourceSpec;
use kubewhy_model::Severity;

use super::{assist, refresh};
use crate::{
    action::{Action, Effect},
    filter::ListFilter,
    state::{GroupBy, Input, InputKind, SortKey, State},
};

pub(super) fn update(state: &mut State, action: &Action) -> Vec<Effect> {
    match action {
        Action::StartFilter => {
            let text = state.list.filter.describe();
            start(state, InputKind::Filter, text);
            Vec::new()
        }
        Action::StartCommand => {
            start(state, InputKind::Command, String::new());
            Vec::new()
        }
        Action::Type(c) => {
            if let Some(input) = &mut state.input {
                input.text.push(*c);
            }
            live_filter(state);
            Vec::new()
        }
        Action::Erase => {
            if let Some(input) = &mut state.input {
                input.text.pop();
            }
            live_filter(state);
            Vec::new()
        }
        Action::Cancel => {
            if let Some(input) = state.input.take()
                && input.kind == InputKind::Filter
            {
                set_text_filter(state, &input.saved);
            }
            Vec::new()
        }
        Action::Submit => match state.input.take() {
            Some(Input {
                kind: InputKind::Filter,
                text,
                ..
            }) => submit_filter(state, &text),
            Some(Input {
                kind: InputKind::Command,
                text,
                ..
            }) => command(state, text.trim()),
            Some(Input {
                kind: InputKind::Chat,
                text,
                ..
            }) => assist::send_chat(state, text.trim()),
            None => Vec::new(),
        },
        _ => Vec::new(),
    }
}

fn start(state: &mut State, kind: InputKind, text: String) {
    state.note = None;
    state.input = Some(Input {
        kind,
        saved: text.clone(),
        text,
    });
}

/// The filter's text applies as it is typed; its selector waits for `enter`.
fn live_filter(state: &mut State) {
    if let Some(Input {
        kind: InputKind::Filter,
        text,
        ..
    }) = &state.input
    {
        let text = text.clone();
        set_text_filter(state, &text);
    }
}

fn set_text_filter(state: &mut State, text: &str) {
    // A selector half typed (`-l app=`) does not parse yet: filter by the words before it.
    let parsed = ListFilter::parse(text).unwrap_or_else(|_| {
        let words: Vec<&str> = text
            .split_whitespace()
            .take_while(|w| !w.starts_with("-l"))
            .collect();
        ListFilter::parse(&words.join(" ")).unwrap_or_default()
    });
    let list = &mut state.list;
    if list.filter.text != parsed.text || list.filter.invert != parsed.invert {
        list.filter.text = parsed.text;
        list.filter.invert = parsed.invert;
        list.rebuild();
    }
}

fn submit_filter(state: &mut State, text: &str) -> Vec<Effect> {
    let parsed = match ListFilter::parse(text) {
        Ok(parsed) => parsed,
        Err(e) => {
            state.complain(e.to_string());
            return Vec::new();
        }
    };
    let selector_changed = parsed.selector != state.list.filter.selector;
    state.list.filter = parsed;
    state.list.rebuild();
    if selector_changed {
        state
            .options
            .scope
            .selector
            .clone_from(&state.list.filter.selector);
        let what = state
            .list
            .filter
            .selector
            .as_deref()
            .map_or_else(|| "all labels".to_owned(), |s| format!("-l {s}"));
        state.say(format!("reading {what}"));
        return refresh(state);
    }
    Vec::new()
}

/// Runs a `:` command.
fn command(state: &mut State, line: &str) -> Vec<Effect> {
    let (name, arg) = line
        .split_once(char::is_whitespace)
        .map_or((line, ""), |(n, a)| (n, a.trim()));
    match name {
        "" => Vec::new(),
        "q" | "q!" | "quit" | "exit" => {
            state.quit = true;
            Vec::new()
        }
        "help" | "h" => update_help(state),
        "ns" | "namespace" => namespace(state, arg),
        "ctx" | "context" => context(state, arg),
        "check" | "checks" => check(state, arg),
        "severity" | "sev" => severity(state, arg),
        "sort" => match SortKey::parse(arg) {
            Some(key) => super::sort_by(state, key),
            None => complain(state, "expected :sort severity|namespace|kind|age"),
        },
        "group" => match GroupBy::parse(arg) {
            Some(group) => super::group_by(state, group),
            None => complain(state, "expected :group namespace|severity|none"),
        },
        "backend" => {
            if state.settings.backend.is_none() {
                state.say(crate::llm::NO_BACKEND);
            } else {
                state.complain(format!(
                    "switching backends from the TUI is not supported yet; restart with --backend {arg}"
                ));
            }
            Vec::new()
        }
        other => complain(
            state,
            &format!("unknown command `:{other}`; `?` lists the commands"),
        ),
    }
}

fn update_help(state: &mut State) -> Vec<Effect> {
    super::update(state, Action::Help)
}

fn complain(state: &mut State, text: &str) -> Vec<Effect> {
    state.complain(text);
    Vec::new()
}

fn namespace(state: &mut State, arg: &str) -> Vec<Effect> {
    let namespace = match arg {
        "" => return complain(state, "expected :ns NAME, or :ns all"),
        "all" | "-A" | "*" => None,
        name => Some(name.to_owned()),
    };
    state.options.scope.namespace.clone_from(&namespace);
    state.say(format!(
        "reading namespace {}",
        namespace.as_deref().unwrap_or("all")
    ));
    refresh(state)
}

fn context(state: &mut State, arg: &str) -> Vec<Effect> {
    if arg.is_empty() {
        return complain(state, "expected :ctx NAME");
    }
    let SourceSpec::Live {
        kubeconfig,
        connection,
        ..
    } = &state.spec
    else {
        let what = state.source_kind();
        return complain(
            state,
            &format!("the {what} source has no kubeconfig contexts; :ctx works on clusters"),
        );
    };
    state.spec = SourceSpec::Live {
        kubeconfig: kubeconfig.clone(),
        contexts: vec![arg.to_owned()],
        connection: connection.clone(),
    };
    state.context = None;
    state.loaded = false;
    state.list = crate::state::IssueList::default();
    state.run = crate::state::RunStatus::Opening;
    state.say(format!("connecting to context {arg}"));
    vec![Effect::Reopen(state.spec.clone(), state.options.clone())]
}

fn check(state: &mut State, arg: &str) -> Vec<Effect> {
    let only: Vec<String> = match arg {
        "" => return complain(state, "expected :check ID|CATEGORY[,...], or :check all"),
        "all" => Vec::new(),
        ids => ids
            .split([',', ' '])
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
    };
    let filter = Filter {
        only,
        ..state.options.filter.clone()
    };
    if let Some(name) = filter.unknown_names().first() {
        let text = format!("unknown check or category `{name}`; `kubewhy checks` lists them");
        return complain(state, &text);
    }
    state.options.filter = filter;
    state.say(if arg == "all" {
        "running every check".to_owned()
    } else {
        format!("running {arg}")
    });
    refresh(state)
}

fn severity(state: &mut State, arg: &str) -> Vec<Effect> {
    let min = match arg {
        "all" | "" => None,
        level => match level.parse::<Severity>() {
            Ok(s) => Some(s),
            Err(e) => return complain(state, &e),
        },
    };
    state.list.min_severity = min;
    state.list.rebuild();
    state.say(min.map_or_else(
        || "showing every severity".to_owned(),
        |s| format!("showing {s} and worse"),
    ));
    Vec::new()
}
