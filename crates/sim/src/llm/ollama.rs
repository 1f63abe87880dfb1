//! Ollama's native API: `/api/chat` (one JSON object, or NDJSON lines ending with `done: true`
//! and the token counts), `/api/tags` and `/api/show` with the model's context length. Like
//! Ollama, a prompt longer than `options.num_ctx` (2,048 when absent) is silently truncated: the
//! reported `prompt_eval_count` shows it.

use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::{
    LlmFault, State, answer,
    handler::Dialect,
    openai::{Turn, error, stream_response},
    serve::Frames,
};

/// Ollama's default context when a request names none.
const DEFAULT_NUM_CTX: u64 = 2048;
const CREATED_AT: &str = "2026-01-01T00:00:00Z";

fn architecture(name: &str) -> &'static str {
    if name.starts_with("qwen") {
        "qwen2"
    } else {
        "llama"
    }
}

pub(super) fn tags(state: &State) -> Response {
    let models: Vec<Value> = state
        .options
        .models
        .iter()
        .map(|m| {
            json!({"name": m.name, "model": m.name, "modified_at": CREATED_AT, "size": 2_019_393_189_u64,
                   "digest": "sha256:0000000000000000000000000000000000000000000000000000000000000000",
                   "details": {"format": "gguf", "family": architecture(&m.name), "parameter_size": "3.2B",
                               "quantization_level": "Q4_K_M"}})
        })
        .collect();
    axum::Json(json!({"models": models})).into_response()
}

pub(super) fn show(state: &State, body: &[u8]) -> Response {
    let request: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let name = request
        .get("model")
        .or_else(|| request.get("name"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let flavor = state.options.flavor;
    let Some(model) = state.model(name) else {
        return super::openai::model_not_found(Dialect::Ollama, flavor, name);
    };
    let arch = architecture(&model.name);
    let mut info = serde_json::Map::new();
    info.insert("general.architecture".into(), json!(arch));
    info.insert("general.parameter_count".into(), json!(3_212_749_888_u64));
    info.insert(
        format!("{arch}.context_length"),
        json!(model.context_length),
    );
    info.insert(format!("{arch}.embedding_length"), json!(3072));
    axum::Json(json!({
        "modelfile": format!("FROM {}", model.name),
        "parameters": "stop \"<|eot_id|>\"",
        "template": "{{ .Prompt }}",
        "details": {"format": "gguf", "family": arch, "parameter_size": "3.2B", "quantization_level": "Q4_K_M"},
        "model_info": info,
        "capabilities": ["completion"],
    }))
    .into_response()
}

pub(super) fn chat(state: &State, turn: &Turn<'_>, body: &Value) -> Response {
    let flavor = state.options.flavor;
    if turn.fault == Some(LlmFault::ContextOverflow) {
        return error(
            Dialect::Ollama,
            flavor,
            400,
            "the input length exceeds the context length",
            "context",
        );
    }
    let num_ctx = body
        .pointer("/options/num_ctx")
        .and_then(Value::as_u64)
        .unwrap_or(DEFAULT_NUM_CTX)
        .min(u64::from(turn.model.context_length));
    // Ollama keeps the tail of an over-long prompt and says so only in its own log.
    let prompt_eval_count = u64::from(turn.prompt.tokens()).min(num_ctx);
    let (text, finish) = turn.answer(state);
    let model = turn.model.name.as_str();
    let done = json!({
        "model": model, "created_at": CREATED_AT,
        "message": {"role": "assistant", "content": if turn.prompt.stream { "" } else { text.as_str() }},
        "done": true, "done_reason": finish,
        "total_duration": 5_191_566_416_u64, "load_duration": 2_154_458_u64,
        "prompt_eval_count": prompt_eval_count, "prompt_eval_duration": 383_809_000_u64,
        "eval_count": answer::tokens(&text), "eval_duration": 4_799_921_000_u64,
    });
    let mut frames = Frames::new(state.options.chunk_delay);
    if !turn.prompt.stream {
        let error = json!({"error": "the model crashed while answering"}).to_string();
        frames.whole(&done.to_string(), turn.fault, error);
        return stream_response(frames, "application/json; charset=utf-8");
    }
    let pieces = answer::chunks(&text, state.options.chunk_chars);
    let malformed = "{\"model\": \"m\", \"message\": {\"content\": \"tr\n";
    for (i, piece) in pieces.iter().enumerate() {
        if frames.fault_at(turn.fault, i, false, malformed) {
            return stream_response(frames, "application/x-ndjson");
        }
        let line = json!({"model": model, "created_at": CREATED_AT,
                          "message": {"role": "assistant", "content": piece}, "done": false});
        frames.push(format!("{line}\n"));
    }
    if frames.fault_at(turn.fault, pieces.len(), true, malformed) {
        return stream_response(frames, "application/x-ndjson");
    }
    if turn.fault == Some(LlmFault::ErrorInStream) {
        frames.push(format!(
            "{}\n",
            json!({"error": "the model crashed while answering"})
        ));
        return stream_response(frames, "application/x-ndjson");
    }
    frames.push(format!("{done}\n"));
    stream_response(frames, "application/x-ndjson")
}
