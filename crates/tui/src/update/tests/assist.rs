//! `x`, `r`, `c`, `P` and the answers, with and without a backend.

use super::three;
use crate::{
    action::{Action, Effect},
    llm::{AnswerMeta, ChatRole, LlmEvent, LlmRequest, NO_BACKEND},
    state::{InputKind, Overlay, Pane, Screen, State, Status},
    update::update,
};

fn with_backend() -> State {
    let mut s = three();
    s.settings.backend = Some(("openai".to_owned(), "gpt-4o-mini".to_owned()));
    s
}

fn llm_id(effects: &[Effect]) -> u64 {
    match effects {
        [Effect::Llm { id, .. }] => *id,
        other => panic!("expected one LLM request, got {other:?}"),
    }
}

#[test]
fn without_a_backend_every_llm_key_says_so_and_shows_the_catalog() {
    for action in [
        Action::Explain,
        Action::Regenerate,
        Action::Chat,
        Action::Preview,
    ] {
        let mut s = three();
        let name = format!("{action:?}");
        assert!(update(&mut s, action).is_empty(), "{name}");
        assert_eq!(s.note.as_ref().unwrap().text, NO_BACKEND, "{name}");
        assert_eq!(
            (s.screen, s.pane),
            (Screen::Detail, Pane::Explanation),
            "{name}"
        );
        assert_eq!(s.assist.explanation.status, Status::Offline, "{name}");
        assert!(s.input.is_none() && s.overlay.is_none(), "{name}");
    }
}

#[test]
fn explain_streams_tokens_into_the_pane_and_finishes_with_its_numbers() {
    let mut s = with_backend();
    let effects = update(&mut s, Action::Explain);
    assert!(matches!(
        &effects[..],
        [Effect::Llm {
            request: LlmRequest::Explain { fresh: false, .. },
            ..
        }]
    ));
    let id = llm_id(&effects);
    assert_eq!(s.assist.explanation.status, Status::Streaming);
    for t in ["The node ", "is not ready."] {
        let event = LlmEvent::Token(t.to_owned());
        update(&mut s, Action::Llm { id, event });
    }
    assert_eq!(s.assist.explanation.text, "The node is not ready.");
    let meta = AnswerMeta {
        tokens_in: 900,
        tokens_out: 120,
        latency_ms: 1_400,
        cost: Some(0.0012),
        cached: false,
        offline: false,
    };
    update(
        &mut s,
        Action::Llm {
            id,
            event: LlmEvent::Done(meta.clone()),
        },
    );
    assert_eq!(s.assist.explanation.status, Status::Done(meta));
    assert!(s.assist.pending.is_none());
}

#[test]
fn regenerate_skips_the_cache_and_answers_to_older_requests_are_dropped() {
    let mut s = with_backend();
    let first = llm_id(&update(&mut s, Action::Explain));
    let effects = update(&mut s, Action::Regenerate);
    assert!(matches!(
        &effects[..],
        [Effect::Llm {
            request: LlmRequest::Explain { fresh: true, .. },
            ..
        }]
    ));
    let second = llm_id(&effects);
    assert!(second > first);
    let stale = LlmEvent::Token("old".to_owned());
    update(
        &mut s,
        Action::Llm {
            id: first,
            event: stale,
        },
    );
    assert_eq!(s.assist.explanation.text, "");
    let fresh = LlmEvent::Token("new".to_owned());
    update(
        &mut s,
        Action::Llm {
            id: second,
            event: fresh,
        },
    );
    assert_eq!(s.assist.explanation.text, "new");
}

#[test]
fn a_failed_backend_shows_why() {
    let mut s = with_backend();
    let id = llm_id(&update(&mut s, Action::Explain));
    let event = LlmEvent::Failed("429 Too Many Requests".to_owned());
    update(&mut s, Action::Llm { id, event });
    assert_eq!(
        s.assist.explanation.status,
        Status::Failed("429 Too Many Requests".to_owned())
    );
}

#[test]
fn moving_to_another_issue_cancels_the_explanation_in_flight() {
    let mut s = with_backend();
    update(&mut s, Action::Explain);
    update(&mut s, Action::Back);
    let effects = update(&mut s, Action::Down);
    assert!(matches!(&effects[..], [Effect::CancelLlm]), "{effects:?}");
    assert!(s.assist.pending.is_none());
    assert_eq!(s.assist.explanation.fingerprint, None);
}

#[test]
fn chat_keeps_a_history_per_issue_and_sends_it_with_the_question() {
    let mut s = with_backend();
    assert!(update(&mut s, Action::Chat).is_empty());
    assert_eq!(s.input.as_ref().map(|i| i.kind), Some(InputKind::Chat));
    assert!(s.assist.chat_open);
    for c in "why?".chars() {
        update(&mut s, Action::Type(c));
    }
    let effects = update(&mut s, Action::Submit);
    let id = llm_id(&effects);
    assert!(matches!(
        &effects[..],
        [Effect::Llm { request: LlmRequest::Chat { history, question, .. }, .. }]
            if history.is_empty() && question == "why?"
    ));
    let event = LlmEvent::Token("Because the kubelet stopped.".to_owned());
    update(&mut s, Action::Llm { id, event });
    let done = LlmEvent::Done(AnswerMeta::default());
    update(&mut s, Action::Llm { id, event: done });
    let fingerprint = s.list.selected_fingerprint().unwrap();
    let turns = &s.assist.chats[&fingerprint];
    assert_eq!(turns.len(), 2);
    assert_eq!(turns[1].role, ChatRole::Assistant);
    update(&mut s, Action::Chat);
    for c in "and now?".chars() {
        update(&mut s, Action::Type(c));
    }
    let effects = update(&mut s, Action::Submit);
    assert!(matches!(
        &effects[..],
        [Effect::Llm { request: LlmRequest::Chat { history, .. }, .. }] if history.len() == 2
    ));
    // esc closes the chat, then the detail.
    update(&mut s, Action::Back);
    assert!(!s.assist.chat_open);
}

