//! An Ollama-protocol adapter in front of a real llama.cpp `llama-server`, so that the Ollama
//! backend can be tested end to end against a real model. It serves Ollama's `/api/chat`
//! (one JSON object, or NDJSON lines ending with `done: true` and the token counts),
//! `/api/show` (the context length is llama-server's context per slot, from `/props`: the most
//! a request can use, since llama-server cannot change it per request) and `/api/tags`, and
//! forwards each chat to `/v1/chat/completions`. Every request is recorded as the simulator
//! records its own. When llama-server goes away mid-stream, the answer breaks off as Ollama's
//! does when its runner dies; before the first byte it is Ollama's error body.

use std::{collections::VecDeque, net::SocketAddr, sync::Arc, time::Instant};

use axum::{
    Router,
    body::{Body, Bytes},
    extract::State as AxumState,
    http::{Method, StatusCode, Uri, header},
    response::{IntoResponse, Response},
};
use futures::{StreamExt, stream::BoxStream};
use serde_json::{Value, json};
use tokio::sync::watch;

use super::{RecordedLlmRequest, RequestLog};
use crate::SimError;

/// How to run the adapter.
#[derive(Debug, Clone)]
pub struct OllamaProxyOptions {
    /// Where to listen; port 0 picks a free one.
    pub listen: SocketAddr,
    /// llama-server's root URL, such as `http://127.0.0.1:8080` (no `/v1`).
    pub upstream: String,
    /// The model name the adapter answers to (`smollm2`, or `smollm2:latest`); others get
    /// Ollama's 404.
    pub model: String,
}

/// A running adapter. Dropping it stops the server.
pub struct OllamaProxy {
    addr: SocketAddr,
    state: Arc<Shared>,
    _stop: watch::Sender<()>,
}

struct Shared {
    options: OllamaProxyOptions,
    client: reqwest::Client,
    log: RequestLog,
    started: Instant,
}

impl Shared {
    #[allow(clippy::cast_possible_truncation)] // Milliseconds since start fit in u64.
    fn elapsed_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    fn upstream(&self, path: &str) -> String {
        format!("{}/{path}", self.options.upstream.trim_end_matches('/'))
    }

    fn serves(&self, name: &str) -> bool {
        let bare = |n: &str| n.strip_suffix(":latest").unwrap_or(n).to_owned();
        bare(name) == bare(&self.options.model)
    }
}

impl OllamaProxy {
    /// Starts serving on a background task of the current Tokio runtime.
    pub async fn start(options: OllamaProxyOptions) -> Result<Self, SimError> {
        let (listener, addr) = crate::tls::bind(options.listen).await?;
        // reqwest is built without a crypto provider (see the workspace manifest); plain HTTP
        // needs none, but building a client does.
        if rustls::crypto::CryptoProvider::get_default().is_none() {
            let _ = rustls::crypto::ring::default_provider().install_default();
        }
        let client = reqwest::Client::builder()
            .no_proxy()
            .build()
            .map_err(SimError::Client)?;
        let state = Arc::new(Shared {
            options,
            client,
            log: RequestLog::default(),
            started: Instant::now(),
        });
        let app = Router::new()
            .fallback(handle)
            .with_state(Arc::clone(&state));
        let (_, stop) = crate::tls::spawn(listener, app, false)?;
        Ok(Self {
            addr,
            state,
            _stop: stop,
        })
    }

    /// The adapter's root URL, such as `http://127.0.0.1:41234`: Ollama's base URL.
    #[must_use]
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request received so far, in arrival order (no headers are recorded).
    #[must_use]
    pub fn requests(&self) -> Vec<RecordedLlmRequest> {
        self.state.log.all()
    }

    /// The `/api/chat` requests received so far.
    #[must_use]
    pub fn chat_requests(&self) -> Vec<RecordedLlmRequest> {
        self.state.log.chats()
    }
}

