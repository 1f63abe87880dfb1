//! An answer as it streams: text deltas, then one [`Finish`] with the finish reason and the token
//! usage. A [`ChatStream`] that ends without its `Finish` yields [`LlmError::Incomplete`], so a
//! cut answer can never pass for a complete one; [`Answer`] exists only for answers that ended.

use std::{
    pin::Pin,
    task::{Context, Poll},
    time::Duration,
};

use futures::{Stream, StreamExt, stream::BoxStream};
use serde::{Deserialize, Serialize};

use crate::LlmError;

/// Tokens counted by the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Usage {
    /// Tokens of the prompt (Ollama's `prompt_eval_count`).
    pub prompt_tokens: u32,
    /// Tokens of the answer (Ollama's `eval_count`).
    pub completion_tokens: u32,
}

/// Why the model stopped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FinishReason {
    /// It was done.
    Stop,
    /// It reached the token cap: the answer is truncated.
    Length,
    /// Something else the server named (`content_filter`, `tool_calls`).
    Other(String),
}

impl FinishReason {
    /// From a wire value; an absent one after a complete stream means `stop`.
    #[must_use]
    pub fn from_wire(value: Option<&str>) -> Self {
        match value {
            None | Some("stop" | "eos" | "end_turn") => Self::Stop,
            Some("length" | "max_tokens") => Self::Length,
            Some(other) => Self::Other(other.to_owned()),
        }
    }
}

/// The end of an answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finish {
    /// Why the model stopped.
    pub reason: FinishReason,
    /// The server's token counts, when it sent them.
    pub usage: Option<Usage>,
}

/// One event of a streamed answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamEvent {
    /// More text.
    Delta(String),
    /// The answer is complete. Nothing follows.
    Finish(Finish),
}

/// A streamed answer. Yields deltas, then exactly one `Finish`, or an error; an inner stream
/// that stops early becomes [`LlmError::Incomplete`].
pub struct ChatStream {
    inner: BoxStream<'static, Result<StreamEvent, LlmError>>,
    url: String,
    received: usize,
    done: bool,
}

impl ChatStream {
    /// Wraps a backend's events; `url` names the endpoint in errors.
    #[must_use]
    pub fn new(
        inner: impl Stream<Item = Result<StreamEvent, LlmError>> + Send + 'static,
        url: String,
    ) -> Self {
        Self {
            inner: inner.boxed(),
            url,
            received: 0,
            done: false,
        }
    }

    /// A whole answer at once (a non-streamed request).
    #[must_use]
    pub fn complete(text: String, finish: Finish, url: String) -> Self {
        let events = vec![
            Ok(StreamEvent::Delta(text)),
            Ok(StreamEvent::Finish(finish)),
        ];
        Self::new(futures::stream::iter(events), url)
    }

    /// The endpoint.
    #[must_use]
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl std::fmt::Debug for ChatStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChatStream")
            .field("url", &self.url)
            .field("received", &self.received)
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

impl Stream for ChatStream {
    type Item = Result<StreamEvent, LlmError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.done {
            return Poll::Ready(None);
        }
        match self.inner.poll_next_unpin(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Some(Ok(StreamEvent::Delta(text)))) => {
                self.received += text.chars().count();
                Poll::Ready(Some(Ok(StreamEvent::Delta(text))))
            }
            Poll::Ready(Some(Ok(finish @ StreamEvent::Finish(_)))) => {
                self.done = true;
                Poll::Ready(Some(Ok(finish)))
            }
            Poll::Ready(Some(Err(LlmError::Incomplete { detail, .. }))) => {
                self.done = true;
                Poll::Ready(Some(Err(LlmError::Incomplete {
                    url: self.url.clone(),
                    received: self.received,
                    detail,
                })))
            }
            Poll::Ready(Some(Err(error))) => {
                self.done = true;
                Poll::Ready(Some(Err(error)))
            }
            Poll::Ready(None) => {
                self.done = true;
                Poll::Ready(Some(Err(LlmError::Incomplete {
                    url: self.url.clone(),
                    received: self.received,
                    detail: "the stream ended without a finish".to_owned(),
                })))
            }
        }
    }
}

/// A complete answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The text.
    pub text: String,
    /// Why the model stopped; `Length` means the text is truncated.
    pub finish: FinishReason,
    /// The server's token counts, when it sent them.
    pub usage: Option<Usage>,
    /// Calls made, retries included.
    pub attempts: u32,
    /// From the first call to the end of the answer, backoff included.
    pub latency: Duration,
    /// From the successful call to its first text.
    pub time_to_first_token: Option<Duration>,
}

impl Answer {
    /// Whether the model finished on its own: only such answers are cached.
    #[must_use]
    pub fn is_complete(&self) -> bool {
        self.finish == FinishReason::Stop
    }
}
