//! OpenAI's Chat Completions as OpenAI, Azure, llama.cpp and vLLM speak it: JSON answers,
//! server-sent-event streams with an optional usage chunk, `/v1/models`, the error bodies of
//! each, and llama.cpp's `/props` and `/tokenize`.

use std::time::Duration;

use axum::{
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde_json::{Value, json};

use super::{
    Flavor, LlmFault, SimModel, State,
    answer::{self, Prompt},
    handler::Dialect,
    serve::{Frames, stream_body},
};

/// One chat request being answered.
pub(super) struct Turn<'a> {
    pub n: u64,
    pub prompt: &'a Prompt,
    pub model: &'a SimModel,
    pub fault: Option<LlmFault>,
}

impl Turn<'_> {
    /// The answer, cut to `max_tokens` (then `finish` is `length`), and the finish reason.
    pub fn answer(&self, state: &State) -> (String, &'static str) {
        if self.fault == Some(LlmFault::EmptyAnswer) {
            return (String::new(), "stop");
        }
        let text = answer::render(&state.options.answer, self.prompt, self.n);
        match self.prompt.max_tokens {
            Some(max) if u64::from(answer::tokens(&text)) > max => {
                let keep = usize::try_from(max.saturating_mul(4)).unwrap_or(usize::MAX);
                (text.chars().take(keep).collect(), "length")
            }
            _ => (text, "stop"),
        }
    }
}

pub(super) fn models(state: &State) -> Response {
    let flavor = state.options.flavor;
    let data: Vec<Value> = state
        .options
        .models
        .iter()
        .map(|m| {
            let mut entry =
                json!({"id": m.name, "object": "model", "created": 0, "owned_by": "kubewhy-sim"});
            match flavor {
                Flavor::Vllm => entry["max_model_len"] = json!(m.context_length),
                Flavor::LlamaCpp => entry["meta"] = json!({"n_ctx_train": m.context_length}),
                Flavor::OpenAi => {}
            }
            entry
        })
        .collect();
    axum::Json(json!({"object": "list", "data": data})).into_response()
}

pub(super) fn props(state: &State) -> Response {
    axum::Json(json!({
        "default_generation_settings": {"n_ctx": state.slot_context(), "params": {"temperature": 0.8}},
        "total_slots": state.options.slots,
        "model_alias": "kubewhy-sim",
        "model_path": "models/kubewhy-sim.gguf",
        "chat_template": "{{ messages }}",
        "build_info": "b0-kubewhy-sim",
    }))
    .into_response()
}

pub(super) fn tokenize(body: &[u8]) -> Response {
    let content = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v.get("content").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_default();
    let tokens: Vec<u32> = (0..answer::tokens(&content)).collect();
    axum::Json(json!({"tokens": tokens})).into_response()
}

/// An error body in the path's dialect.
pub(super) fn error(
    dialect: Dialect,
    flavor: Flavor,
    status: u16,
    message: &str,
    kind: &str,
) -> Response {
    let body = match (dialect, flavor) {
        (Dialect::Ollama, _) => json!({"error": message}),
        (Dialect::OpenAi, Flavor::LlamaCpp) => {
            json!({"error": {"code": status, "message": message, "type": kind}})
        }
        _ => json!({"error": {"message": message, "type": kind, "param": null, "code": kind}}),
    };
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, axum::Json(body)).into_response()
}

pub(super) fn model_not_found(dialect: Dialect, flavor: Flavor, model: &str) -> Response {
    match dialect {
        Dialect::Ollama => error(
            dialect,
            flavor,
            404,
            &format!("model '{model}' not found"),
            "not_found",
        ),
        Dialect::Azure => error(
            dialect,
            flavor,
            404,
            &format!("The API deployment {model} does not exist."),
            "DeploymentNotFound",
        ),
        Dialect::OpenAi => error(
            dialect,
            flavor,
            404,
            &format!("The model `{model}` does not exist or you do not have access to it."),
            "model_not_found",
        ),
    }
}

pub(super) fn rate_limited(
    dialect: Dialect,
    flavor: Flavor,
    retry_after: Option<Duration>,
) -> Response {
    let mut response = error(
        dialect,
        flavor,
        429,
        "Rate limit reached for requests. Please try again later.",
        "rate_limit_exceeded",
    );
    if let Some(delay) = retry_after {
        let seconds = delay.as_millis().div_ceil(1000);
        let headers = response.headers_mut();
        if let Ok(v) = HeaderValue::from_str(&seconds.to_string()) {
            headers.insert(header::RETRY_AFTER, v);
        }
        if let Ok(v) = HeaderValue::from_str(&delay.as_millis().to_string()) {
            headers.insert("retry-after-ms", v);
        }
    }
    response
}

