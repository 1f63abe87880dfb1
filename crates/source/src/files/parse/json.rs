//! JSON streams. Each document is first read as raw text, so that a list's items (`kubectl get
//! -o json` of 100,000 events, a dump's `pods.json`) are parsed one at a time and dropped once
//! typed, instead of the whole list being held as one JSON tree.

use std::collections::BTreeMap;

use serde_json::{Value, value::RawValue};

use super::{Sink, line_at, strip_position};

pub(super) fn stream(text: &str, sink: &mut Sink<'_>) {
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<&RawValue>();
    loop {
        let start = stream.byte_offset();
        match stream.next() {
            None => break,
            Some(Ok(raw)) => {
                sink.documents += 1;
                let skipped = text[start..].len() - text[start..].trim_start().len();
                document(text, line_at(text, start + skipped), raw, sink);
            }
            Some(Err(e)) => {
                let message = e.to_string();
                let message = strip_position(&message);
                let hint = if e.is_eof() {
                    " (is the file truncated?)"
                } else {
                    ""
                };
                sink.error(e.line(), format!("invalid JSON: {message}{hint}"));
                // The rest of the stream cannot be resynchronized reliably.
                break;
            }
        }
    }
}

/// One document: a list is read item by item, anything else whole.
fn document(text: &str, line: usize, raw: &RawValue, sink: &mut Sink<'_>) {
    if let Some((head, items)) = split_list(raw) {
        let kind = head.get("kind").and_then(Value::as_str).unwrap_or("");
        let api_version = head.get("apiVersion").and_then(Value::as_str).unwrap_or("");
        let mut lines = Lines::new(text, line);
        let mut unreadable = Vec::new();
        let parsed = items.iter().filter_map(|item| {
            let line = lines.of(item.get());
            match item_value(item.get()) {
                Ok(value) => Some((line, value)),
                Err(e) => {
                    unreadable.push((line, e.to_string()));
                    None
                }
            }
        });
        sink.items(api_version, kind, parsed);
        for (line, message) in unreadable {
            sink.object_error(
                line,
                None,
                format!("invalid JSON: {}", strip_position(&message)),
            );
        }
        return;
    }
    match serde_json::from_str::<Value>(raw.get()) {
        Ok(value) => sink.value(line, value, false),
        Err(e) => {
            let message = e.to_string();
            let line = line + e.line().saturating_sub(1);
            sink.error(line, format!("invalid JSON: {}", strip_position(&message)));
        }
    }
}

/// One list item, parsed without its `managedFields`: `kubectl get -o json
/// --show-managed-fields` and dumps taken with client libraries keep them, and they are half
/// of a real object's bytes. They are blanked in a copy of the item's text, never parsed.
fn item_value(text: &str) -> serde_json::Result<Value> {
    if memchr::memmem::find(text.as_bytes(), crate::compact::MANAGED_FIELDS).is_none() {
        return serde_json::from_str(text);
    }
    let mut bytes = text.as_bytes().to_vec();
    crate::compact::blank_managed_fields(&mut bytes);
    serde_json::from_slice(&bytes)
}

/// A list's fields other than `items`, and its items as raw text: a mapping with an `items`
/// array whose `kind` ends in `List` or is missing (a list that lost its kind), as
/// [`Sink::value`] would read it.
fn split_list(raw: &RawValue) -> Option<(serde_json::Map<String, Value>, Vec<&RawValue>)> {
    if !raw.get().starts_with('{') {
        return None;
    }
    let mut fields: BTreeMap<String, &RawValue> = serde_json::from_str(raw.get()).ok()?;
    let items: Vec<&RawValue> = serde_json::from_str(fields.remove("items")?.get()).ok()?;
    let head: serde_json::Map<String, Value> = fields
        .into_iter()
        .map(|(key, value)| Some((key, serde_json::from_str(value.get()).ok()?)))
        .collect::<Option<_>>()?;
    let is_list = match head.get("kind") {
        None => true,
        Some(Value::String(kind)) => kind.ends_with("List"),
        Some(_) => false,
    };
    is_list.then_some((head, items))
}

/// The line each item starts on, counted on from the previous item: items come in order.
struct Lines<'t> {
    text: &'t str,
    offset: usize,
    line: usize,
    fallback: usize,
}

impl<'t> Lines<'t> {
    fn new(text: &'t str, fallback: usize) -> Self {
        Self {
            text,
            offset: 0,
            line: 1,
            fallback,
        }
    }

    /// The line `part`, a slice of the text, starts on.
    fn of(&mut self, part: &str) -> usize {
        let offset = (part.as_ptr() as usize).wrapping_sub(self.text.as_ptr() as usize);
        let Some(between) = self.text.get(self.offset..offset) else {
            return self.fallback;
        };
        self.line += memchr::memchr_iter(b'\n', between.as_bytes()).count();
        self.offset = offset;
        self.line
    }
}
