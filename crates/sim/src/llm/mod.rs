//! The LLM simulator: one loopback server that speaks OpenAI's Chat Completions (JSON and
//! server-sent events), Azure OpenAI's deployment paths, Ollama's native API (JSON and NDJSON)
//! and llama.cpp's `/props` and `/tokenize`. It records every request byte for byte (secret
//! header values masked), answers with a configurable text, and injects the faults real servers
//! produce: rate limits, server errors, delays, malformed JSON, cut streams, empty answers and
//! context overflows.

mod answer;
mod handler;
mod ollama;
mod ollama_proxy;
mod openai;
mod serve;

use std::{
    collections::VecDeque,
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use serde_json::Value;
use tokio::sync::watch;

pub use ollama_proxy::{OllamaProxy, OllamaProxyOptions};

use crate::SimError;

/// The OpenAI-compatible server the `/v1` paths imitate. Ollama's and Azure's paths are always
/// served; the flavour decides how `/v1/chat/completions` words its answers and errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Flavor {
    /// OpenAI itself: the usage chunk has `choices: []`; an overflow is `context_length_exceeded`.
    #[default]
    OpenAi,
    /// llama.cpp's `llama-server`: `/props` and `/tokenize`, a context per slot, an overflow is
    /// HTTP 400 `exceed_context_size_error` with `n_prompt_tokens` and `n_ctx`.
    LlamaCpp,
    /// vLLM: the usage chunk carries no `choices` at all; `/v1/models` reports
    /// `max_model_len`.
    Vllm,
}

/// A model the simulator knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimModel {
    /// Its name (`gpt-4o`, `llama3.2:latest`); for Azure, also the deployment name.
    pub name: String,
    /// Its context window in tokens (Ollama's `<arch>.context_length`, vLLM's `max_model_len`).
    pub context_length: u32,
}

impl SimModel {
    /// A model with a context window.
    #[must_use]
    pub fn new(name: &str, context_length: u32) -> Self {
        Self {
            name: name.to_owned(),
            context_length,
        }
    }
}

/// What the simulated model says.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum SimAnswer {
    /// Always this text.
    Fixed(String),
    /// A text with placeholders filled from the request: `{model}`, `{n}` (the chat request's
    /// number, from 1), `{last_user}` (the last user message), `{pseudonyms}` (every distinct
    /// pseudonym-shaped word of the prompt, such as `deployment-1-pod-2`, comma-separated),
    /// `{first_pseudonym}` and `{prompt_tokens}`.
    Template(String),
    /// A structured JSON answer (summary, root cause, evidence, fix, commands, verify,
    /// confidence) that names the prompt's first pseudonyms, as a good model would.
    #[default]
    Structured,
}

/// A fault injected into one chat request (or every one, see [`LlmSim::set_persistent_fault`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LlmFault {
    /// HTTP 429. With a delay, `Retry-After` carries it in whole seconds (rounded up) and
    /// `retry-after-ms` in milliseconds, as OpenAI sends them.
    RateLimited {
        /// The delay to announce; `None` sends no `Retry-After` at all.
        retry_after: Option<Duration>,
    },
    /// HTTP 500 with the protocol's error body.
    ServerError,
    /// Any other status with the protocol's error body (401, 403, 404, 503...).
    Status(u16),
    /// Waits this long before answering normally.
    Delay(Duration),
    /// A 200 whose body is not valid JSON: the whole body, or one chunk of a stream.
    MalformedJson,
    /// The stream breaks (the connection is dropped) after this many content chunks.
    CutStream {
        /// Content chunks sent before the break.
        after_chunks: usize,
    },
    /// The stream ends cleanly after this many content chunks, without a finish reason or
    /// `[DONE]` (or Ollama's `done: true`).
    EndEarly {
        /// Content chunks sent before the end.
        after_chunks: usize,
    },
    /// A complete answer with empty content.
    EmptyAnswer,
    /// The context-overflow error of the path's protocol: llama.cpp's
    /// `exceed_context_size_error`, OpenAI's `context_length_exceeded`, Ollama's error text.
    ContextOverflow,
    /// HTTP 200, then an error object inside the stream, as older llama.cpp builds do.
    ErrorInStream,
}

/// How to run the simulator.
#[derive(Debug, Clone)]
pub struct LlmSimOptions {
    /// Where to listen; port 0 picks a free one.
    pub listen: SocketAddr,
    /// Serve HTTPS with a certificate generated at start (see [`LlmSim::ca_pem`]).
    pub tls: bool,
    /// The `/v1` dialect.
    pub flavor: Flavor,
    /// The models served; empty accepts any model name, with a 32,768-token window.
    pub models: Vec<SimModel>,
    /// The answer.
    pub answer: SimAnswer,
    /// When set, requests must carry this key (`Authorization: Bearer`, or `api-key` on Azure
    /// paths) or get a 401. Ollama's paths take no key, as Ollama.
    pub api_key: Option<String>,
    /// llama.cpp's `-c`: the total context, shared by the slots.
    pub total_context: u32,
    /// llama.cpp's `--parallel`: the number of slots.
    pub slots: u32,
    /// Characters per streamed chunk.
    pub chunk_chars: usize,
    /// A pause between streamed chunks.
    pub chunk_delay: Duration,
}

impl Default for LlmSimOptions {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            tls: false,
            flavor: Flavor::default(),
            models: Vec::new(),
            answer: SimAnswer::default(),
            api_key: None,
            total_context: 8192,
            slots: 1,
            chunk_chars: 12,
            chunk_delay: Duration::ZERO,
        }
    }
}

/// The requests a simulator received, in arrival order.
#[derive(Debug, Default)]
pub(crate) struct RequestLog(Mutex<Vec<RecordedLlmRequest>>);