async fn handle(
    AxumState(state): AxumState<Arc<Shared>>,
    method: Method,
    uri: Uri,
    body: Bytes,
) -> Response {
    let started_ms = state.elapsed_ms();
    let path = uri.path().trim_end_matches('/');
    let response = match (path, &method) {
        ("/api/chat", &Method::POST) => chat(&state, &body).await,
        ("/api/show", &Method::POST) => show(&state, &body).await,
        ("/api/tags", &Method::GET) => tags(&state),
        ("/api/version", &Method::GET) => axum::Json(json!({"version": "0.0.0"})).into_response(),
        ("" | "/", &Method::GET | &Method::HEAD) => "Ollama is running".into_response(),
        _ => (StatusCode::NOT_FOUND, "404 page not found").into_response(),
    };
    let record = RecordedLlmRequest {
        method: method.to_string(),
        path: uri.path().to_owned(),
        query: uri.query().unwrap_or("").to_owned(),
        headers: Vec::new(),
        body: body.to_vec(),
        status: response.status().as_u16(),
        started_ms,
        answered_ms: state.elapsed_ms(),
    };
    state.log.push(record);
    response
}

/// Ollama's error body.
fn error(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(json!({"error": message}))).into_response()
}

fn not_found(model: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        &format!("model '{model}' not found, try pulling it first"),
    )
}

fn tags(state: &Shared) -> Response {
    let name = &state.options.model;
    axum::Json(json!({"models": [{
        "name": name, "model": name, "modified_at": now(), "size": 0,
        "digest": "sha256:0000000000000000000000000000000000000000000000000000000000000000",
        "details": {"format": "gguf", "family": "llama", "parameter_size": "", "quantization_level": ""},
    }]}))
    .into_response()
}

async fn show(state: &Shared, body: &[u8]) -> Response {
    let request: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let name = request
        .get("model")
        .or_else(|| request.get("name"))
        .and_then(Value::as_str)
        .unwrap_or("");
    if !state.serves(name) {
        return not_found(name);
    }
    let props = match state.client.get(state.upstream("props")).send().await {
        Ok(response) if response.status().is_success() => {
            response.json::<Value>().await.unwrap_or(Value::Null)
        }
        Ok(response) => return upstream_status(response).await,
        Err(e) => return unreachable(&e),
    };
    let Some(n_ctx) = props
        .pointer("/default_generation_settings/n_ctx")
        .and_then(Value::as_u64)
    else {
        return error(
            StatusCode::BAD_GATEWAY,
            "llama-server's /props has no default_generation_settings.n_ctx",
        );
    };
    axum::Json(json!({
        "modelfile": format!("FROM {name}"),
        "parameters": "",
        "template": props.get("chat_template").cloned().unwrap_or(json!("")),
        "details": {"format": "gguf", "family": "llama"},
        "model_info": {"general.architecture": "llama", "llama.context_length": n_ctx},
        "capabilities": ["completion"],
    }))
    .into_response()
}

/// The OpenAI-compatible request for an Ollama chat request.
fn upstream_body(request: &Value, stream: bool) -> Value {
    let mut body = json!({
        "model": request.get("model").cloned().unwrap_or(Value::Null),
        "messages": request.get("messages").cloned().unwrap_or(json!([])),
        "stream": stream,
    });
    if stream {
        body["stream_options"] = json!({"include_usage": true});
    }
    let options = request.get("options");
    let option = |name: &str| options.and_then(|o| o.get(name)).cloned();
    for (ollama, openai) in [
        ("num_predict", "max_tokens"),
        ("temperature", "temperature"),
        ("top_p", "top_p"),
        ("seed", "seed"),
        ("stop", "stop"),
    ] {
        if let Some(value) = option(ollama) {
            body[openai] = value;
        }
    }
    match request.get("format") {
        Some(Value::String(f)) if f == "json" => {
            body["response_format"] = json!({"type": "json_object"});
        }
        Some(schema @ Value::Object(_)) => {
            body["response_format"] =
                json!({"type": "json_schema", "json_schema": {"name": "answer", "schema": schema}});
        }
        _ => {}
    }
    body
}

