//! The one streaming [`Backend`] trait and its implementations: OpenAI and Azure OpenAI through
//! async-openai, Ollama through its native API, and `local` for any OpenAI-compatible server
//! (llama.cpp, vLLM, LM Studio) with stream types of its own. [`build`] makes one from a profile.

mod http;
mod local;
mod ollama;
mod openai;

use std::{fmt, path::PathBuf, sync::Arc};

use futures::{Stream, StreamExt, future::BoxFuture};
use kubewhy_scrub::Scrubbed;
use reqwest::Url;

use crate::{
    ChatRequest, ChatStream, LlmError,
    config::{BackendKind, ConfigError, Env, Profile},
    stream::{Finish, FinishReason, StreamEvent, Usage},
};

pub use openai::is_reasoning_model;

/// Which backend this is, for messages, the cache key and the report. Holds no key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackendId {
    /// The profile's name (`work`), or the kind for a backend from flags.
    pub name: String,
    /// The kind.
    pub kind: BackendKind,
    /// The model (for Azure, the deployment's model when the profile names it, else the
    /// deployment).
    pub model: String,
    /// The endpoint, without credentials.
    pub endpoint: String,
    /// Whether the endpoint is on loopback.
    pub local: bool,
    /// Whether the profile marks the endpoint trusted.
    pub trusted: bool,
}

impl BackendId {
    /// Whether this backend may receive text that keeps real names.
    #[must_use]
    pub fn may_receive_names(&self) -> bool {
        self.local || self.trusted
    }
}

impl fmt::Display for BackendId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({}, {} at {})",
            self.name, self.kind, self.model, self.endpoint
        )
    }
}

/// What the server says about itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ServerInfo {
    /// The context window a request gets, in tokens: Ollama's `num_ctx` that kubewhy sends
    /// (the model's length from `/api/show`, capped by the profile), llama.cpp's context per
    /// slot from `/props`, vLLM's `max_model_len`.
    pub context_window: Option<u32>,
    /// llama.cpp's slots: requests it serves at once.
    pub slots: Option<u32>,
}

/// An LLM endpoint. Implementations are cheap to share (`Arc<dyn Backend>`).
pub trait Backend: Send + Sync + fmt::Debug {
    /// Which backend this is.
    fn id(&self) -> &BackendId;

    /// Starts a chat: resolves once the server has accepted the request (its status and
    /// headers), then streams the answer. Errors before the first byte are returned here.
    fn chat<'a>(&'a self, request: &'a ChatRequest) -> BoxFuture<'a, Result<ChatStream, LlmError>>;

    /// Asks the server for its context window and slots. Backends that cannot tell return
    /// the default.
    fn server_info(&self) -> BoxFuture<'_, Result<ServerInfo, LlmError>>;

    /// Counts the tokens of `text` with the server's own tokenizer (llama.cpp's `/tokenize`);
    /// `None` when the server has none.
    fn count_tokens<'a>(
        &'a self,
        text: &'a Scrubbed,
    ) -> BoxFuture<'a, Result<Option<u32>, LlmError>> {
        let _ = text;
        Box::pin(async { Ok(None) })
    }
}