impl RequestLog {
    pub(crate) fn push(&self, request: RecordedLlmRequest) {
        if let Ok(mut log) = self.0.lock() {
            log.push(request);
        }
    }

    pub(crate) fn all(&self) -> Vec<RecordedLlmRequest> {
        self.0.lock().map(|log| log.clone()).unwrap_or_default()
    }

    pub(crate) fn chats(&self) -> Vec<RecordedLlmRequest> {
        self.all()
            .into_iter()
            .filter(RecordedLlmRequest::is_chat)
            .collect()
    }

    pub(crate) fn clear(&self) {
        if let Ok(mut log) = self.0.lock() {
            log.clear();
        }
    }
}

/// One request the simulator received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedLlmRequest {
    /// The HTTP method.
    pub method: String,
    /// The path.
    pub path: String,
    /// The raw query string.
    pub query: String,
    /// Every header, names lowercased, in arrival order. The values of `authorization`,
    /// `api-key`, `x-api-key`, `cookie` and `proxy-authorization` are replaced by `<redacted>`
    /// (an `Authorization` keeps its scheme: `Bearer <redacted>`).
    pub headers: Vec<(String, String)>,
    /// The body, byte for byte.
    pub body: Vec<u8>,
    /// The status answered.
    pub status: u16,
    /// Milliseconds since the simulator started, when the request arrived.
    pub started_ms: u64,
    /// Milliseconds since the simulator started, when the answer's headers were sent.
    pub answered_ms: u64,
}

impl RecordedLlmRequest {
    /// The body as text (lossy).
    #[must_use]
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON, when it is.
    #[must_use]
    pub fn json(&self) -> Option<Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// The first value of a header (name in any case).
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Whether this is a chat request (OpenAI, Azure or Ollama).
    #[must_use]
    pub fn is_chat(&self) -> bool {
        self.path.ends_with("/chat/completions") || self.path == "/api/chat"
    }
}

/// Shared between the server tasks and the handle.
pub(crate) struct State {
    options: LlmSimOptions,
    faults: Mutex<Faults>,
    log: RequestLog,
    chats: Mutex<u64>,
    started: Instant,
}

#[derive(Default)]
struct Faults {
    script: VecDeque<LlmFault>,
    persistent: Option<LlmFault>,
}

impl State {
    /// The fault for the next chat request, and its number (from 1).
    fn next_chat(&self) -> (u64, Option<LlmFault>) {
        let n = self.chats.lock().map_or(0, |mut n| {
            *n += 1;
            *n
        });
        let fault = self
            .faults
            .lock()
            .ok()
            .and_then(|mut f| f.script.pop_front().or(f.persistent));
        (n, fault)
    }

    #[allow(clippy::cast_possible_truncation)] // Milliseconds since start fit in u64.
    fn elapsed_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    fn model(&self, name: &str) -> Option<SimModel> {
        if self.options.models.is_empty() {
            return Some(SimModel::new(name, 32_768));
        }
        let bare = name.strip_suffix(":latest").unwrap_or(name);
        self.options
            .models
            .iter()
            .find(|m| m.name == name || m.name.strip_suffix(":latest").unwrap_or(&m.name) == bare)
            .cloned()
    }

    /// llama.cpp's context per slot.
    fn slot_context(&self) -> u32 {
        self.options.total_context / self.options.slots.max(1)
    }
}

/// A running LLM simulator. Dropping it stops the server.
pub struct LlmSim {
    addr: SocketAddr,
    ca_pem: Option<String>,
    state: Arc<State>,
    _stop: watch::Sender<()>,
}

impl LlmSim {
    /// Starts serving on a background task of the current Tokio runtime.
    pub async fn start(options: LlmSimOptions) -> Result<Self, SimError> {
        let listen = options.listen;
        let (listener, addr) = crate::tls::bind(listen).await?;
        let tls = options.tls;
        let state = Arc::new(State {
            options,
            faults: Mutex::new(Faults::default()),
            log: RequestLog::default(),
            chats: Mutex::new(0),
            started: Instant::now(),
        });
        let app = handler::router(Arc::clone(&state));
        let (ca_pem, stop) = crate::tls::spawn(listener, app, tls)?;
        Ok(Self {
            addr,
            ca_pem,
            state,
            _stop: stop,
        })
    }

    /// The address it listens on.
    #[must_use]
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The server's root URL, such as `http://127.0.0.1:41234` (no `/v1`).
    #[must_use]
    pub fn url(&self) -> String {
        crate::tls::url(self.addr, self.ca_pem.is_some())
    }

    /// The PEM certificate to trust when serving HTTPS.
    #[must_use]
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    /// Queues faults for the next chat requests, one each, in order.
    pub fn push_faults(&self, faults: impl IntoIterator<Item = LlmFault>) {
        if let Ok(mut f) = self.state.faults.lock() {
            f.script.extend(faults);
        }
    }

    /// A fault for every chat request once the queued ones are used up; `None` clears it.
    pub fn set_persistent_fault(&self, fault: Option<LlmFault>) {
        if let Ok(mut f) = self.state.faults.lock() {
            f.persistent = fault;
        }
    }

    /// Every request received so far, in arrival order.
    #[must_use]
    pub fn requests(&self) -> Vec<RecordedLlmRequest> {
        self.state.log.all()
    }

    /// The chat requests received so far (OpenAI, Azure and Ollama paths).
    #[must_use]
    pub fn chat_requests(&self) -> Vec<RecordedLlmRequest> {
        self.state.log.chats()
    }

    /// Forgets the recorded requests.
    pub fn clear_requests(&self) {
        self.state.log.clear();
    }
}