/// The overflow error, when the prompt does not fit (or the fault forces it).
fn overflow(state: &State, dialect: Dialect, turn: &Turn<'_>) -> Option<Response> {
    let flavor = state.options.flavor;
    let prompt = turn.prompt.tokens();
    let forced = turn.fault == Some(LlmFault::ContextOverflow);
    if dialect == Dialect::OpenAi && flavor == Flavor::LlamaCpp {
        let n_ctx = state.slot_context();
        if !forced && prompt < n_ctx {
            return None;
        }
        let prompt = if forced { prompt.max(n_ctx) } else { prompt };
        let body = json!({"error": {
            "code": 400,
            "message": format!("request ({prompt} tokens) exceeds the available context size ({n_ctx} tokens), try increasing it"),
            "type": "exceed_context_size_error",
            "n_prompt_tokens": prompt,
            "n_ctx": n_ctx,
        }});
        return Some((StatusCode::BAD_REQUEST, axum::Json(body)).into_response());
    }
    let wanted = u64::from(prompt) + turn.prompt.max_tokens.unwrap_or(0);
    let limit = turn.model.context_length;
    if !forced && wanted <= u64::from(limit) {
        return None;
    }
    let message = format!(
        "This model's maximum context length is {limit} tokens. However, your messages resulted in {} tokens. Please reduce the length of the messages.",
        wanted.max(u64::from(limit) + 1)
    );
    Some(error(
        dialect,
        flavor,
        400,
        &message,
        "context_length_exceeded",
    ))
}

pub(super) fn chat(state: &State, dialect: Dialect, turn: &Turn<'_>) -> Response {
    if let Some(response) = overflow(state, dialect, turn) {
        return response;
    }
    let (text, finish) = turn.answer(state);
    let usage = json!({
        "prompt_tokens": turn.prompt.tokens(),
        "completion_tokens": answer::tokens(&text),
        "total_tokens": turn.prompt.tokens() + answer::tokens(&text),
    });
    let id = format!("chatcmpl-sim-{}", turn.n);
    let model = turn.model.name.as_str();
    if !turn.prompt.stream {
        return complete(turn.fault, &id, model, &text, finish, &usage);
    }
    let flavor = state.options.flavor;
    let chunk = |delta: Value, finish: Option<&str>| {
        let mut c = json!({"id": id, "object": "chat.completion.chunk", "created": 1_700_000_000, "model": model,
                           "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]});
        if turn.prompt.include_usage {
            c["usage"] = Value::Null;
        }
        sse(&c)
    };
    let mut frames = Frames::new(state.options.chunk_delay);
    frames.push(chunk(json!({"role": "assistant", "content": ""}), None));
    let pieces = answer::chunks(&text, state.options.chunk_chars);
    for (i, piece) in pieces.iter().enumerate() {
        if frames.fault_at(turn.fault, i, false, MALFORMED_SSE) {
            return stream_response(frames, "text/event-stream");
        }
        frames.push(chunk(json!({"content": piece}), None));
    }
    if frames.fault_at(turn.fault, pieces.len(), true, MALFORMED_SSE) {
        return stream_response(frames, "text/event-stream");
    }
    if turn.fault == Some(LlmFault::ErrorInStream) {
        frames.push(sse(&json!({"error": {"code": 500, "message": "the model crashed while answering", "type": "server_error"}})));
        return stream_response(frames, "text/event-stream");
    }
    let mut last = json!({"id": id, "object": "chat.completion.chunk", "created": 1_700_000_000, "model": model,
                          "choices": [{"index": 0, "delta": {}, "finish_reason": finish}]});
    if flavor == Flavor::LlamaCpp {
        last["timings"] = json!({"prompt_n": turn.prompt.tokens(), "cache_n": 0, "predicted_n": answer::tokens(&text)});
    }
    if turn.prompt.include_usage {
        last["usage"] = Value::Null;
    }
    frames.push(sse(&last));
    if turn.prompt.include_usage {
        let mut tail = json!({"id": id, "object": "chat.completion.chunk", "created": 1_700_000_000, "model": model, "usage": usage});
        if flavor != Flavor::Vllm {
            tail["choices"] = json!([]);
        }
        frames.push(sse(&tail));
    }
    frames.push("data: [DONE]\n\n".to_owned());
    stream_response(frames, "text/event-stream")
}

/// A data line whose JSON breaks off.
const MALFORMED_SSE: &str =
    "data: {\"id\": \"chatcmpl-sim\", \"choices\": [{\"delta\": {\"content\": \"tr\n\n";

fn sse(value: &Value) -> String {
    format!("data: {value}\n\n")
}

/// A non-streamed answer, or its faulty forms.
fn complete(
    fault: Option<LlmFault>,
    id: &str,
    model: &str,
    text: &str,
    finish: &str,
    usage: &Value,
) -> Response {
    let body = json!({
        "id": id, "object": "chat.completion", "created": 1_700_000_000, "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": finish}],
        "usage": usage,
    })
    .to_string();
    let error = json!({"error": {"code": 500, "message": "the model crashed while answering", "type": "server_error"}});
    let mut frames = Frames::new(Duration::ZERO);
    frames.whole(&body, fault, error.to_string());
    stream_response(frames, "application/json")
}

pub(super) fn stream_response(frames: Frames, content_type: &'static str) -> Response {
    let mut response = Response::new(stream_body(frames));
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}
