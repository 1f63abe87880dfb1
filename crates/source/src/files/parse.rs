//! From text to objects: YAML streams, JSON streams, lists, and logs, each document tagged with
//! the line it starts on so that every error can say `file:line`.

use kube::api::DynamicObject;
use kubewhy_model::ObjectRef;
use serde_json::Value;

use super::{Input, InputError, Loaded, logs};

/// Parses every input into one snapshot, collecting errors instead of stopping at them.
#[must_use]
pub fn parse(inputs: impl IntoIterator<Item = Input>) -> Loaded {
    let mut loaded = Loaded::default();
    for input in inputs {
        parse_one(&input, &mut loaded);
    }
    for duplicate in loaded.snapshot.seal() {
        tracing::debug!("{duplicate} appears more than once; the last copy read is kept");
    }
    loaded
}

fn parse_one(input: &Input, loaded: &mut Loaded) {
    let file_name = input.name.rsplit('/').next().unwrap_or(&input.name);
    let previous = file_name.contains("previous");
    let (rest, logs) = logs::extract(&input.text, previous);
    for (target, text) in logs {
        loaded.snapshot.logs.insert(target, text);
    }
    let trimmed = rest.trim_start();
    if trimmed.is_empty() {
        return;
    }
    let mut sink = Sink {
        name: &input.name,
        loaded,
    };
    if trimmed.starts_with(['{', '[']) {
        json_stream(&rest, &mut sink);
    } else {
        yaml_stream(&rest, &mut sink);
    }
}

/// Receives documents and errors for one input.
struct Sink<'a> {
    name: &'a str,
    loaded: &'a mut Loaded,
}

impl Sink<'_> {
    fn error(&mut self, line: usize, message: impl Into<String>) {
        self.loaded.errors.push(InputError {
            location: format!("{}:{line}", self.name),
            message: message.into(),
        });
    }

    /// Adds a document's value: an object, a list of them, or nothing.
    fn value(&mut self, line: usize, value: Value) {
        match value {
            Value::Null => {}
            Value::Array(items) => {
                for item in items {
                    self.value(line, item);
                }
            }
            Value::Object(_) => self.object(line, value),
            other => self.error(
                line,
                format!(
                    "expected a Kubernetes object (a mapping with apiVersion and kind), found {}",
                    describe(&other)
                ),
            ),
        }
    }

    fn object(&mut self, line: usize, mut value: Value) {
        let api_version = value
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        let Some(kind) = value.get("kind").and_then(Value::as_str).map(str::to_owned) else {
            return self.error(line, "object has no `kind`; is this a Kubernetes manifest?");
        };
        if kind.ends_with("List") && value.get("items").is_some_and(Value::is_array) {
            return self.list(line, &api_version, &kind, value);
        }
        if api_version.is_empty() {
            return self.error(line, format!("{kind} has no `apiVersion`"));
        }
        let name = value
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .map(str::to_owned);
        // Templates and kustomize bases often leave the name out. The object is still worth
        // checking, under a name that says where it is and cannot collide with another.
        let name = name.unwrap_or_else(|| format!("(unnamed at {}:{line})", self.name));
        if let Some(meta) = value.get_mut("metadata").and_then(Value::as_object_mut) {
            meta.insert("name".to_owned(), Value::String(name.clone()));
        } else if let Some(object) = value.as_object_mut() {
            object.insert("metadata".to_owned(), serde_json::json!({ "name": name }));
        }
        let namespace = value
            .pointer("/metadata/namespace")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let what = match &namespace {
            Some(ns) => format!("{kind} {ns}/{name}"),
            None => format!("{kind} {name}"),
        };
        let reference = ObjectRef::new(
            api_version.clone(),
            kind.clone(),
            namespace.as_deref(),
            name,
        );
        self.loaded
            .snapshot
            .record_unsorted_keys(&reference, &value);
        if let Some(Value::Object(meta)) = value.get_mut("metadata") {
            // `kubectl get` shows these; they are noise to kubewhy and can be large.
            meta.shift_remove("managedFields");
        }
        match self
            .loaded
            .snapshot
            .insert_typed(&api_version, &kind, value)
        {
            Ok(None) => {}
            Ok(Some(value)) => match serde_json::from_value::<DynamicObject>(value) {
                Ok(object) => self.loaded.snapshot.dynamic.push(object),
                Err(e) => self.error(line, format!("{what}: {e}")),
            },
            Err(e) => {
                let path = e.path().to_string();
                self.error(line, format!("{what}: field `{path}`: {}", e.inner()));
            }
        }
    }

    /// `kind: List` holds full objects; `PodList` and friends hold items without `kind`.
    fn list(&mut self, line: usize, api_version: &str, kind: &str, mut value: Value) {
        let item_kind = kind.strip_suffix("List").filter(|k| !k.is_empty());
        let Some(Value::Array(items)) = value.get_mut("items").map(Value::take) else {
            return;
        };
        for mut item in items {
            if let (Some(item_kind), Value::Object(map)) = (item_kind, &mut item) {
                map.entry("kind").or_insert_with(|| item_kind.into());
                map.entry("apiVersion")
                    .or_insert_with(|| api_version.into());
            }
            self.value(line, item);
        }
    }
}

