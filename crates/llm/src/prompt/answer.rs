//! Reading a model's answer: plain JSON, a fenced ```json block, or JSON with prose around it
//! (small models answer all three ways) becomes a [`StructuredAnswer`]; anything else is kept
//! as prose, never discarded. Commands are marked read-only or changing; a command whose verb
//! changes the cluster is marked changing whatever the model said.

use kubewhy_model::{Confidence, StructuredAnswer, SuggestedCommand};
use serde::Serialize;
use serde_json::{Map, Value};

/// An answer as read.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ParsedAnswer {
    /// The structured answer, when the text held one.
    pub structured: Option<StructuredAnswer>,
    /// The text around the JSON, or the whole text when there was none.
    pub prose: String,
}

/// Reads an answer.
#[must_use]
pub fn parse_answer(text: &str) -> ParsedAnswer {
    let trimmed = text.trim();
    if let Some(answer) = structured(trimmed) {
        return ParsedAnswer {
            structured: Some(answer),
            prose: String::new(),
        };
    }
    for (start, end, inner) in fenced_blocks(trimmed) {
        if let Some(answer) = structured(inner) {
            return ParsedAnswer {
                structured: Some(answer),
                prose: around(trimmed, start, end),
            };
        }
    }
    for (start, end) in json_objects(trimmed) {
        if let Some(answer) = structured(&trimmed[start..end]) {
            return ParsedAnswer {
                structured: Some(answer),
                prose: around(trimmed, start, end),
            };
        }
    }
    ParsedAnswer {
        structured: None,
        prose: trimmed.to_owned(),
    }
}

fn around(text: &str, start: usize, end: usize) -> String {
    let before = text[..start].trim();
    let after = text[end..].trim();
    match (before.is_empty(), after.is_empty()) {
        (true, true) => String::new(),
        (false, true) => before.to_owned(),
        (true, false) => after.to_owned(),
        (false, false) => format!("{before}\n\n{after}"),
    }
}

/// Fenced code blocks: (start of the fence, end of the closing fence, the content).
fn fenced_blocks(text: &str) -> Vec<(usize, usize, &str)> {
    let mut blocks = Vec::new();
    let mut from = 0;
    while let Some(open) = text[from..].find("```").map(|i| i + from) {
        let Some(line_end) = text[open..].find('\n').map(|i| i + open + 1) else {
            break;
        };
        let Some(close) = text[line_end..].find("```").map(|i| i + line_end) else {
            break;
        };
        blocks.push((open, close + 3, &text[line_end..close]));
        from = close + 3;
    }
    blocks
}

/// Balanced `{ ... }` spans, outermost, in order; braces inside JSON strings are skipped.
fn json_objects(text: &str) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'{' {
            i += 1;
            continue;
        }
        match balanced_end(bytes, i) {
            Some(end) => {
                spans.push((i, end));
                i = end;
            }
            None => i += 1,
        }
    }
    spans
}

fn balanced_end(bytes: &[u8], start: usize) -> Option<usize> {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for (offset, &b) in bytes[start..].iter().enumerate() {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(start + offset + 1);
                }
            }
            _ => {}
        }
    }
    None
}

/// A structured answer, when `text` is a JSON object with a summary or a root cause.
fn structured(text: &str) -> Option<StructuredAnswer> {
    let value: Value = serde_json::from_str(text.trim()).ok()?;
    let object = value.as_object()?;
    let field = |names: &[&str]| names.iter().find_map(|n| object.get(*n));
    let answer = StructuredAnswer {
        summary: field(&["summary"]).map(joined).unwrap_or_default(),
        root_cause: field(&["root_cause", "rootCause", "cause"])
            .map(joined)
            .unwrap_or_default(),
        evidence: field(&["evidence"]).map(list).unwrap_or_default(),
        fix: field(&["fix", "fixes", "steps"])
            .map(list)
            .unwrap_or_default(),
        commands: field(&["commands"]).map(commands).unwrap_or_default(),
        verify: field(&["verify", "verification"])
            .map(list)
            .unwrap_or_default(),
        confidence: field(&["confidence"]).and_then(confidence),
    };
    (!answer.summary.is_empty() || !answer.root_cause.is_empty()).then_some(answer)
}

/// A field as one text: a string, or a list's items joined.
fn joined(value: &Value) -> String {
    match value {
        Value::String(s) => s.trim().to_owned(),
        other => list(other).join(" "),
    }
}

