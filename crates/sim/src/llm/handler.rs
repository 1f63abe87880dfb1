//! Routing, authentication and the request log. Every request is recorded with its body before
//! it is answered; secret header values are masked in the record.

use std::sync::Arc;

use axum::{
    Router,
    body::Bytes,
    extract::State as AxumState,
    http::{HeaderMap, Method, StatusCode, Uri, header},
    response::{IntoResponse, Response},
};
use serde_json::{Value, json};

use super::{LlmFault, RecordedLlmRequest, State, ollama, openai};

pub(super) fn router(state: Arc<State>) -> Router {
    Router::new().fallback(handle).with_state(state)
}

/// Header names whose values are secrets: recorded masked.
const SECRET_HEADERS: [&str; 5] = [
    "authorization",
    "api-key",
    "x-api-key",
    "cookie",
    "proxy-authorization",
];

async fn handle(
    AxumState(state): AxumState<Arc<State>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let started_ms = state.elapsed_ms();
    let response = respond(&state, &method, &uri, &headers, &body).await;
    let record = RecordedLlmRequest {
        method: method.to_string(),
        path: uri.path().to_owned(),
        query: uri.query().unwrap_or("").to_owned(),
        headers: recorded_headers(&headers),
        body: body.to_vec(),
        status: response.status().as_u16(),
        started_ms,
        answered_ms: state.elapsed_ms(),
    };
    tracing::debug!("{} {} -> {}", record.method, record.path, record.status);
    state.log.push(record);
    response
}

fn recorded_headers(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| {
            let name = name.as_str().to_ascii_lowercase();
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            let value = if SECRET_HEADERS.contains(&name.as_str()) {
                match value.split_once(' ') {
                    Some((scheme, _)) if name.ends_with("authorization") => {
                        format!("{scheme} <redacted>")
                    }
                    _ => "<redacted>".to_owned(),
                }
            } else {
                value
            };
            (name, value)
        })
        .collect()
}

/// Which protocol a path speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Dialect {
    OpenAi,
    Azure,
    Ollama,
}

async fn respond(
    state: &State,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    let path = uri.path().trim_end_matches('/');
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let dialect = match segments.as_slice() {
        ["openai", ..] => Dialect::Azure,
        ["api", ..] => Dialect::Ollama,
        _ => Dialect::OpenAi,
    };
    if let Some(denied) = authenticate(state, dialect, headers) {
        return denied;
    }
    let get = method == Method::GET;
    let post = method == Method::POST;
    match (segments.as_slice(), get, post) {
        (["v1", "models"] | ["models"], true, _) => openai::models(state),
        (["v1", "chat", "completions"] | ["chat", "completions"], _, true) => {
            chat(state, Dialect::OpenAi, None, body).await
        }
        (["openai", "deployments", deployment, "chat", "completions"], _, true) => {
            if !query_has(uri, "api-version") {
                return openai::error(
                    Dialect::Azure,
                    state.options.flavor,
                    404,
                    "Resource not found: the api-version query parameter is required",
                    "invalid_request_error",
                );
            }
            chat(state, Dialect::Azure, Some(deployment), body).await
        }
        (["api", "chat"], _, true) => chat(state, Dialect::Ollama, None, body).await,
        (["api", "tags"], true, _) => ollama::tags(state),
        (["api", "show"], _, true) => ollama::show(state, body),
        (["props"], true, _) if state.options.flavor == super::Flavor::LlamaCpp => {
            openai::props(state)
        }
        (["tokenize"], _, true) if state.options.flavor == super::Flavor::LlamaCpp => {
            openai::tokenize(body)
        }
        (["health"], true, _) => axum::Json(json!({"status": "ok"})).into_response(),
        _ => (
            StatusCode::NOT_FOUND,
            format!("404 page not found: {method} {path}"),
        )
            .into_response(),
    }
}

fn query_has(uri: &Uri, name: &str) -> bool {
    uri.query().unwrap_or("").split('&').any(|pair| {
        pair.split_once('=')
            .is_some_and(|(k, v)| k == name && !v.is_empty())
    })
}

/// A 401 unless the request carries the key the simulator was started with (Ollama's paths
/// take none).
fn authenticate(state: &State, dialect: Dialect, headers: &HeaderMap) -> Option<Response> {
    let key = state.options.api_key.as_deref()?;
    let value = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let bearer = value(header::AUTHORIZATION.as_str()).and_then(|v| v.strip_prefix("Bearer "));
    let ok = match dialect {
        Dialect::Azure => value("api-key") == Some(key),
        Dialect::OpenAi => bearer == Some(key),
        // Ollama has no keys.
        Dialect::Ollama => true,
    };
    (!ok).then(|| {
        openai::error(
            dialect,
            state.options.flavor,
            401,
            "Incorrect API key provided.",
            "invalid_api_key",
        )
    })
}

/// A chat request in any dialect: faults first, then the model's answer.
async fn chat(state: &State, dialect: Dialect, deployment: Option<&str>, body: &[u8]) -> Response {
    let (n, fault) = state.next_chat();
    let flavor = state.options.flavor;
    let Ok(value) = serde_json::from_slice::<Value>(body) else {
        return openai::error(
            dialect,
            flavor,
            400,
            "the body is not valid JSON",
            "invalid_request_error",
        );
    };
    let Some(prompt) = super::answer::Prompt::parse(&value, dialect == Dialect::Ollama) else {
        return openai::error(
            dialect,
            flavor,
            400,
            "`messages` is required",
            "invalid_request_error",
        );
    };
    match fault {
        Some(LlmFault::Delay(delay)) => tokio::time::sleep(delay).await,
        Some(LlmFault::RateLimited { retry_after }) => {
            return openai::rate_limited(dialect, flavor, retry_after);
        }
        Some(LlmFault::ServerError) => {
            return openai::error(
                dialect,
                flavor,
                500,
                "The server had an error while processing your request.",
                "server_error",
            );
        }
        Some(LlmFault::Status(code)) => {
            return openai::error(
                dialect,
                flavor,
                code,
                "Injected failure.",
                "invalid_request_error",
            );
        }
        _ => {}
    }
    let model_name = deployment.unwrap_or(&prompt.model);
    let Some(model) = state.model(model_name) else {
        return openai::model_not_found(dialect, flavor, model_name);
    };
    let turn = super::openai::Turn {
        n,
        prompt: &prompt,
        model: &model,
        fault,
    };
    match dialect {
        Dialect::Ollama => ollama::chat(state, &turn, &value),
        Dialect::OpenAi | Dialect::Azure => openai::chat(state, dialect, &turn),
    }
}
