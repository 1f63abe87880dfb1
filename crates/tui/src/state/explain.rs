//! The explanation pane and the follow-up chat: what was asked, for which issue, what has
//! streamed back so far. Answers arrive as [`LlmEvent`]s tagged with the request they answer;
//! anything for a request that is no longer the newest is dropped.

use std::collections::HashMap;

use kubewhy_model::Fingerprint;

use crate::llm::{AnswerMeta, ChatRole, ChatTurn, LlmEvent};

/// What a request asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestKind {
    /// An explanation (`x`, or `r` skipping the cache).
    Explain,
    /// A chat answer (`c`).
    Chat,
    /// The payload preview (`P`).
    Preview,
}

/// Where the explanation of the selected issue stands.
#[derive(Debug, Clone, PartialEq)]
pub enum Status {
    /// Nothing asked: the pane shows the catalog's explanation.
    Offline,
    /// Tokens are arriving.
    Streaming,
    /// The answer is complete.
    Done(AnswerMeta),
    /// The backend failed: the pane shows why, and the catalog's explanation.
    Failed(String),
}

/// The explanation pane.
#[derive(Debug, Clone)]
pub struct Explanation {
    /// The issue it is about.
    pub fingerprint: Option<Fingerprint>,
    /// The streamed answer so far.
    pub text: String,
    /// Where it stands.
    pub status: Status,
}

impl Default for Explanation {
    fn default() -> Self {
        Self {
            fingerprint: None,
            text: String::new(),
            status: Status::Offline,
        }
    }
}

/// A request in flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pending {
    /// Its id; answers to any other id are stale.
    pub id: u64,
    /// What it asked.
    pub kind: RequestKind,
    /// The issue it is about.
    pub fingerprint: Fingerprint,
}

/// Explanations and chats.
#[derive(Debug, Default)]
pub struct Assist {
    /// The pane.
    pub explanation: Explanation,
    /// Chat history per issue, kept while the TUI runs.
    pub chats: HashMap<Fingerprint, Vec<ChatTurn>>,
    /// True while the pane shows the chat of the selected issue rather than its explanation.
    pub chat_open: bool,
    /// The request in flight, if any.
    pub pending: Option<Pending>,
    /// The payload of the last preview, for the preview overlay.
    pub preview: Option<String>,
    next_id: u64,
}

impl Assist {
    /// A new request id, newer than every one before.
    pub fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// Applies an answer event. Returns false when it was stale and dropped.
    pub fn apply(&mut self, id: u64, event: LlmEvent) -> bool {
        let Some(pending) = self.pending.filter(|p| p.id == id) else {
            return false;
        };
        let finished = !matches!(event, LlmEvent::Token(_) | LlmEvent::Text(_));
        match pending.kind {
            RequestKind::Explain => self.apply_explanation(pending.fingerprint, event),
            RequestKind::Chat => self.apply_chat(pending.fingerprint, event),
            RequestKind::Preview => {
                self.preview = Some(match event {
                    LlmEvent::Payload(text) | LlmEvent::Token(text) | LlmEvent::Text(text) => text,
                    LlmEvent::Failed(e) => format!("the preview failed: {e}"),
                    LlmEvent::Done(_) => String::new(),
                });
            }
        }
        if finished {
            self.pending = None;
        }
        true
    }

    fn apply_explanation(&mut self, fingerprint: Fingerprint, event: LlmEvent) {
        let pane = &mut self.explanation;
        if pane.fingerprint != Some(fingerprint) {
            return;
        }
        match event {
            LlmEvent::Token(t) | LlmEvent::Payload(t) => pane.text.push_str(&t),
            LlmEvent::Text(t) => pane.text = t,
            LlmEvent::Done(meta) => pane.status = Status::Done(meta),
            LlmEvent::Failed(e) => pane.status = Status::Failed(e),
        }
    }

    fn apply_chat(&mut self, fingerprint: Fingerprint, event: LlmEvent) {
        let turns = self.chats.entry(fingerprint).or_default();
        match event {
            LlmEvent::Token(t) | LlmEvent::Payload(t) => match turns.last_mut() {
                Some(last) if last.role == ChatRole::Assistant => last.text.push_str(&t),
                _ => turns.push(ChatTurn {
                    role: ChatRole::Assistant,
                    text: t,
                }),
            },
            LlmEvent::Text(t) => match turns.last_mut() {
                Some(last) if last.role == ChatRole::Assistant => last.text = t,
                _ => turns.push(ChatTurn {
                    role: ChatRole::Assistant,
                    text: t,
                }),
            },
            LlmEvent::Done(_) => {}
            LlmEvent::Failed(e) => turns.push(ChatTurn {
                role: ChatRole::Assistant,
                text: format!("(the backend failed: {e})"),
            }),
        }
    }
}
