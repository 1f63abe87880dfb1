//! Routing and the HTTP side: the Web API methods, `response_url`s and the incoming webhook,
//! each refusing like Slack (status, body, error code) and recording what it accepted or
//! refused.

use std::sync::Arc;

use axum::{
    Json, Router,
    body::Bytes,
    extract::{Path, State as AxumState},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde_json::{Map, Value, json};

use super::{Issued, Post, Rejection, SlackFault, State, TEAM, Target, Via, blocks, lock, socket};

/// A response URL accepts this many posts.
const RESPONSE_URL_USES: usize = 5;

pub(super) fn router(state: Arc<State>) -> Router {
    Router::new()
        .route("/api/{method}", post(api))
        .route("/commands/{*id}", post(response_url))
        .route("/services/{*id}", post(webhook))
        .route("/link", get(socket::upgrade))
        .route("/link/", get(socket::upgrade))
        .with_state(state)
}

/// A refusal: the status, Slack's error code, the details of `invalid_blocks`, and the
/// `Retry-After` of a rate limit.
#[derive(Debug, Clone)]
pub(super) struct Refusal {
    status: StatusCode,
    error: String,
    errors: Vec<String>,
    retry_after: Option<u64>,
}

impl Refusal {
    pub(super) fn new(status: StatusCode, error: &str) -> Self {
        Self {
            status,
            error: error.to_owned(),
            errors: Vec::new(),
            retry_after: None,
        }
    }

    /// A Web API error: HTTP 200 with `ok: false`.
    pub(super) fn api(error: &str) -> Self {
        Self::new(StatusCode::OK, error)
    }

    /// What an injected fault answers on `target`.
    fn fault(fault: SlackFault, target: Target) -> Self {
        match fault {
            SlackFault::RateLimited { retry_after_secs } => Self {
                retry_after: Some(retry_after_secs),
                ..Self::new(StatusCode::TOO_MANY_REQUESTS, "ratelimited")
            },
            SlackFault::ServerError => {
                Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_error")
            }
            SlackFault::Expired => match target {
                Target::ResponseUrl => Self::new(StatusCode::NOT_FOUND, "expired_url"),
                Target::Webhook => Self::new(StatusCode::NOT_FOUND, "no_service"),
                Target::PostMessage | Target::Update => Self::api("token_expired"),
            },
        }
    }

    fn blocks(invalid: blocks::Invalid, status: StatusCode) -> Self {
        Self {
            errors: invalid.errors,
            ..Self::new(status, invalid.error)
        }
    }

    /// As JSON, `{"ok":false,"error":...}`, with `errors` when `details` and there are some.
    pub(super) fn json(&self, details: bool) -> Response {
        let mut body = json!({"ok": false, "error": self.error});
        if details && !self.errors.is_empty() {
            body["errors"] = json!(self.errors);
        }
        self.with_retry_after((self.status, Json(body)).into_response())
    }

    /// As the webhook answers: the error code as plain text, except a rate limit's JSON.
    fn text(&self) -> Response {
        if self.retry_after.is_some() {
            return self.json(false);
        }
        (self.status, self.error.clone()).into_response()
    }

    fn with_retry_after(&self, mut response: Response) -> Response {
        if let Some(secs) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from(secs));
        }
        response
    }

    fn record(&self, state: &State, via: Via, body: Value) {
        state.record_rejection(Rejection {
            via,
            status: self.status.as_u16(),
            error: self.error.clone(),
            body,
        });
    }
}

async fn api(
    AxumState(state): AxumState<Arc<State>>,
    Path(method): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let target = match method.as_str() {
        "chat.postMessage" => Target::PostMessage,
        "chat.update" => Target::Update,
        "apps.connections.open" => return socket::connections_open(&state, &headers, &body),
        _ => {
            let answer = json!({"ok": false, "error": "unknown_method", "req_method": method});
            return Json(answer).into_response();
        }
    };
    let via = if target == Target::PostMessage {
        Via::PostMessage
    } else {
        Via::Update
    };
    let parsed = parse_form_or_json(&headers, &body);
    match web_api(&state, target, &headers, parsed.as_ref()) {
        Ok(mut answer) => {
            if missing_charset(&headers) {
                answer["warning"] = json!("missing_charset");
                answer["response_metadata"] = json!({"warnings": ["missing_charset"]});
            }
            Json(answer).into_response()
        }
        Err(refusal) => {
            refusal.record(&state, via, parsed.unwrap_or(Value::Null));
            refusal.json(true)
        }
    }
}