fn describe(value: &Value) -> &'static str {
    match value {
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
        Value::Null => "nothing",
    }
}

fn json_stream(text: &str, sink: &mut Sink<'_>) {
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<Value>();
    loop {
        let start = stream.byte_offset();
        match stream.next() {
            None => break,
            Some(Ok(value)) => {
                let skipped = text[start..].len() - text[start..].trim_start().len();
                sink.value(line_at(text, start + skipped), value);
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

fn yaml_stream(text: &str, sink: &mut Sink<'_>) {
    for (first_line, doc) in yaml_documents(text) {
        if doc.trim().is_empty() {
            continue;
        }
        match serde_yaml_ng::from_str::<Value>(doc) {
            Ok(value) => {
                let offset = doc.len() - doc.trim_start().len();
                sink.value(first_line + doc[..offset].matches('\n').count(), value);
            }
            Err(e) => {
                let line = first_line + e.location().map_or(0, |l| l.line().saturating_sub(1));
                let message = e.to_string();
                sink.error(line, format!("invalid YAML: {}", strip_position(&message)));
            }
        }
    }
}

/// Splits a YAML stream at `---` and `...` lines, returning each document with the 1-based
/// line it starts on. Splitting ourselves (instead of letting the parser stream) means one bad
/// document costs only itself.
fn yaml_documents(text: &str) -> Vec<(usize, &str)> {
    let mut docs = Vec::new();
    let mut start = 0;
    let mut first_line = 1;
    let mut offset = 0;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let bare = line.trim_end();
        if bare == "---" || bare == "..." {
            docs.push((first_line, &text[start..offset]));
            (start, first_line) = (offset + line.len(), i + 2);
        } else if bare.starts_with("--- ") {
            // The document begins on the marker line itself: `--- {a: 1}`.
            docs.push((first_line, &text[start..offset]));
            (start, first_line) = (offset + 4, i + 1);
        }
        offset += line.len();
    }
    docs.push((first_line, &text[start..]));
    docs
}

/// The 1-based line of a byte offset.
fn line_at(text: &str, offset: usize) -> usize {
    text[..offset].matches('\n').count() + 1
}

/// Drops the parser's own " at line L column C", since errors carry `file:line` in front.
fn strip_position(message: &str) -> &str {
    message
        .rfind(" at line ")
        .map_or(message, |i| &message[..i])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_know_their_first_line() {
        let docs = yaml_documents("a: 1\n---\nb: 2\n\n--- \nc: 3\n");
        let firsts: Vec<usize> = docs.iter().map(|(line, _)| *line).collect();
        assert_eq!(firsts, [1, 3, 6]);
        assert_eq!(docs[1].1.trim(), "b: 2");
    }
}
