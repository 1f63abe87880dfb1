//! Follow-up questions about one issue. The conversation starts from the messages the issue's
//! explanation sends (the system prompt and the scrubbed issue), then the explanation, the
//! earlier turns and the new question, every one scrubbed with the issue's pseudonym table so
//! that a name is the same pseudonym in every turn. The oldest turns give way when the whole
//! would not fit the model's context, and the session's token budget is respected.

use std::sync::Arc;

use kubewhy_llm::{
    ChatRequest, Dispatcher, Message, Progress, Role,
    budget::{self, TokenCounter},
};
use kubewhy_model::Issue;
use kubewhy_scrub::{Dictionary, Scrubber, unscrub};
use tokio::sync::mpsc::UnboundedSender;

use super::{Answered, AssistError, Assistant, Reply, table_of};
use crate::explain::stream::StreamUnscrub;

/// Who said a turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Speaker {
    /// The user.
    User,
    /// The model.
    Assistant,
}

/// A follow-up question with what came before it. Every text is as the user reads it: the
/// assistant scrubs it.
#[derive(Debug, Clone)]
pub struct Conversation {
    /// The issue it is about.
    pub issue: Issue,
    /// The explanation the user has read, if any.
    pub explanation: Option<String>,
    /// The earlier turns, oldest first.
    pub history: Vec<(Speaker, String)>,
    /// The new question.
    pub question: String,
}

impl Assistant {
    pub(super) async fn chat_task(
        &self,
        conversation: Conversation,
        tx: &UnboundedSender<Reply>,
    ) -> Result<(), AssistError> {
        let Some(backend) = self.options.backend.clone() else {
            return Err(AssistError::Unprepared(
                "no LLM backend is configured".to_owned(),
            ));
        };
        let (dry, snapshot) = self.dry_run(&conversation.issue).await?;
        let dictionary = tokio::task::spawn_blocking(move || Dictionary::from_snapshot(&snapshot))
            .await
            .map_err(|_| AssistError::Unprepared("the anonymizer stopped".to_owned()))??;
        let options = &self.options;
        let mut scrubber = Scrubber::new(Arc::new(dictionary), &options.scrub, options.policy)?
            .with_table(table_of(&dry.table))?;
        let mut head = Vec::new();
        for (role, content) in &dry.messages {
            let content = scrubber.scrub_text(content)?;
            head.push(message(*role, content));
        }
        let mut turns = Vec::new();
        if let Some(explanation) = &conversation.explanation {
            turns.push(Message::assistant(scrubber.scrub_text(explanation)?));
        }
        for (speaker, text) in &conversation.history {
            let text = scrubber.scrub_text(text)?;
            turns.push(match speaker {
                Speaker::User => Message::user(text),
                Speaker::Assistant => Message::assistant(text),
            });
        }
        let question = scrubber.scrub_text(&conversation.question)?;
        let question = Message::user(options.prompts.follow_up(
            &mut scrubber,
            &question,
            &options.language,
        )?);
        let id = backend.id().clone();
        let counter = TokenCounter::for_backend(&id);
        let server = backend.server_info().await.unwrap_or_default();
        let window = budget::context_window(&id, &server, options.context_window).tokens;
        let room = window.saturating_sub(budget::answer_reserve(window, options.max_tokens));
        let messages = fit(&counter, room, head, turns, question);
        let mut request = ChatRequest::new(messages);
        if let Some(max) = options.max_tokens {
            request = request.with_max_tokens(max);
        }
        if !options.stream {
            request = request.without_stream();
        }
        let estimate = counter.count_messages(request.messages());
        if let Some(limit) = options.token_budget {
            let wanted = u64::from(estimate) + u64::from(options.max_tokens.unwrap_or(0));
            if self.used.load(std::sync::atomic::Ordering::Relaxed) + wanted > limit {
                return Err(AssistError::Budget { limit });
            }
        }
        let mut stream = StreamUnscrub::new(scrubber.table());
        let dispatcher = Dispatcher::new(backend, options.retry, 1);
        let answer = dispatcher
            .complete(&request, |progress| {
                if let Progress::Delta(delta) = progress {
                    let text = stream.push(delta);
                    if !text.is_empty() {
                        let _ = tx.send(Reply::Delta(text));
                    }
                }
            })
            .await?;
        let tail = stream.finish();
        if !tail.is_empty() {
            let _ = tx.send(Reply::Delta(tail));
        }
        let usage = answer.usage.unwrap_or(kubewhy_llm::Usage {
            prompt_tokens: estimate,
            completion_tokens: counter.count(&answer.text),
        });
        self.count(u64::from(usage.prompt_tokens) + u64::from(usage.completion_tokens));
        let text = unscrub(scrubber.table(), &answer.text)?.text;
        let _ = tx.send(Reply::Done(Answered {
            text,
            tokens_in: usage.prompt_tokens,
            tokens_out: usage.completion_tokens,
            latency_ms: Some(u64::try_from(answer.latency.as_millis()).unwrap_or(u64::MAX)),
            cost: options.price.map(|p| p.cost(usage)),
            cached: false,
            offline: false,
        }));
        Ok(())
    }
}

fn message(role: Role, content: kubewhy_scrub::Scrubbed) -> Message {
    match role {
        Role::System => Message::system(content),
        Role::User => Message::user(content),
        Role::Assistant => Message::assistant(content),
    }
}

/// The head, as many of the latest turns as fit in `room` tokens with it, and the question.
/// The head and the question always go: without them there is nothing to ask.
fn fit(
    counter: &TokenCounter,
    room: u32,
    head: Vec<Message>,
    turns: Vec<Message>,
    question: Message,
) -> Vec<Message> {
    let fixed =
        counter.count_messages(&head) + counter.count_messages(std::slice::from_ref(&question));
    let mut left = room.saturating_sub(fixed);
    let mut kept = Vec::new();
    for turn in turns.into_iter().rev() {
        let cost = counter.count_messages(std::slice::from_ref(&turn));
        if cost > left {
            break;
        }
        left -= cost;
        kept.push(turn);
    }
    kept.reverse();
    head.into_iter().chain(kept).chain([question]).collect()
}
