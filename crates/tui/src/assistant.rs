//! The [`Assistant`] that answers from the engine's explain pipeline: explanations, follow-up
//! chats and payload previews of the selected issue, scrubbed before anything leaves and
//! unscrubbed as they stream back. The TUI holds no LLM logic beyond turning its requests into
//! the engine's and the engine's replies into [`LlmEvent`]s.

use std::sync::Arc;

use futures::{StreamExt, stream::BoxStream};
use kubewhy_engine::{
    Engine, ExplainOptions,
    assistant::{self, Conversation, Reply, Speaker},
};

use crate::llm::{AnswerMeta, Assistant, ChatRole, LlmEvent, LlmRequest};

/// An assistant on the engine's explain pipeline, with the LLM options of the command line.
#[derive(Debug)]
pub struct EngineAssistant {
    inner: Arc<assistant::Assistant>,
}

impl EngineAssistant {
    /// An assistant with these options; it answers once the TUI has opened its source.
    #[must_use]
    pub fn new(options: ExplainOptions) -> Self {
        Self {
            inner: assistant::Assistant::new(options),
        }
    }
}

impl Assistant for EngineAssistant {
    fn backend(&self) -> &str {
        self.inner.backend_name()
    }

    fn model(&self) -> &str {
        self.inner.model()
    }

    fn attach(&self, engine: &Engine) {
        self.inner.attach(engine);
    }

    fn request(&self, request: LlmRequest) -> BoxStream<'static, LlmEvent> {
        let (replies, explaining) = match request {
            LlmRequest::Explain { issue, fresh } => (self.inner.explain(*issue, fresh), true),
            LlmRequest::Preview { issue } => (self.inner.preview(*issue), false),
            LlmRequest::Chat {
                issue,
                history,
                question,
                explanation,
            } => {
                let history = history
                    .into_iter()
                    .map(|turn| {
                        let speaker = match turn.role {
                            ChatRole::User => Speaker::User,
                            ChatRole::Assistant => Speaker::Assistant,
                        };
                        (speaker, turn.text)
                    })
                    .collect();
                let conversation = Conversation {
                    issue: *issue,
                    explanation,
                    history,
                    question,
                };
                (self.inner.chat(conversation), false)
            }
        };
        replies
            .flat_map(move |reply| futures::stream::iter(events(reply, explaining)))
            .boxed()
    }
}

/// The TUI's events for one reply. A failed explanation replaces what streamed with the
/// offline explanation (or nothing, and the pane shows the catalog's); a failed chat keeps
/// the conversation as it was.
fn events(reply: Reply, explaining: bool) -> Vec<LlmEvent> {
    match reply {
        Reply::Delta(text) => vec![LlmEvent::Token(text)],
        Reply::Done(answered) => {
            let meta = AnswerMeta {
                tokens_in: answered.tokens_in,
                tokens_out: answered.tokens_out,
                latency_ms: answered.latency_ms.unwrap_or(0),
                cost: answered.cost,
                cached: answered.cached,
                offline: answered.offline,
            };
            vec![LlmEvent::Text(answered.text), LlmEvent::Done(meta)]
        }
        Reply::Failed { error, offline } => {
            let mut out = Vec::new();
            if explaining {
                out.push(LlmEvent::Text(offline.unwrap_or_default()));
            }
            out.push(LlmEvent::Failed(error));
            out
        }
        Reply::Preview(text) => vec![LlmEvent::Payload(text)],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_finished_answer_replaces_the_tokens_then_gives_its_numbers() {
        let done = Reply::Done(assistant::Answered {
            text: "checkout is failing.".to_owned(),
            tokens_in: 900,
            tokens_out: 60,
            latency_ms: Some(1200),
            cost: Some(0.002),
            cached: true,
            offline: false,
        });
        let events = events(done, true);
        assert_eq!(events[0], LlmEvent::Text("checkout is failing.".to_owned()));
        assert!(matches!(
            &events[1],
            LlmEvent::Done(AnswerMeta {
                tokens_in: 900,
                latency_ms: 1200,
                cached: true,
                ..
            })
        ));
    }

    #[test]
    fn a_failed_explanation_brings_the_offline_one_and_a_failed_chat_does_not() {
        let failed = || Reply::Failed {
            error: "401".to_owned(),
            offline: Some("Check the image name.".to_owned()),
        };
        assert_eq!(
            events(failed(), true),
            [
                LlmEvent::Text("Check the image name.".to_owned()),
                LlmEvent::Failed("401".to_owned())
            ]
        );
        assert_eq!(
            events(failed(), false),
            [LlmEvent::Failed("401".to_owned())]
        );
    }
}