fn web_api(
    state: &State,
    target: Target,
    headers: &HeaderMap,
    parsed: Option<&Value>,
) -> Result<Value, Refusal> {
    if let Some(fault) = state.take_fault(target) {
        return Err(Refusal::fault(fault, target));
    }
    let empty = Value::Object(Map::new());
    authorize(
        headers,
        parsed.unwrap_or(&empty),
        &state.options.bot_token,
        &state.options.app_token,
    )?;
    let body = parsed.ok_or_else(|| Refusal::api("invalid_json"))?;
    let channel = str_field(body, "channel").ok_or_else(|| Refusal::api("channel_not_found"))?;
    let invalid = |e| Refusal::blocks(e, StatusCode::OK);
    if target == Target::PostMessage {
        let content = blocks::check_message(body, true).map_err(invalid)?;
        let ts = state.mint_ts();
        let thread_ts = str_field(body, "thread_ts");
        let issued = Issued {
            channel: channel.clone(),
            thread_ts: thread_ts.clone(),
        };
        lock(&state.issued).insert(ts.clone(), issued);
        let message = message_json(&content, &ts, thread_ts.as_deref());
        record_post(
            state,
            Via::PostMessage,
            Some(channel.clone()),
            ts.clone(),
            thread_ts,
            content,
            body,
        );
        Ok(json!({"ok": true, "channel": channel, "ts": ts, "message": message}))
    } else {
        let ts = str_field(body, "ts").unwrap_or_default();
        let issued = lock(&state.issued).get(&ts).cloned();
        let issued = issued
            .filter(|issued| issued.channel == channel)
            .ok_or_else(|| Refusal::api("message_not_found"))?;
        let content = blocks::check_message(body, true).map_err(invalid)?;
        let message = message_json(&content, &ts, issued.thread_ts.as_deref());
        let text = content.text.clone();
        record_post(
            state,
            Via::Update,
            Some(channel.clone()),
            ts.clone(),
            issued.thread_ts,
            content,
            body,
        );
        Ok(json!({"ok": true, "channel": channel, "ts": ts, "text": text, "message": message}))
    }
}

/// The `message` object of an answer.
fn message_json(content: &blocks::Content, ts: &str, thread_ts: Option<&str>) -> Value {
    let mut message = json!({
        "type": "message",
        "user": "U0SIMBOT",
        "bot_id": "B0SIM",
        "app_id": "A0SIM",
        "team": TEAM,
        "text": content.text,
        "ts": ts,
    });
    if !content.blocks.is_null() {
        message["blocks"] = content.blocks.clone();
    }
    if let Some(thread_ts) = thread_ts {
        message["thread_ts"] = json!(thread_ts);
    }
    message
}

fn record_post(
    state: &State,
    via: Via,
    channel: Option<String>,
    ts: String,
    thread_ts: Option<String>,
    content: blocks::Content,
    body: &Value,
) {
    state.record_post(Post {
        via,
        channel,
        ts,
        thread_ts,
        text: content.text,
        blocks: content.blocks,
        body: body.clone(),
        at_ms: state.elapsed_ms(),
    });
}

async fn response_url(
    AxumState(state): AxumState<Arc<State>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let parsed = serde_json::from_slice::<Value>(&body).ok();
    match accept_response(&state, &id, parsed.as_ref()) {
        Ok(()) => Json(json!({"ok": true})).into_response(),
        Err(refusal) => {
            refusal.record(&state, Via::ResponseUrl(id), parsed.unwrap_or(Value::Null));
            refusal.json(false)
        }
    }
}

fn accept_response(state: &State, id: &str, parsed: Option<&Value>) -> Result<(), Refusal> {
    if let Some(fault) = state.take_fault(Target::ResponseUrl) {
        return Err(Refusal::fault(fault, Target::ResponseUrl));
    }
    let content = {
        let mut urls = lock(&state.response_urls);
        let uses = urls
            .get_mut(id)
            .ok_or_else(|| Refusal::new(StatusCode::NOT_FOUND, "expired_url"))?;
        if *uses >= RESPONSE_URL_USES {
            return Err(Refusal::new(StatusCode::NOT_FOUND, "used_url"));
        }
        let body = parsed
            .filter(|body| body.is_object())
            .ok_or_else(|| Refusal::new(StatusCode::BAD_REQUEST, "invalid_payload"))?;
        let deletes = body.get("delete_original").is_some_and(truthy);
        let content = blocks::check_message(body, !deletes)
            .map_err(|e| Refusal::blocks(e, StatusCode::OK))?;
        *uses += 1;
        content
    };
    let body = parsed.unwrap_or(&Value::Null);
    let thread_ts = str_field(body, "thread_ts");
    let via = Via::ResponseUrl(id.to_owned());
    record_post(state, via, None, state.mint_ts(), thread_ts, content, body);
    Ok(())
}

