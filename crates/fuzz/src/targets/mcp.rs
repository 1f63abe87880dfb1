//! The MCP request parser, as `kubewhy mcp` and `POST /mcp` read a line or a body: JSON-RPC
//! framing, batches, notifications, the answers that need no analysis (`initialize`, `ping`,
//! `tools/list`, unknown methods), and the arguments of `tools/call` that are read before any
//! analysis (`get_check`'s id, `min_severity`). Every answer must be a JSON-RPC result or error.

use std::str::FromStr;

use fastrand::Rng;
use kubewhy_model::Severity;
use kubewhy_server::jsonrpc::{Incoming, Parsed, answer_local, parse, read};
use serde_json::{Value, json};

use super::Target;
use crate::{Features, generate::pick};

pub(crate) const TARGET: Target = Target {
    name: "mcp",
    about: "MCP's JSON-RPC parser and the answers that need no analysis",
    run,
    generate: generate_input,
    tokens: TOKENS,
};

const TOKENS: &[&str] = &[
    "\"jsonrpc\":\"2.0\"",
    "\"id\":",
    "\"method\":",
    "\"params\":",
    "\"initialize\"",
    "\"ping\"",
    "\"tools/list\"",
    "\"tools/call\"",
    "\"notifications/initialized\"",
    "\"protocolVersion\"",
    "\"2025-06-18\"",
    "\"name\"",
    "\"arguments\"",
    "\"get_check\"",
    "\"analyze\"",
    "\"explain\"",
    "\"min_severity\"",
    "\"critical\"",
    "\"KW101\"",
    "null",
    "[",
    "]",
    "{}",
    "1e999",
    "-0",
    "\"\\ud800\"",
];

fn run(input: &[u8], features: &mut Features) {
    let text = String::from_utf8_lossy(input);
    let messages = match parse(&text) {
        Ok(Parsed::One(message)) => vec![message],
        Ok(Parsed::Batch(batch)) => {
            features.add_count("batch", batch.len());
            batch
        }
        Err(answer) => {
            assert_eq!(
                answer["error"]["code"],
                json!(-32700),
                "a parse error is answered as one"
            );
            features.add("parse error");
            return;
        }
    };
    for message in &messages {
        match read(message) {
            Incoming::Request { id, method, params } => request(&id, &method, &params, features),
            Incoming::Notification => features.add("notification"),
            Incoming::Invalid(id) => features.add(("invalid", id.is_some())),
        }
    }
}

fn request(id: &Value, method: &str, params: &Value, features: &mut Features) {
    features.add(("id", id.is_null(), id.is_string()));
    match answer_local(method, params) {
        Some(Ok(result)) => {
            features.add(("result", method));
            if method == "initialize" {
                let version = result["protocolVersion"].as_str().unwrap_or_default();
                assert!(
                    !version.is_empty(),
                    "initialize answers without a protocol version"
                );
                features.add(("version", version.to_owned()));
            }
            // Answers must serialize: they are written to a socket or stdout.
            assert!(
                serde_json::to_string(&result).is_ok(),
                "an answer does not serialize"
            );
        }
        Some(Err((code, message))) => {
            assert!(code < 0, "a JSON-RPC error code is negative");
            features.add(("error", code, message.split(':').next().map(str::to_owned)));
        }
        None => tool_arguments(params, features),
    }
}

/// What `tools/call` reads before it runs anything.
fn tool_arguments(params: &Value, features: &mut Features) {
    let name = params
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let known = [
        "analyze",
        "list_issues",
        "get_issue",
        "explain",
        "list_checks",
        "get_check",
    ];
    features.add(("tool", known.iter().position(|k| *k == name)));
    let arguments = params
        .get("arguments")
        .cloned()
        .unwrap_or_else(|| json!({}));
    if let Some(s) = arguments.get("min_severity").and_then(Value::as_str) {
        features.add(("severity", Severity::from_str(s).is_ok()));
    }
    if name == "get_check"
        && let Some(id) = arguments.get("id").and_then(Value::as_str)
    {
        match kubewhy_report::checks::doc(id) {
            Ok(doc) => features.add_count("doc", doc.len()),
            Err(e) => features.add((
                "doc error",
                e.to_string()
                    .split_whitespace()
                    .take(3)
                    .collect::<Vec<_>>()
                    .join(" "),
            )),
        }
    }
}

fn generate_input(rng: &mut Rng) -> Vec<u8> {
    let id = pick(
        rng,
        &[
            json!(1),
            json!("a"),
            json!(null),
            json!(1.5),
            json!({"x": 1}),
        ],
    );
    let one = |rng: &mut Rng| match rng.u8(0..6) {
        0 => {
            json!({ "jsonrpc": "2.0", "id": id, "method": "initialize", "params": { "protocolVersion": pick(rng, &["2025-06-18", "2024-11-05", "1999"]), "capabilities": {} } })
        }
        1 => json!({ "jsonrpc": "2.0", "method": "notifications/initialized" }),
        2 => json!({ "jsonrpc": "2.0", "id": id, "method": "tools/list" }),
        3 => {
            json!({ "jsonrpc": "2.0", "id": id, "method": "tools/call", "params": { "name": "get_check", "arguments": { "id": pick(rng, &["KW101", "kw101", "nope", ""]) } } })
        }
        4 => {
            json!({ "jsonrpc": "2.0", "id": id, "method": "tools/call", "params": { "name": "analyze", "arguments": { "namespace": "namespace-1", "min_severity": "warning" } } })
        }
        _ => json!({ "jsonrpc": "2.0", "id": id, "result": {} }),
    };
    let value = if rng.u8(0..4) == 0 {
        Value::Array((0..rng.usize(0..4)).map(|_| one(rng)).collect())
    } else {
        one(rng)
    };
    value.to_string().into_bytes()
}