async fn chat(state: &Shared, body: &[u8]) -> Response {
    let Ok(request) = serde_json::from_slice::<Value>(body) else {
        return error(StatusCode::BAD_REQUEST, "invalid JSON in the request body");
    };
    let model = request
        .get("model")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    if !state.serves(&model) {
        return not_found(&model);
    }
    // Ollama streams unless told not to.
    let stream = request.get("stream").and_then(Value::as_bool) != Some(false);
    let sent = state
        .client
        .post(state.upstream("v1/chat/completions"))
        .json(&upstream_body(&request, stream))
        .send()
        .await;
    let response = match sent {
        Ok(response) if response.status().is_success() => response,
        Ok(response) => return upstream_status(response).await,
        Err(e) => return unreachable(&e),
    };
    if !stream {
        let Ok(answer) = response.json::<Value>().await else {
            return error(StatusCode::BAD_GATEWAY, "llama-server's answer is not JSON");
        };
        let text = answer
            .pointer("/choices/0/message/content")
            .and_then(Value::as_str)
            .unwrap_or("");
        let mut turn = Turn::new(&model);
        turn.read_chunk(&answer);
        return axum::Json(turn.done(text)).into_response();
    }
    let relay = Relay {
        upstream: response.bytes_stream().boxed(),
        buffer: Vec::new(),
        lines: VecDeque::new(),
        turn: Turn::new(&model),
        ended: false,
    };
    let lines = futures::stream::unfold(relay, Relay::next);
    Response::builder()
        .header(header::CONTENT_TYPE, "application/x-ndjson")
        .body(Body::from_stream(lines))
        .unwrap_or_else(|_| error(StatusCode::INTERNAL_SERVER_ERROR, "cannot stream"))
}