#[test]
fn preview_shows_the_payload_in_an_overlay() {
    let mut s = with_backend();
    let effects = update(&mut s, Action::Preview);
    assert!(matches!(
        &effects[..],
        [Effect::Llm {
            request: LlmRequest::Preview { .. },
            ..
        }]
    ));
    assert_eq!(s.overlay, Some(Overlay::Preview));
    let id = llm_id(&effects);
    let event = LlmEvent::Payload("issue: node <node-1> not ready".to_owned());
    update(&mut s, Action::Llm { id, event });
    assert_eq!(
        s.assist.preview.as_deref(),
        Some("issue: node <node-1> not ready")
    );
}

#[test]
fn opening_an_issue_explains_it_with_auto_explain_on() {
    let mut s = with_backend();
    s.settings.auto_explain = true;
    let effects = update(&mut s, Action::Open);
    assert!(matches!(
        &effects[..],
        [Effect::Llm {
            request: LlmRequest::Explain { .. },
            ..
        }]
    ));
}

#[test]
fn the_whole_answer_replaces_the_streamed_tokens() {
    let mut s = with_backend();
    let id = llm_id(&update(&mut s, Action::Explain));
    let token = LlmEvent::Token("{\"summary\": \"The no".to_owned());
    update(&mut s, Action::Llm { id, event: token });
    let text = LlmEvent::Text("The node is not ready.".to_owned());
    update(&mut s, Action::Llm { id, event: text });
    assert_eq!(s.assist.explanation.text, "The node is not ready.");
    assert!(s.assist.pending.is_some(), "the answer is not done yet");
    let done = LlmEvent::Done(AnswerMeta {
        offline: true,
        ..AnswerMeta::default()
    });
    update(&mut s, Action::Llm { id, event: done });
    assert!(matches!(&s.assist.explanation.status, Status::Done(m) if m.offline));
}

#[test]
fn a_failed_explanation_keeps_the_offline_text_it_brings() {
    let mut s = with_backend();
    let id = llm_id(&update(&mut s, Action::Explain));
    for event in [
        LlmEvent::Token("half an ans".to_owned()),
        LlmEvent::Text("Read the kubelet's log.".to_owned()),
        LlmEvent::Failed("timeout".to_owned()),
    ] {
        update(&mut s, Action::Llm { id, event });
    }
    assert_eq!(s.assist.explanation.text, "Read the kubelet's log.");
    assert_eq!(
        s.assist.explanation.status,
        Status::Failed("timeout".to_owned())
    );
}

#[test]
fn a_follow_up_carries_the_explanation_read_and_its_answer_replaces_the_tokens() {
    let mut s = with_backend();
    let id = llm_id(&update(&mut s, Action::Explain));
    for event in [
        LlmEvent::Text("The node is not ready.".to_owned()),
        LlmEvent::Done(AnswerMeta::default()),
    ] {
        update(&mut s, Action::Llm { id, event });
    }
    update(&mut s, Action::Chat);
    for c in "why?".chars() {
        update(&mut s, Action::Type(c));
    }
    let effects = update(&mut s, Action::Submit);
    assert!(matches!(
        &effects[..],
        [Effect::Llm { request: LlmRequest::Chat { explanation: Some(e), .. }, .. }]
            if e == "The node is not ready."
    ));
    let id = llm_id(&effects);
    for event in [
        LlmEvent::Token("Because node-".to_owned()),
        LlmEvent::Text("Because worker-2 stopped.".to_owned()),
        LlmEvent::Done(AnswerMeta::default()),
    ] {
        update(&mut s, Action::Llm { id, event });
    }
    let turns = &s.assist.chats[&s.list.selected_fingerprint().unwrap()];
    assert_eq!(turns.len(), 2);
    assert_eq!(turns[1].text, "Because worker-2 stopped.");
}

#[test]
fn a_newer_request_cuts_off_the_explanation_in_flight() {
    let mut s = with_backend();
    let id = llm_id(&update(&mut s, Action::Explain));
    let token = LlmEvent::Token("The no".to_owned());
    update(&mut s, Action::Llm { id, event: token });
    let preview = llm_id(&update(&mut s, Action::Preview));
    assert!(preview > id);
    assert_eq!(s.assist.explanation.status, Status::Offline);
    assert_eq!(s.assist.explanation.text, "");
    let late = LlmEvent::Token("de is".to_owned());
    update(&mut s, Action::Llm { id, event: late });
    assert_eq!(s.assist.explanation.text, "", "the old answer is dropped");
}
