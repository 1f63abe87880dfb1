//! Block Kit validation with Slack's limits: what makes Slack answer `no_text`,
//! `invalid_blocks` (with its `errors`, each naming a JSON pointer), `invalid_blocks_format`,
//! `msg_too_long` and `msg_blocks_too_long`.

use std::collections::HashSet;

use serde_json::Value;

/// At most this many blocks in a message.
const MAX_BLOCKS: usize = 50;
/// A section's `text`.
const MAX_SECTION_TEXT: usize = 3000;
/// A section's `fields`: this many, each this long.
const MAX_FIELDS: usize = 10;
const MAX_FIELD_TEXT: usize = 2000;
/// A header's plain text.
const MAX_HEADER_TEXT: usize = 150;
/// A context's elements.
const MAX_CONTEXT_ELEMENTS: usize = 10;
/// An actions block's elements.
const MAX_ACTIONS_ELEMENTS: usize = 25;
/// A markdown block's text.
const MAX_MARKDOWN_TEXT: usize = 12_000;
/// A `block_id`.
const MAX_BLOCK_ID: usize = 255;
/// The top-level `text` alone.
const MAX_TEXT: usize = 40_000;
/// The serialized blocks plus the text.
const MAX_MESSAGE_WITH_BLOCKS: usize = 12_000;

/// Why Slack refuses a message: its error code and, for `invalid_blocks`, the details.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Invalid {
    pub(super) error: &'static str,
    pub(super) errors: Vec<String>,
}

impl Invalid {
    fn code(error: &'static str) -> Self {
        Self {
            error,
            errors: Vec::new(),
        }
    }
}

/// What an accepted message carries.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Content {
    /// The top-level text, empty when none.
    pub(super) text: String,
    /// The blocks array, `Null` when none.
    pub(super) blocks: Value,
}

/// Checks a message body (`text`, `blocks`, `attachments`) as Slack does. `needs_content`:
/// a message with neither text, blocks nor attachments is `no_text`.
pub(super) fn check_message(body: &Value, needs_content: bool) -> Result<Content, Invalid> {
    let text = body.get("text").and_then(Value::as_str).unwrap_or("");
    let blocks = parse_blocks(body.get("blocks"))?;
    let has_attachments = match body.get("attachments") {
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::String(s)) => !s.is_empty() && s != "[]",
        _ => false,
    };
    if needs_content && text.is_empty() && blocks.is_none() && !has_attachments {
        return Err(Invalid::code("no_text"));
    }
    if chars(text) > MAX_TEXT {
        return Err(Invalid::code("msg_too_long"));
    }
    let Some(blocks) = blocks else {
        return Ok(Content {
            text: text.to_owned(),
            blocks: Value::Null,
        });
    };
    let errors = validate(&blocks);
    if !errors.is_empty() {
        return Err(Invalid {
            error: "invalid_blocks",
            errors,
        });
    }
    let blocks = Value::Array(blocks);
    if chars(&blocks.to_string()) + chars(text) > MAX_MESSAGE_WITH_BLOCKS {
        return Err(Invalid::code("msg_blocks_too_long"));
    }
    Ok(Content {
        text: text.to_owned(),
        blocks,
    })
}

/// The `blocks` field: an array, or a JSON string holding one (as form-encoded calls send it).
/// Absent, `null` or empty is no blocks.
fn parse_blocks(field: Option<&Value>) -> Result<Option<Vec<Value>>, Invalid> {
    let blocks = match field {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Array(blocks)) => blocks.clone(),
        Some(Value::String(s)) if s.trim().is_empty() => return Ok(None),
        Some(Value::String(s)) => match serde_json::from_str(s) {
            Ok(Value::Array(blocks)) => blocks,
            _ => return Err(Invalid::code("invalid_blocks_format")),
        },
        Some(_) => return Err(Invalid::code("invalid_blocks_format")),
    };
    Ok((!blocks.is_empty()).then_some(blocks))
}

fn chars(s: &str) -> usize {
    s.chars().count()
}

/// Every Block Kit error in `blocks`, worded like Slack's, each with its JSON pointer.
pub(super) fn validate(blocks: &[Value]) -> Vec<String> {
    let mut errors = Vec::new();
    if blocks.len() > MAX_BLOCKS {
        errors.push(format!(
            "no more than {MAX_BLOCKS} items allowed [json-pointer:/blocks]"
        ));
    }
    let mut ids = HashSet::new();
    for (i, block) in blocks.iter().enumerate() {
        let at = format!("/blocks/{i}");
        check_block(block, &at, &mut ids, &mut errors);
    }
    errors
}

