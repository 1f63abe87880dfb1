//! `x`, `r`, `c` and `P`, and the answers that stream back. With no backend configured, each
//! says so and the explanation pane shows the catalog's explanation. Moving to another issue
//! drops a request that is no longer wanted; an answer to a request that is not the newest is
//! dropped when it arrives.

use crate::{
    action::{Action, Effect},
    llm::{ChatRole, ChatTurn, LlmRequest, NO_BACKEND},
    state::{
        Explanation, InputKind, Overlay, Pane, Pending, RequestKind, Screen, Scroll, State, Status,
    },
};

pub(super) fn update(state: &mut State, action: Action) -> Vec<Effect> {
    match action {
        Action::Explain => explain(state, false),
        Action::Regenerate => explain(state, true),
        Action::Chat => chat(state),
        Action::Preview => preview(state),
        Action::Llm { id, event } => {
            state.assist.apply(id, event);
            Vec::new()
        }
        _ => Vec::new(),
    }
}

/// Shows the catalog's explanation of the selected issue, saying why.
fn offline(state: &mut State) -> Vec<Effect> {
    let Some(fingerprint) = state.list.selected_fingerprint() else {
        state.complain("no issue selected");
        return Vec::new();
    };
    state.say(NO_BACKEND);
    state.screen = Screen::Detail;
    state.pane = Pane::Explanation;
    state.assist.chat_open = false;
    state.assist.explanation = Explanation {
        fingerprint: Some(fingerprint),
        ..Explanation::default()
    };
    Vec::new()
}

/// Starts a request about the selected issue, dropping the one in flight.
fn send(state: &mut State, kind: RequestKind, request: LlmRequest) -> Vec<Effect> {
    let Some(fingerprint) = state.list.selected_fingerprint() else {
        return Vec::new();
    };
    // The newest request wins: an explanation it cuts off goes back to the offline one.
    let replaced = state.assist.pending.map(|p| p.kind);
    if replaced == Some(RequestKind::Explain) && kind != RequestKind::Explain {
        state.assist.explanation = Explanation {
            fingerprint: state.assist.explanation.fingerprint,
            ..Explanation::default()
        };
    }
    let id = state.assist.next_id();
    state.assist.pending = Some(Pending {
        id,
        kind,
        fingerprint,
    });
    vec![Effect::Llm { id, request }]
}

fn explain(state: &mut State, fresh: bool) -> Vec<Effect> {
    if state.settings.backend.is_none() {
        return offline(state);
    }
    let Some((issue, _)) = state.list.selected() else {
        state.complain("no issue selected");
        return Vec::new();
    };
    let request = LlmRequest::Explain {
        issue: Box::new(issue.clone()),
        fresh,
    };
    state.assist.explanation = Explanation {
        fingerprint: Some(issue.fingerprint),
        text: String::new(),
        status: Status::Streaming,
    };
    state.assist.chat_open = false;
    state.screen = Screen::Detail;
    state.pane = Pane::Explanation;
    state.scroll[Scroll::Explanation as usize] = 0;
    state.say(if fresh {
        "regenerating the explanation, skipping the cache"
    } else {
        "explaining"
    });
    send(state, RequestKind::Explain, request)
}

fn chat(state: &mut State) -> Vec<Effect> {
    if state.settings.backend.is_none() {
        return offline(state);
    }
    if state.list.selected().is_none() {
        state.complain("no issue selected");
        return Vec::new();
    }
    state.screen = Screen::Detail;
    state.pane = Pane::Explanation;
    state.assist.chat_open = true;
    state.note = None;
    state.input = Some(crate::state::Input {
        kind: InputKind::Chat,
        text: String::new(),
        saved: String::new(),
    });
    Vec::new()
}

/// Sends a chat message about the selected issue, with the conversation so far.
pub(super) fn send_chat(state: &mut State, question: &str) -> Vec<Effect> {
    if question.is_empty() {
        return Vec::new();
    }
    let Some((issue, _)) = state.list.selected() else {
        return Vec::new();
    };
    let issue = Box::new(issue.clone());
    let pane = &state.assist.explanation;
    let explanation = (pane.fingerprint == Some(issue.fingerprint)
        && matches!(pane.status, Status::Done(_))
        && !pane.text.is_empty())
    .then(|| pane.text.clone());
    let turns = state.assist.chats.entry(issue.fingerprint).or_default();
    let history = turns.clone();
    turns.push(ChatTurn {
        role: ChatRole::User,
        text: question.to_owned(),
    });
    let request = LlmRequest::Chat {
        issue,
        history,
        question: question.to_owned(),
        explanation,
    };
    state.assist.chat_open = true;
    send(state, RequestKind::Chat, request)
}

fn preview(state: &mut State) -> Vec<Effect> {
    if state.settings.backend.is_none() {
        return offline(state);
    }
    let Some((issue, _)) = state.list.selected() else {
        state.complain("no issue selected");
        return Vec::new();
    };
    let request = LlmRequest::Preview {
        issue: Box::new(issue.clone()),
    };
    state.assist.preview = None;
    state.overlay = Some(Overlay::Preview);
    state.scroll[Scroll::Overlay as usize] = 0;
    send(state, RequestKind::Preview, request)
}

/// The selection moved: a request about another issue is no longer wanted.
pub(super) fn selection_changed(state: &mut State) -> Vec<Effect> {
    let selected = state.list.selected_fingerprint();
    state.assist.chat_open = false;
    if state.assist.explanation.fingerprint != selected {
        state.assist.explanation = Explanation::default();
    }
    match state.assist.pending {
        Some(pending) if Some(pending.fingerprint) != selected => {
            state.assist.pending = None;
            vec![Effect::CancelLlm]
        }
        _ => Vec::new(),
    }
}
