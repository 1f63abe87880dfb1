//! MCP: JSON-RPC 2.0 over stdio (`kubewhy mcp`, one message per line) and over streamable HTTP
//! (`POST /mcp`, answered with JSON). The lifecycle is `initialize`, the `initialized`
//! notification, then `tools/list` and `tools/call`; `ping` is answered at any time. Over HTTP
//! each session (the `Mcp-Session-Id` the server issues at `initialize`) keeps its own
//! pseudonyms, so that `explain deployment-1` means the same object in every call of a
//! session.

pub mod http;
mod tools;

use std::sync::Arc;

use serde_json::{Value, json};

pub use tools::Session;

use crate::App;

/// The protocol versions kubewhy speaks, newest first.
const VERSIONS: [&str; 4] = ["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"];

/// One JSON-RPC message, read without answering it.
#[derive(Debug, Clone, PartialEq)]
pub enum Incoming {
    /// A request, to answer.
    Request {
        /// Its id, echoed in the answer.
        id: Value,
        /// The method.
        method: String,
        /// Its params; `null` when it has none.
        params: Value,
    },
    /// A notification (`notifications/initialized`, `notifications/cancelled`): no answer.
    Notification,
    /// Not a request (a response from the client, or garbage): answered with an error when it
    /// carries an id.
    Invalid(Option<Value>),
}

/// Reads one message.
#[must_use]
pub fn read(message: &Value) -> Incoming {
    let id = message.get("id").cloned();
    let Some(method) = message.get("method").and_then(Value::as_str) else {
        // kubewhy sends no requests, so a response is as wrong as garbage.
        return Incoming::Invalid(id);
    };
    match id {
        Some(id) => Incoming::Request {
            id,
            method: method.to_owned(),
            params: message.get("params").cloned().unwrap_or(Value::Null),
        },
        None => Incoming::Notification,
    }
}

/// A line (stdio) or a body (HTTP): one message or a batch.
#[derive(Debug, Clone, PartialEq)]
pub enum Parsed {
    /// One message.
    One(Value),
    /// A batch, answered with an array.
    Batch(Vec<Value>),
}

/// Parses a line or body; a text that is not JSON gives the parse error to answer with.
pub fn parse(text: &str) -> Result<Parsed, Value> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Array(batch)) => Ok(Parsed::Batch(batch)),
        Ok(message) => Ok(Parsed::One(message)),
        Err(e) => Err(error(&Value::Null, -32700, &format!("parse error: {e}"))),
    }
}

/// The answer to the methods that need no analysis (`initialize`, `ping`, `tools/list`, and
/// the unknown ones); `None` for `tools/call`.
#[must_use]
pub fn answer_local(method: &str, params: &Value) -> Option<Result<Value, (i64, String)>> {
    Some(match method {
        "initialize" => Ok(initialize(params)),
        "ping" => Ok(json!({})),
        "tools/list" => Ok(json!({ "tools": tools::list() })),
        "tools/call" => return None,
        other => Err((-32601, format!("method not found: {other}"))),
    })
}

/// Answers one JSON-RPC message; `None` for notifications, which take no answer.
pub async fn handle(app: &Arc<App>, session: &Session, message: &Value) -> Option<Value> {
    let (id, method, params) = match read(message) {
        Incoming::Request { id, method, params } => (id, method, params),
        Incoming::Notification => return None,
        Incoming::Invalid(id) => return id.map(|id| error(&id, -32600, "not a JSON-RPC request")),
    };
    let result = if let Some(result) = answer_local(&method, &params) {
        result
    } else {
        let name = params
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let arguments = params
            .get("arguments")
            .cloned()
            .unwrap_or_else(|| json!({}));
        Ok(tools::call(app, session, name, &arguments).await)
    };
    Some(match result {
        Ok(result) => json!({ "jsonrpc": "2.0", "id": id, "result": result }),
        Err((code, text)) => error(&id, code, &text),
    })
}

/// Parses one message and answers it; a message that is not JSON is a parse error.
pub async fn handle_text(app: &Arc<App>, session: &Session, text: &str) -> Option<Value> {
    match parse(text) {
        Ok(Parsed::Batch(batch)) => {
            let mut answers = Vec::new();
            for message in &batch {
                if let Some(answer) = Box::pin(handle(app, session, message)).await {
                    answers.push(answer);
                }
            }
            (!answers.is_empty()).then_some(Value::Array(answers))
        }
        Ok(Parsed::One(message)) => handle(app, session, &message).await,
        Err(answer) => Some(answer),
    }
}

fn initialize(params: &Value) -> Value {
    let asked = params
        .get("protocolVersion")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let version = VERSIONS
        .iter()
        .find(|v| **v == asked)
        .unwrap_or(&VERSIONS[1]);
    json!({
        "protocolVersion": version,
        "capabilities": { "tools": { "listChanged": false } },
        "serverInfo": { "name": "kubewhy", "version": env!("CARGO_PKG_VERSION") },
        "instructions": "kubewhy diagnoses Kubernetes clusters. Call `analyze` first; then `get_issue` or `explain` for one issue or object. Names are pseudonyms (deployment-1, namespace-2): pass them back as they are. Read-only."
    })
}

fn error(id: &Value, code: i64, message: &str) -> Value {
    json!({ "jsonrpc": "2.0", "id": id, "error": { "code": code, "message": message } })
}

/// Serves MCP on stdin and stdout until stdin closes.
pub async fn stdio(app: Arc<App>) -> std::io::Result<()> {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let session = Session::new(app.mcp_policy);
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    let mut out = tokio::io::stdout();
    while let Some(line) = lines.next_line().await? {
        if line.trim().is_empty() {
            continue;
        }
        if let Some(answer) = handle_text(&app, &session, &line).await {
            out.write_all(format!("{answer}\n").as_bytes()).await?;
            out.flush().await?;
        }
    }
    Ok(())
}