fn check_block<'a>(
    block: &'a Value,
    at: &str,
    ids: &mut HashSet<&'a str>,
    errors: &mut Vec<String>,
) {
    let Some(kind) = block.get("type").and_then(Value::as_str) else {
        errors.push(format!("missing required field: type [json-pointer:{at}]"));
        return;
    };
    match block.get("block_id") {
        None => {}
        Some(Value::String(id)) => {
            if chars(id) > MAX_BLOCK_ID {
                errors.push(too_long(MAX_BLOCK_ID, &format!("{at}/block_id")));
            } else if !ids.insert(id.as_str()) {
                errors.push(format!(
                    "duplicate block_id: {id} [json-pointer:{at}/block_id]"
                ));
            }
        }
        Some(_) => errors.push(format!("must be a string [json-pointer:{at}/block_id]")),
    }
    match kind {
        "section" => check_section(block, at, errors),
        "header" => {
            let pointer = format!("{at}/text");
            match block.get("text") {
                Some(text) => {
                    if text.get("type").and_then(Value::as_str) != Some("plain_text") {
                        errors.push(format!(
                            "must be a valid enum value [json-pointer:{pointer}/type]"
                        ));
                    }
                    check_text_object(text, &pointer, MAX_HEADER_TEXT, errors);
                }
                None => errors.push(missing(&pointer)),
            }
        }
        "context" => check_elements(block, at, MAX_CONTEXT_ELEMENTS, errors),
        "actions" => check_elements(block, at, MAX_ACTIONS_ELEMENTS, errors),
        "markdown" => match block.get("text").and_then(Value::as_str) {
            Some(text) if chars(text) > MAX_MARKDOWN_TEXT => {
                errors.push(too_long(MAX_MARKDOWN_TEXT, &format!("{at}/text")));
            }
            Some(_) => {}
            None => errors.push(missing(&format!("{at}/text"))),
        },
        "rich_text" => {
            if !block.get("elements").is_some_and(Value::is_array) {
                errors.push(missing(&format!("{at}/elements")));
            }
        }
        "image" => {
            let has_source = block.get("image_url").is_some() || block.get("slack_file").is_some();
            if !has_source {
                errors.push(missing(&format!("{at}/image_url")));
            }
            if block.get("alt_text").and_then(Value::as_str).is_none() {
                errors.push(missing(&format!("{at}/alt_text")));
            }
        }
        "divider" => {}
        other => errors.push(format!(
            "unsupported type: {other} [json-pointer:{at}/type]"
        )),
    }
}

fn check_section(block: &Value, at: &str, errors: &mut Vec<String>) {
    let fields = block.get("fields").and_then(Value::as_array);
    match block.get("text") {
        Some(text) => check_text_object(text, &format!("{at}/text"), MAX_SECTION_TEXT, errors),
        None if fields.is_none_or(Vec::is_empty) => errors.push(missing(&format!("{at}/text"))),
        None => {}
    }
    if let Some(fields) = fields {
        if fields.len() > MAX_FIELDS {
            errors.push(format!(
                "no more than {MAX_FIELDS} items allowed [json-pointer:{at}/fields]"
            ));
        }
        for (j, field) in fields.iter().enumerate() {
            check_text_object(field, &format!("{at}/fields/{j}"), MAX_FIELD_TEXT, errors);
        }
    }
}

/// A block whose `elements` must be a non-empty array of at most `max`.
fn check_elements(block: &Value, at: &str, max: usize, errors: &mut Vec<String>) {
    match block.get("elements").and_then(Value::as_array) {
        Some(elements) if elements.is_empty() => errors.push(format!(
            "must contain at least 1 item [json-pointer:{at}/elements]"
        )),
        Some(elements) if elements.len() > max => errors.push(format!(
            "no more than {max} items allowed [json-pointer:{at}/elements]"
        )),
        Some(_) => {}
        None => errors.push(missing(&format!("{at}/elements"))),
    }
}

/// A text object: `type` `plain_text` or `mrkdwn`, a `text` of 1 to `max` characters.
fn check_text_object(object: &Value, at: &str, max: usize, errors: &mut Vec<String>) {
    if !matches!(
        object.get("type").and_then(Value::as_str),
        Some("plain_text" | "mrkdwn")
    ) {
        errors.push(format!(
            "must be a valid enum value [json-pointer:{at}/type]"
        ));
    }
    match object.get("text").and_then(Value::as_str) {
        None => errors.push(missing(&format!("{at}/text"))),
        Some("") => errors.push(format!(
            "must be more than 0 characters [json-pointer:{at}/text]"
        )),
        Some(text) if chars(text) > max => errors.push(too_long(max, &format!("{at}/text"))),
        Some(_) => {}
    }
}

fn missing(at: &str) -> String {
    let field = at.rsplit('/').next().unwrap_or(at);
    format!("missing required field: {field} [json-pointer:{at}]")
}

