//! Why a call to a backend failed. Every variant names the URL, and what to do about it; none
//! carries a key, a prompt or an answer.

use std::time::Duration;

use kubewhy_scrub::Policy;

/// A failed call to an LLM backend.
#[derive(Debug, thiserror::Error)]
pub enum LlmError {
    /// The server could not be reached: DNS, connection refused, TLS or proxy failure.
    #[error(
        "cannot reach {url}: {reason}; check the backend's base URL, the server, and HTTPS_PROXY \
         or NO_PROXY"
    )]
    Connect {
        /// The URL.
        url: String,
        /// What failed, in words (the chain of causes).
        reason: String,
        /// The transport error.
        #[source]
        source: reqwest::Error,
    },
    /// No answer (or no next chunk of one) within the time allowed.
    #[error("{url} did not answer within {}s; it may be overloaded, try again or raise the timeout", after.as_secs_f32())]
    Timeout {
        /// The URL.
        url: String,
        /// How long kubewhy waited.
        after: Duration,
    },
    /// HTTP 401 or 403: the key is wrong, missing or lacks access.
    #[error(
        "{url} answered {status}: the API key is wrong, missing or not allowed to use this model; \
         check the profile's api_key_env or api_key_file ({message})"
    )]
    Unauthorized {
        /// The URL.
        url: String,
        /// The status.
        status: u16,
        /// The server's message.
        message: String,
    },
    /// HTTP 404: the model, deployment or endpoint does not exist.
    #[error(
        "{url} answered 404: the model, deployment or endpoint does not exist; check the \
         profile's model, deployment and base URL ({message})"
    )]
    NotFound {
        /// The URL.
        url: String,
        /// The server's message.
        message: String,
    },
    /// HTTP 429: too many requests. Retried after `Retry-After`.
    #[error("{url} answered 429 (rate limited){}: {message}", retry_after.map(|d| format!(", retry after {}s", d.as_secs_f32())).unwrap_or_default())]
    RateLimited {
        /// The URL.
        url: String,
        /// The delay the server asked for.
        retry_after: Option<Duration>,
        /// The server's message.
        message: String,
    },
    /// The prompt does not fit the model's context window (llama.cpp's
    /// `exceed_context_size_error`, OpenAI's `context_length_exceeded`).
    #[error(
        "{url} refused the prompt as longer than the model's context{}: {message}; lower the \
         profile's context_window or use a model with a larger context",
        match (prompt_tokens, context) {
            (Some(p), Some(c)) => format!(" ({p} tokens for {c})"),
            _ => String::new(),
        }
    )]
    ContextOverflow {
        /// The URL.
        url: String,
        /// The prompt's tokens, as the server counted them.
        prompt_tokens: Option<u32>,
        /// The server's context, in tokens.
        context: Option<u32>,
        /// The server's message.
        message: String,
    },
    /// Any other error status.
    #[error("{url} answered {status}: {message}")]
    Status {
        /// The URL.
        url: String,
        /// The status.
        status: u16,
        /// The server's message.
        message: String,
        /// The delay the server asked for, if any.
        retry_after: Option<Duration>,
    },
    /// The server reported an error inside an answer it had started.
    #[error("{url} failed while answering: {message}")]
    Remote {
        /// The URL.
        url: String,
        /// The server's message.
        message: String,
    },
    /// The answer is not in the protocol's format (invalid JSON, missing fields).
    #[error(
        "{url} sent an answer kubewhy cannot read ({detail}); is this the right kind of backend?"
    )]
    Malformed {
        /// The URL.
        url: String,
        /// What was wrong.
        detail: String,
    },
    /// The answer stopped before it was complete (the stream was cut). Never cached, never
    /// shown as complete.
    #[error("the answer from {url} was cut off after {received} characters: {detail}")]
    Incomplete {
        /// The URL.
        url: String,
        /// Characters received before the cut.
        received: usize,
        /// What ended it.
        detail: String,
    },
    /// The model answered with nothing.
    #[error("{url} answered with an empty text")]
    Empty {
        /// The URL.
        url: String,
    },
    /// The request holds text scrubbed under a policy this backend may not receive: names are
    /// kept only for a backend on loopback or one its profile marks trusted.
    #[error(
        "refusing to send text scrubbed for {policy} to {url}: only a backend on loopback or \
         marked `trusted` in its profile may receive real names"
    )]
    Refused {
        /// The URL.
        url: String,
        /// The weakest policy in the request.
        policy: Policy,
    },
}

impl LlmError {
    /// Whether trying again may succeed: rate limits, server errors, timeouts, connection
    /// failures, cut streams and errors the server reported mid-answer.
    #[must_use]
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::RateLimited { .. }
            | Self::Timeout { .. }
            | Self::Connect { .. }
            | Self::Incomplete { .. }
            | Self::Remote { .. } => true,
            Self::Status { status, .. } => *status >= 500 || *status == 408,
            _ => false,
        }
    }

    /// The delay the server asked for.
    #[must_use]
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RateLimited { retry_after, .. } | Self::Status { retry_after, .. } => {
                *retry_after
            }
            _ => None,
        }
    }

    /// Whether this is a rate limit, which pauses the backend's whole queue.
    #[must_use]
    pub fn is_rate_limit(&self) -> bool {
        matches!(self, Self::RateLimited { .. })
    }

    /// A short reason for a fallback or a log line: `rate_limited`, `timeout`...
    #[must_use]
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Connect { .. } => "unreachable",
            Self::Timeout { .. } => "timeout",
            Self::Unauthorized { .. } => "unauthorized",
            Self::NotFound { .. } => "not_found",
            Self::RateLimited { .. } => "rate_limited",
            Self::ContextOverflow { .. } => "context_overflow",
            Self::Status { .. } => "http_error",
            Self::Remote { .. } => "server_error",
            Self::Malformed { .. } => "malformed",
            Self::Incomplete { .. } => "incomplete",
            Self::Empty { .. } => "empty",
            Self::Refused { .. } => "refused",
        }
    }
}