async fn webhook(
    AxumState(state): AxumState<Arc<State>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let parsed = if is_form(&headers) {
        // The legacy form: `payload=<json>`.
        serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body)
            .ok()
            .and_then(|pairs| pairs.into_iter().find(|(k, _)| k == "payload"))
            .and_then(|(_, payload)| serde_json::from_str::<Value>(&payload).ok())
    } else {
        serde_json::from_slice::<Value>(&body).ok()
    };
    match accept_webhook(&state, &id, parsed.as_ref()) {
        Ok(()) => (StatusCode::OK, "ok").into_response(),
        Err(refusal) => {
            refusal.record(&state, Via::Webhook, parsed.unwrap_or(Value::Null));
            refusal.text()
        }
    }
}

fn accept_webhook(state: &State, id: &str, parsed: Option<&Value>) -> Result<(), Refusal> {
    if let Some(fault) = state.take_fault(Target::Webhook) {
        return Err(Refusal::fault(fault, Target::Webhook));
    }
    if id != state.webhook_id {
        return Err(Refusal::new(StatusCode::NOT_FOUND, "no_service"));
    }
    let body = parsed
        .filter(|body| body.is_object())
        .ok_or_else(|| Refusal::new(StatusCode::BAD_REQUEST, "invalid_payload"))?;
    let content = blocks::check_message(body, true)
        .map_err(|e| Refusal::blocks(e, StatusCode::BAD_REQUEST))?;
    let thread_ts = str_field(body, "thread_ts");
    record_post(
        state,
        Via::Webhook,
        None,
        state.mint_ts(),
        thread_ts,
        content,
        body,
    );
    Ok(())
}

/// Checks the caller's token (`Authorization: Bearer`, or a `token` field): `expected` passes,
/// `wrong_type` (the other kind of token) is `not_allowed_token_type`, none is `not_authed`,
/// anything else `invalid_auth`.
pub(super) fn authorize(
    headers: &HeaderMap,
    body: &Value,
    expected: &str,
    wrong_type: &str,
) -> Result<(), Refusal> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    match bearer.or_else(|| body.get("token").and_then(Value::as_str)) {
        None | Some("") => Err(Refusal::api("not_authed")),
        Some(token) if token == expected => Ok(()),
        Some(token) if token == wrong_type => Err(Refusal::api("not_allowed_token_type")),
        Some(_) => Err(Refusal::api("invalid_auth")),
    }
}

/// A Web API body: form-encoded fields as an object of strings, or a JSON object. An empty
/// body is an empty object; `None` when it cannot be read.
pub(super) fn parse_form_or_json(headers: &HeaderMap, body: &[u8]) -> Option<Value> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Some(Value::Object(Map::new()));
    }
    if is_form(headers) {
        let pairs = serde_urlencoded::from_bytes::<Vec<(String, String)>>(body).ok()?;
        let object = pairs
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect();
        return Some(Value::Object(object));
    }
    serde_json::from_slice::<Value>(body)
        .ok()
        .filter(Value::is_object)
}

fn content_type(headers: &HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase()
}

fn is_form(headers: &HeaderMap) -> bool {
    content_type(headers).starts_with("application/x-www-form-urlencoded")
}

/// A JSON body sent without `charset=utf-8`: Slack accepts it with a warning.
fn missing_charset(headers: &HeaderMap) -> bool {
    let content_type = content_type(headers);
    content_type.starts_with("application/json") && !content_type.contains("charset")
}

/// A non-empty string field.
fn str_field(body: &Value, name: &str) -> Option<String> {
    body.get(name)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// `true`, or the strings `"true"` / `"1"` of a form.
fn truthy(value: &Value) -> bool {
    value.as_bool().unwrap_or(false) || matches!(value.as_str(), Some("true" | "1"))
}