/// llama-server's error, as Ollama words errors: the same status, `{"error": message}`.
async fn upstream_status(response: reqwest::Response) -> Response {
    let status =
        StatusCode::from_u16(response.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    let text = response.text().await.unwrap_or_default();
    let message = serde_json::from_str::<Value>(&text)
        .ok()
        .and_then(|v| {
            v.pointer("/error/message")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .unwrap_or(text);
    error(status, &message)
}

fn unreachable(e: &reqwest::Error) -> Response {
    // Ollama answers 500 when its runner has gone.
    error(
        StatusCode::INTERNAL_SERVER_ERROR,
        &format!("llama runner process has terminated: {e}"),
    )
}

fn now() -> String {
    jiff::Timestamp::now().to_string()
}

/// What one answer has said so far: its finish reason, token counts and timings.
struct Turn {
    model: String,
    reason: Option<String>,
    usage: Option<Value>,
    timings: Option<Value>,
}

impl Turn {
    fn new(model: &str) -> Self {
        Self {
            model: model.to_owned(),
            reason: None,
            usage: None,
            timings: None,
        }
    }

    /// Keeps the finish reason, usage and timings of a chunk (or a whole answer).
    fn read_chunk(&mut self, chunk: &Value) {
        if let Some(reason) = chunk
            .pointer("/choices/0/finish_reason")
            .and_then(Value::as_str)
        {
            self.reason = Some(reason.to_owned());
        }
        for (field, slot) in [("usage", &mut self.usage), ("timings", &mut self.timings)] {
            if let Some(value) = chunk.get(field).filter(|v| v.is_object()) {
                *slot = Some(value.clone());
            }
        }
    }

    /// A line of answer text.
    fn delta(&self, text: &str) -> Value {
        json!({"model": self.model, "created_at": now(),
               "message": {"role": "assistant", "content": text}, "done": false})
    }

    /// The last line (or the whole answer): the counts, and durations in nanoseconds.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // Durations in range.
    fn done(&self, text: &str) -> Value {
        let count = |name: &str| {
            self.usage
                .as_ref()
                .and_then(|u| u.get(name))
                .and_then(Value::as_u64)
                .unwrap_or(0)
        };
        let nanos = |name: &str| {
            let ms = self.timings.as_ref().and_then(|t| t.get(name));
            // Whole nanoseconds from llama.cpp's fractional milliseconds.
            ms.and_then(Value::as_f64)
                .map_or(0, |ms| (ms.max(0.0) * 1e6) as u64)
        };
        let (prompt, eval) = (nanos("prompt_ms"), nanos("predicted_ms"));
        json!({
            "model": self.model, "created_at": now(),
            "message": {"role": "assistant", "content": text},
            "done": true, "done_reason": self.reason.as_deref().unwrap_or("stop"),
            "total_duration": prompt + eval, "load_duration": 0,
            "prompt_eval_count": count("prompt_tokens"), "prompt_eval_duration": prompt,
            "eval_count": count("completion_tokens"), "eval_duration": eval,
        })
    }
}

/// Turns llama-server's server-sent events into Ollama's NDJSON lines as they arrive.
struct Relay {
    upstream: BoxStream<'static, reqwest::Result<Bytes>>,
    buffer: Vec<u8>,
    lines: VecDeque<String>,
    turn: Turn,
    ended: bool,
}

type Line = Result<String, std::io::Error>;

impl Relay {
    async fn next(mut self) -> Option<(Line, Self)> {
        loop {
            if let Some(line) = self.lines.pop_front() {
                return Some((Ok(line), self));
            }
            if self.ended {
                return None;
            }
            match self.upstream.next().await {
                Some(Ok(bytes)) => {
                    self.buffer.extend_from_slice(&bytes);
                    self.drain();
                }
                // llama-server went away: break the answer off, as Ollama does when its runner
                // dies (hyper drops the connection without finishing the body).
                Some(Err(e)) => return Some(self.cut(&e.to_string())),
                None => return Some(self.cut("llama-server ended the stream without [DONE]")),
            }
        }
    }

    fn cut(mut self, why: &str) -> (Line, Self) {
        self.ended = true;
        (Err(std::io::Error::other(why.to_owned())), self)
    }

    /// Turns every complete event line in the buffer into Ollama lines.
    fn drain(&mut self) {
        while let Some(end) = self.buffer.iter().position(|&b| b == b'\n') {
            let raw: Vec<u8> = self.buffer.drain(..=end).collect();
            let line = String::from_utf8_lossy(&raw);
            let Some(data) = line.trim().strip_prefix("data:").map(str::trim) else {
                continue;
            };
            if data == "[DONE]" {
                self.lines.push_back(format!("{}\n", self.turn.done("")));
                self.ended = true;
                return;
            }
            let Ok(chunk) = serde_json::from_str::<Value>(data) else {
                continue;
            };
            if let Some(e) = chunk.get("error") {
                let message = e.get("message").and_then(Value::as_str).unwrap_or("error");
                self.lines
                    .push_back(format!("{}\n", json!({"error": message})));
                self.ended = true;
                return;
            }
            self.turn.read_chunk(&chunk);
            let text = chunk
                .pointer("/choices/0/delta/content")
                .and_then(Value::as_str)
                .unwrap_or("");
            if !text.is_empty() {
                self.lines.push_back(format!("{}\n", self.turn.delta(text)));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ollama_options_become_openai_fields() {
        let request = json!({"model": "smollm2", "messages": [{"role": "user", "content": "hi"}],
                             "format": "json", "options": {"num_ctx": 4096, "num_predict": 64,
                             "temperature": 0.2}});
        let body = upstream_body(&request, true);
        assert_eq!(body["max_tokens"], 64);
        assert_eq!(body["temperature"], 0.2);
        assert_eq!(body["response_format"]["type"], "json_object");
        assert_eq!(body["stream_options"]["include_usage"], true);
        assert!(body.get("num_ctx").is_none(), "{body}");
        assert!(
            upstream_body(&request, false)
                .get("stream_options")
                .is_none()
        );
    }

    #[test]
    fn events_become_ndjson_lines_ending_with_the_counts() {
        let mut relay = Relay {
            upstream: futures::stream::empty().boxed(),
            buffer: Vec::new(),
            lines: VecDeque::new(),
            turn: Turn::new("smollm2"),
            ended: false,
        };
        relay.buffer.extend_from_slice(
            b"data: {\"choices\":[{\"delta\":{\"content\":\"Hel\"}}]}\n\n\
              data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"length\"}]}\n\n\
              data: {\"choices\":[],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":3},\
              \"timings\":{\"prompt_ms\":1.5,\"predicted_ms\":2.0}}\n\ndata: [DO",
        );
        relay.drain();
        assert_eq!(relay.lines.len(), 1);
        relay.buffer.extend_from_slice(b"NE]\n\n");
        relay.drain();
        let lines: Vec<Value> = relay
            .lines
            .iter()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines[0]["message"]["content"], "Hel");
        assert_eq!(lines[0]["done"], false);
        let last = &lines[1];
        assert_eq!(last["done"], true);
        assert_eq!(last["done_reason"], "length");
        assert_eq!(last["prompt_eval_count"], 12);
        assert_eq!(last["eval_count"], 3);
        assert_eq!(last["prompt_eval_duration"], 1_500_000);
        assert!(relay.ended);
    }
}
