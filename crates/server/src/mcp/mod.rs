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

/// Answers one JSON-RPC message; `None` for notifications, which take no answer.
pub async fn handle(app: &Arc<App>, session: &Session, message: &Value) -> Option<Value> {
    let id = message.get("id").cloned();
    let method = message.get("method").and_then(Value::as_str);
    let Some(method) = method else {
        // A response from the client (kubewhy sends no requests), or garbage.
        return id.map(|id| error(&id, -32600, "not a JSON-RPC request"));
    };
    let id = id?; // A notification (`notifications/initialized`, `notifications/cancelled`).
    let params = message.get("params").cloned().unwrap_or(Value::Null);
    let result = match method {
        "initialize" => Ok(initialize(&params)),
        "ping" => Ok(json!({})),
        "tools/list" => Ok(json!({ "tools": tools::list() })),
        "tools/call" => {
            let name = params
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let arguments = params
                .get("arguments")
                .cloned()
                .unwrap_or_else(|| json!({}));
            Ok(tools::call(app, session, name, &arguments).await)
        }
        other => Err((-32601, format!("method not found: {other}"))),
    };
    Some(match result {
        Ok(result) => json!({ "jsonrpc": "2.0", "id": id, "result": result }),
        Err((code, text)) => error(&id, code, &text),
    })
}

/// Parses one message and answers it; a message that is not JSON is a parse error.
pub async fn handle_text(app: &Arc<App>, session: &Session, text: &str) -> Option<Value> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Array(batch)) => {
            let mut answers = Vec::new();
            for message in &batch {
                if let Some(answer) = Box::pin(handle(app, session, message)).await {
                    answers.push(answer);
                }
            }
            (!answers.is_empty()).then_some(Value::Array(answers))
        }
        Ok(message) => handle(app, session, &message).await,
        Err(e) => Some(error(&Value::Null, -32700, &format!("parse error: {e}"))),
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