/// A field as a list of texts: a list, one string, or objects with a text in them.
fn list(value: &Value) -> Vec<String> {
    let item = |v: &Value| match v {
        Value::String(s) => Some(s.trim().to_owned()),
        Value::Object(o) => first_text(o),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    match value {
        Value::Array(items) => items
            .iter()
            .filter_map(item)
            .filter(|s| !s.is_empty())
            .collect(),
        Value::Null => Vec::new(),
        other => item(other).filter(|s| !s.is_empty()).into_iter().collect(),
    }
}

fn first_text(object: &Map<String, Value>) -> Option<String> {
    ["text", "step", "description", "line", "command", "value"]
        .iter()
        .find_map(|k| object.get(*k).and_then(Value::as_str))
        .map(|s| s.trim().to_owned())
}

fn commands(value: &Value) -> Vec<SuggestedCommand> {
    let items: Vec<&Value> = match value {
        Value::Array(items) => items.iter().collect(),
        Value::Null => Vec::new(),
        other => vec![other],
    };
    items
        .into_iter()
        .filter_map(|item| {
            let (command, declared) = match item {
                Value::String(s) => (s.trim().to_owned(), None),
                Value::Object(o) => {
                    let command = ["command", "cmd", "yaml", "change"]
                        .iter()
                        .find_map(|k| o.get(*k).and_then(Value::as_str))?
                        .trim()
                        .to_owned();
                    (command, declared_changes(o))
                }
                _ => return None,
            };
            if command.is_empty() {
                return None;
            }
            let verb = verb_changes(&command);
            // A verb that modifies the cluster wins over a "read-only" label.
            let changes = verb == Some(true) || declared.or(verb).unwrap_or(true);
            Some(SuggestedCommand { command, changes })
        })
        .collect()
}

fn declared_changes(object: &Map<String, Value>) -> Option<bool> {
    if let Some(read_only) = object.get("read_only").and_then(Value::as_bool) {
        return Some(!read_only);
    }
    if let Some(changes) = ["changes", "changing", "mutating"]
        .iter()
        .find_map(|k| object.get(*k).and_then(Value::as_bool))
    {
        return Some(changes);
    }
    let mode = ["mode", "kind", "type", "effect"]
        .iter()
        .find_map(|k| object.get(*k).and_then(Value::as_str))?
        .to_ascii_lowercase()
        .replace(['_', ' '], "-");
    match mode.as_str() {
        "read-only" | "readonly" | "read" | "safe" | "inspect" => Some(false),
        "changing" | "change" | "mutating" | "write" | "modifying" | "destructive" => Some(true),
        _ => None,
    }
}

/// What a command's verb says: `Some(false)` for kubectl verbs that only look, `Some(true)`
/// for verbs that change, `None` when unknown.
fn verb_changes(command: &str) -> Option<bool> {
    let mut words = command.split_whitespace();
    let program = words.next()?;
    if !matches!(program, "kubectl" | "k" | "oc") {
        return None;
    }
    let mut args: Vec<&str> = Vec::new();
    while let Some(word) = words.next() {
        if word.starts_with('-') {
            // Global flags that take a value as the next word.
            if matches!(
                word,
                "-n" | "--namespace"
                    | "--context"
                    | "--cluster"
                    | "--kubeconfig"
                    | "-s"
                    | "--server"
                    | "--as"
                    | "--user"
            ) {
                words.next();
            }
            continue;
        }
        args.push(word);
    }
    let verb = *args.first()?;
    let next = args.get(1).copied().unwrap_or("");
    match verb {
        "get" | "describe" | "logs" | "top" | "explain" | "events" | "api-resources"
        | "api-versions" | "version" | "cluster-info" | "diff" | "wait" | "auth" => Some(false),
        "rollout" => Some(!matches!(next, "status" | "history")),
        "config" => Some(!matches!(next, "view" | "get-contexts" | "current-context")),
        "apply" | "patch" | "delete" | "edit" | "scale" | "set" | "label" | "annotate"
        | "create" | "replace" | "cordon" | "uncordon" | "drain" | "taint" | "exec" | "cp"
        | "run" | "expose" | "autoscale" | "debug" => Some(true),
        _ => None,
    }
}

fn confidence(value: &Value) -> Option<Confidence> {
    match value {
        Value::String(s) => {
            let s = s.to_ascii_lowercase();
            if s.contains("high") {
                Some(Confidence::High)
            } else if s.contains("medium") || s.contains("moderate") {
                Some(Confidence::Medium)
            } else if s.contains("low") {
                Some(Confidence::Low)
            } else {
                s.trim_end_matches('%')
                    .trim()
                    .parse::<f64>()
                    .ok()
                    .and_then(bucket)
            }
        }
        Value::Number(n) => n.as_f64().and_then(bucket),
        _ => None,
    }
}

/// A number as a confidence: 0..1, or a percentage.
fn bucket(n: f64) -> Option<Confidence> {
    let n = if n > 1.0 { n / 100.0 } else { n };
    match n {
        n if !(0.0..=1.0).contains(&n) => None,
        n if n >= 0.75 => Some(Confidence::High),
        n if n >= 0.4 => Some(Confidence::Medium),
        _ => Some(Confidence::Low),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const JSON: &str = r#"{"summary": "web cannot start", "root_cause": "the Secret is missing",
        "evidence": ["secret \"db\" not found"], "fix": ["create the Secret"],
        "commands": [{"command": "kubectl get secret -n shop", "mode": "read-only"},
                     {"command": "kubectl delete pod web-1 -n shop", "mode": "read-only"},
                     "kubectl describe pod web-1"],
        "verify": "kubectl get pods -n shop", "confidence": "High"}"#;

    #[test]
    fn plain_json_is_structured() {
        let parsed = parse_answer(JSON);
        let answer = parsed.structured.unwrap();
        assert_eq!(answer.summary, "web cannot start");
        assert_eq!(answer.verify, ["kubectl get pods -n shop"]);
        assert_eq!(answer.confidence, Some(Confidence::High));
        assert!(parsed.prose.is_empty());
    }

    #[test]
    fn a_changing_verb_is_never_read_only() {
        let commands = parse_answer(JSON).structured.unwrap().commands;
        let changes: Vec<bool> = commands.iter().map(|c| c.changes).collect();
        assert_eq!(changes, [false, true, false]);
    }

    #[test]
    fn fenced_json_and_its_prose_are_kept() {
        let text = format!("Here is the analysis:\n```json\n{JSON}\n```\nHope this helps!");
        let parsed = parse_answer(&text);
        assert_eq!(
            parsed.structured.unwrap().root_cause,
            "the Secret is missing"
        );
        assert_eq!(parsed.prose, "Here is the analysis:\n\nHope this helps!");
    }

    #[test]
    fn json_inside_prose_is_found_past_other_braces() {
        let text = format!("The {{broken}} thing: {JSON} -- that's all.");
        let parsed = parse_answer(&text);
        assert!(parsed.structured.is_some());
        assert_eq!(parsed.prose, "The {broken} thing:\n\n-- that's all.");
    }

    #[test]
    fn prose_that_is_not_json_is_kept_as_prose() {
        let text = "  The pod crashes because {its config} is wrong.\n";
        let parsed = parse_answer(text);
        assert!(parsed.structured.is_none());
        assert_eq!(
            parsed.prose,
            "The pod crashes because {its config} is wrong."
        );
        let unrelated = parse_answer(r#"{"answer": 42}"#);
        assert!(unrelated.structured.is_none());
        assert_eq!(unrelated.prose, r#"{"answer": 42}"#);
    }

    #[test]
    fn confidence_numbers_and_words_become_buckets() {
        assert_eq!(confidence(&serde_json::json!(0.9)), Some(Confidence::High));
        assert_eq!(
            confidence(&serde_json::json!("55%")),
            Some(Confidence::Medium)
        );
        assert_eq!(confidence(&serde_json::json!("low")), Some(Confidence::Low));
        assert_eq!(confidence(&serde_json::json!("unsure")), None);
    }

    #[test]
    fn verbs_are_classified() {
        assert_eq!(verb_changes("kubectl -n shop get pods"), Some(false));
        assert_eq!(
            verb_changes("kubectl rollout status deploy/web"),
            Some(false)
        );
        assert_eq!(
            verb_changes("kubectl rollout restart deploy/web"),
            Some(true)
        );
        assert_eq!(verb_changes("kubectl apply -f fix.yaml"), Some(true));
        assert_eq!(verb_changes("helm upgrade x"), None);
    }
}