fn too_long(max: usize, at: &str) -> String {
    format!(
        "must be less than {} characters [json-pointer:{at}]",
        max + 1
    )
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn section(text: &str) -> Value {
        json!({"type": "section", "text": {"type": "mrkdwn", "text": text}})
    }

    fn refused(body: &Value) -> Invalid {
        check_message(body, true).unwrap_err()
    }

    #[test]
    fn accepts_a_typical_message() {
        let body = json!({
            "text": "fallback",
            "blocks": [
                {"type": "header", "text": {"type": "plain_text", "text": "Pod crash"}},
                section("*why*"),
                {"type": "divider"},
                {"type": "context", "elements": [{"type": "mrkdwn", "text": "ctx"}]},
                {"type": "section", "fields": [{"type": "mrkdwn", "text": "a"}]},
                {"type": "actions", "elements": [{"type": "button", "text": {"type": "plain_text", "text": "Go"}}]},
                {"type": "markdown", "text": "**bold**"},
                {"type": "rich_text", "elements": []},
            ],
        });
        let content = check_message(&body, true).unwrap();
        assert_eq!(content.text, "fallback");
        assert_eq!(content.blocks.as_array().unwrap().len(), 8);
    }

    #[test]
    fn section_text_limit_is_3000() {
        let ok = json!({"blocks": [section(&"x".repeat(3000))]});
        assert!(check_message(&ok, true).is_ok());
        let err = refused(&json!({"blocks": [section(&"x".repeat(3001))]}));
        assert_eq!(err.error, "invalid_blocks");
        assert_eq!(
            err.errors,
            ["must be less than 3001 characters [json-pointer:/blocks/0/text/text]"]
        );
    }

    #[test]
    fn limits_on_counts_and_lengths() {
        let many: Vec<Value> = (0..51).map(|_| json!({"type": "divider"})).collect();
        assert_eq!(refused(&json!({"blocks": many})).error, "invalid_blocks");
        let fields: Vec<Value> = (0..11)
            .map(|_| json!({"type": "mrkdwn", "text": "f"}))
            .collect();
        let err = refused(&json!({"blocks": [{"type": "section", "fields": fields}]}));
        assert!(err.errors[0].contains("/blocks/0/fields]"), "{err:?}");
        let long_field =
            json!({"type": "section", "fields": [{"type": "mrkdwn", "text": "f".repeat(2001)}]});
        assert!(refused(&json!({"blocks": [long_field]})).errors[0].contains("/fields/0/text"));
        let header =
            json!({"type": "header", "text": {"type": "plain_text", "text": "h".repeat(151)}});
        assert!(refused(&json!({"blocks": [header]})).errors[0].contains("151"));
        let mrkdwn_header = json!({"type": "header", "text": {"type": "mrkdwn", "text": "h"}});
        assert!(refused(&json!({"blocks": [mrkdwn_header]})).errors[0].contains("/text/type"));
        let elements: Vec<Value> = (0..11)
            .map(|_| json!({"type": "plain_text", "text": "e"}))
            .collect();
        let context = json!({"type": "context", "elements": elements});
        assert!(refused(&json!({"blocks": [context]})).errors[0].contains("/elements"));
        let id = json!({"type": "divider", "block_id": "b".repeat(256)});
        assert!(refused(&json!({"blocks": [id]})).errors[0].contains("block_id"));
        let unknown = json!({"type": "carousel"});
        assert!(refused(&json!({"blocks": [unknown]})).errors[0].contains("unsupported type"));
        let empty = json!({"type": "section", "text": {"type": "mrkdwn", "text": ""}});
        assert_eq!(refused(&json!({"blocks": [empty]})).error, "invalid_blocks");
        let bare = json!({"type": "section"});
        assert_eq!(refused(&json!({"blocks": [bare]})).error, "invalid_blocks");
        let dup =
            json!([{"type": "divider", "block_id": "a"}, {"type": "divider", "block_id": "a"}]);
        assert!(refused(&json!({"blocks": dup})).errors[0].contains("duplicate"));
    }

    #[test]
    fn message_level_errors() {
        assert_eq!(refused(&json!({})).error, "no_text");
        assert_eq!(refused(&json!({"text": "", "blocks": []})).error, "no_text");
        assert_eq!(
            refused(&json!({"text": "x".repeat(40_001)})).error,
            "msg_too_long"
        );
        assert!(check_message(&json!({"text": "x".repeat(40_000)}), true).is_ok());
        let blocks: Vec<Value> = (0..5).map(|_| section(&"y".repeat(2500))).collect();
        assert_eq!(
            refused(&json!({"blocks": blocks})).error,
            "msg_blocks_too_long"
        );
        assert_eq!(
            refused(&json!({"blocks": "not json"})).error,
            "invalid_blocks_format"
        );
        let as_string = json!({"blocks": json!([section("s")]).to_string()});
        assert!(check_message(&as_string, true).unwrap().blocks.is_array());
        assert!(check_message(&json!({"delete_original": true}), false).is_ok());
    }
}
