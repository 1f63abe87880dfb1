//! MCP's streamable HTTP transport at `/mcp`: `POST` a JSON-RPC message, get JSON back (or 202
//! for a notification). The REST bearer token is required, and a request from a browser whose
//! `Origin` is not this server's is refused, as the transport spec requires against DNS
//! rebinding. `GET` (a server-sent stream kubewhy has no use for) is 405.

use std::sync::{Arc, Mutex, PoisonError};

use axum::{
    body::Bytes,
    extract::State,
    http::{HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};

use super::Session;
use crate::App;

/// Sessions kept at most; the oldest goes first.
const MAX_SESSIONS: usize = 256;

/// The HTTP sessions.
#[derive(Debug, Default)]
pub struct Sessions(Mutex<Vec<(String, Arc<Session>)>>);

impl Sessions {
    fn get(&self, id: &str) -> Option<Arc<Session>> {
        let sessions = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        sessions
            .iter()
            .find(|(k, _)| k == id)
            .map(|(_, s)| Arc::clone(s))
    }

    fn create(&self, session: Session) -> (String, Arc<Session>) {
        let id = format!("{:032x}", fastrand::u128(..));
        let session = Arc::new(session);
        let mut sessions = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        sessions.push((id.clone(), Arc::clone(&session)));
        let excess = sessions.len().saturating_sub(MAX_SESSIONS);
        sessions.drain(..excess);
        (id, session)
    }
}

/// `POST /mcp`.
pub async fn post(State(app): State<Arc<App>>, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(refused) = crate::rest::authorize(&app, &headers) {
        return *refused;
    }
    if let Some(origin) = headers.get("origin").and_then(|o| o.to_str().ok())
        && !same_origin(origin, &headers)
    {
        return (
            StatusCode::FORBIDDEN,
            format!("Origin {origin} is not allowed"),
        )
            .into_response();
    }
    let Ok(text) = std::str::from_utf8(&body) else {
        return (StatusCode::BAD_REQUEST, "the body is not UTF-8").into_response();
    };
    let initializing = text.contains("\"initialize\"");
    let given = headers.get("mcp-session-id").and_then(|v| v.to_str().ok());
    let (id, session) =
        match given.and_then(|id| app.mcp_sessions.get(id).map(|s| (id.to_owned(), s))) {
            Some(found) => found,
            None if initializing || given.is_none() => {
                app.mcp_sessions.create(Session::new(app.mcp_policy))
            }
            None => {
                return (
                    StatusCode::NOT_FOUND,
                    "unknown or expired Mcp-Session-Id; initialize again",
                )
                    .into_response();
            }
        };
    let answer = super::handle_text(&app, &session, text).await;
    let mut response = match answer {
        Some(answer) => axum::Json(answer).into_response(),
        None => StatusCode::ACCEPTED.into_response(),
    };
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("mcp-session-id", value);
    }
    response
}

/// `GET /mcp` and `DELETE /mcp`.
pub async fn other() -> Response {
    (
        StatusCode::METHOD_NOT_ALLOWED,
        [("allow", "POST")],
        "kubewhy's MCP endpoint takes POST",
    )
        .into_response()
}

/// Whether a browser's `Origin` is this server itself (`Host`), or loopback.
fn same_origin(origin: &str, headers: &HeaderMap) -> bool {
    let host = headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    let authority = origin.split_once("://").map_or(origin, |(_, rest)| rest);
    authority == host || {
        let name = authority
            .rsplit_once(':')
            .map_or(authority, |(name, _)| name);
        matches!(name, "localhost" | "127.0.0.1" | "[::1]")
    }
}