/// Why a backend could not be made from a profile.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// A required setting is missing.
    #[error("backend `{profile}` ({kind}) needs `{field}`: {hint}")]
    Missing {
        /// The profile.
        profile: String,
        /// Its kind.
        kind: BackendKind,
        /// The missing setting.
        field: &'static str,
        /// What to set.
        hint: &'static str,
    },
    /// No key where the profile says to look.
    #[error(
        "backend `{profile}` ({kind}) needs an API key: set {var} (or {var}_FILE), or name \
         another variable or file with api_key_env or api_key_file"
    )]
    MissingKey {
        /// The profile.
        profile: String,
        /// Its kind.
        kind: BackendKind,
        /// The variable looked at.
        var: String,
    },
    /// The key could not be read.
    #[error(transparent)]
    Key(#[from] ConfigError),
    /// A URL does not parse.
    #[error("backend `{profile}`: `{url}` is not a valid URL: {reason}")]
    BadUrl {
        /// The profile.
        profile: String,
        /// The URL as written.
        url: String,
        /// Why.
        reason: String,
    },
    /// A custom header's name or value is not valid in HTTP.
    #[error("backend `{profile}`: the header `{name}` has an invalid name or value")]
    BadHeader {
        /// The profile.
        profile: String,
        /// The header's name.
        name: String,
    },
    /// The CA file could not be read.
    #[error("backend `{profile}`: cannot use the CA certificates in {}: {reason}", path.display())]
    Ca {
        /// The profile.
        profile: String,
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The HTTP client could not be built.
    #[error("backend `{profile}`: cannot set up the HTTP client: {source}")]
    Client {
        /// The profile.
        profile: String,
        /// The cause.
        #[source]
        source: reqwest::Error,
    },
}

/// Makes the backend a profile describes, reading its key through `env`.
pub fn build(name: &str, profile: &Profile, env: Env<'_>) -> Result<Arc<dyn Backend>, BuildError> {
    let key = profile.api_key(name, env)?;
    let client = http::client(name, &profile.headers, profile.ca_file.as_deref())?;
    Ok(match profile.kind {
        BackendKind::OpenAi | BackendKind::Azure => {
            Arc::new(openai::OpenAiBackend::new(name, profile, key, client)?)
        }
        BackendKind::Ollama => Arc::new(ollama::OllamaBackend::new(name, profile, key, client)?),
        BackendKind::Local => Arc::new(local::LocalBackend::new(name, profile, key, client)?),
    })
}

fn id(name: &str, profile: &Profile, model: String, endpoint: &Url) -> BackendId {
    BackendId {
        name: name.to_owned(),
        kind: profile.kind,
        model,
        endpoint: http::display_url(endpoint),
        local: is_loopback(endpoint),
        trusted: profile.trusted,
    }
}

/// Whether a URL's host is on loopback (`localhost`, 127.0.0.0/8, `::1`).
fn is_loopback(url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = host.parse::<std::net::IpAddr>() {
        return ip.is_loopback();
    }
    let host = host.to_ascii_lowercase();
    host == "localhost" || host.ends_with(".localhost")
}

fn required<'a>(
    name: &str,
    profile: &'a Profile,
    value: Option<&'a String>,
    field: &'static str,
    hint: &'static str,
) -> Result<&'a str, BuildError> {
    value
        .map(String::as_str)
        .filter(|v| !v.trim().is_empty())
        .ok_or_else(|| BuildError::Missing {
            profile: name.to_owned(),
            kind: profile.kind,
            field,
            hint,
        })
}

/// What one chunk of any protocol says: some text, a finish reason, usage, or the end.
#[derive(Debug, Default)]
pub(crate) struct Piece {
    pub delta: Option<String>,
    pub finish: Option<FinishReason>,
    pub usage: Option<Usage>,
    /// The protocol's explicit end (`[DONE]`, Ollama's `done: true`).
    pub done: bool,
}

/// Turns a protocol's pieces into stream events. The answer is complete at the explicit end,
/// or when the stream stops after a finish reason (a usage chunk may still be missing); a
/// stream that stops before either is left to [`ChatStream`] to report as incomplete.
pub(crate) fn assemble(
    pieces: impl Stream<Item = Result<Piece, LlmError>> + Send + 'static,
) -> impl Stream<Item = Result<StreamEvent, LlmError>> + Send + 'static {
    let state = Assembly {
        pieces: Box::pin(pieces),
        finish: None,
        usage: None,
        end: false,
        over: false,
    };
    futures::stream::unfold(state, |mut s| async move {
        let event = s.next().await?;
        Some((event, s))
    })
}

struct Assembly<S> {
    pieces: std::pin::Pin<Box<S>>,
    finish: Option<FinishReason>,
    usage: Option<Usage>,
    /// The end was seen with a last delta: it follows that delta.
    end: bool,
    over: bool,
}

impl<S: Stream<Item = Result<Piece, LlmError>>> Assembly<S> {
    async fn next(&mut self) -> Option<Result<StreamEvent, LlmError>> {
        loop {
            if self.over {
                return None;
            }
            if self.end {
                return Some(Ok(self.finish()));
            }
            match self.pieces.next().await {
                Some(Ok(piece)) => {
                    if piece.usage.is_some() {
                        self.usage = piece.usage;
                    }
                    if piece.finish.is_some() {
                        self.finish = piece.finish;
                    }
                    self.end = piece.done;
                    if let Some(text) = piece.delta.filter(|t| !t.is_empty()) {
                        return Some(Ok(StreamEvent::Delta(text)));
                    }
                }
                Some(Err(error)) if self.finish.is_some() => {
                    tracing::debug!("the stream broke after its finish reason: {error}");
                    return Some(Ok(self.finish()));
                }
                Some(Err(error)) => {
                    self.over = true;
                    return Some(Err(error));
                }
                None if self.finish.is_some() => return Some(Ok(self.finish())),
                None => return None,
            }
        }
    }

    fn finish(&mut self) -> StreamEvent {
        self.over = true;
        StreamEvent::Finish(Finish {
            reason: self.finish.take().unwrap_or(FinishReason::Stop),
            usage: self.usage.take(),
        })
    }
}
