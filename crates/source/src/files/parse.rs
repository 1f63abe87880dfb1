//! From text to objects: YAML streams, JSON streams, lists, and logs, each document tagged with
//! the line it starts on so that every error can say `file:line`.

use kube::api::DynamicObject;
use kubewhy_model::{ObjectRef, Origin};
use serde_json::Value;

use super::{Input, InputError, Loaded, logs};
use crate::{Listings, Progress, Reporter, SourceEvent};

/// Parses every input into one snapshot, collecting errors instead of stopping at them.
#[must_use]
pub fn parse(inputs: impl IntoIterator<Item = Input>) -> Loaded {
    parse_with(inputs, &Reporter::default())
}

/// [`parse`], reporting progress and errors per input as it goes, and stopping early (with
/// what was read so far) when the run is cancelled.
#[must_use]
pub fn parse_with(inputs: impl IntoIterator<Item = Input>, reporter: &Reporter) -> Loaded {
    let inputs: Vec<Input> = inputs.into_iter().collect();
    let mut loaded = Loaded::default();
    loaded.snapshot.listings = Listings::files();
    let (mut items, mut bytes) = (0, 0);
    for (i, input) in inputs.iter().enumerate() {
        if reporter.is_cancelled() {
            break;
        }
        let errors_before = loaded.errors.len();
        let objects_before = loaded.snapshot.objects_scanned();
        let documents = parse_one(input, &mut loaded, reporter);
        for error in &loaded.errors[errors_before..] {
            reporter.send(SourceEvent::InputError(error.clone()));
        }
        items += loaded.snapshot.objects_scanned() - objects_before;
        bytes += input.text.len() as u64;
        reporter.send(SourceEvent::Progress(Progress {
            what: input.name.clone(),
            items,
            pages: documents,
            bytes,
            done: true,
            steps_done: i + 1,
            steps: inputs.len(),
        }));
    }
    for duplicate in loaded.snapshot.seal() {
        tracing::debug!("{duplicate} appears more than once; the last copy read is kept");
    }
    loaded
}

/// Parses one input; returns how many documents it held.
fn parse_one(input: &Input, loaded: &mut Loaded, reporter: &Reporter) -> usize {
    let errors_before = loaded.errors.len();
    let file_name = input.name.rsplit('/').next().unwrap_or(&input.name);
    let previous = file_name.contains("previous");
    let (rest, logs) = logs::extract(&input.text, previous);
    for (target, text) in logs {
        loaded.snapshot.logs.insert(target, text);
    }
    let trimmed = rest.trim_start();
    if trimmed.is_empty() {
        return 0;
    }
    let mut sink = Sink {
        name: &input.name,
        loaded,
        reporter,
        documents: 0,
        object_errors: Vec::new(),
    };
    if trimmed.starts_with(['{', '[']) {
        json_stream(&rest, &mut sink);
    } else {
        yaml_stream(&rest, &mut sink);
    }
    sink.flush();
    let mut errors = sink.loaded.errors.split_off(errors_before);
    errors.sort_by_key(|e| line_of(&e.location));
    sink.loaded.errors.append(&mut errors);
    sink.documents
}

/// Receives documents and errors for one input.
struct Sink<'a> {
    name: &'a str,
    loaded: &'a mut Loaded,
    reporter: &'a Reporter,
    documents: usize,
    object_errors: Vec<ObjectError>,
}

/// Objects of one input that failed to decode for the same cause.
struct ObjectError {
    line: usize,
    what: String,
    cause: String,
    more: usize,
}

impl Sink<'_> {
    /// An object that could not be decoded. A list of a thousand pods with the same bad field
    /// is one error, naming the first pod and counting the rest.
    fn object_error(&mut self, line: usize, what: String, cause: String) {
        match self.object_errors.iter_mut().find(|e| e.cause == cause) {
            Some(seen) => seen.more += 1,
            None => self.object_errors.push(ObjectError {
                line,
                what,
                cause,
                more: 0,
            }),
        }
    }

    /// Moves the object errors of this input into the loaded errors.
    fn flush(&mut self) {
        for e in std::mem::take(&mut self.object_errors) {
            let more = match e.more {
                0 => String::new(),
                1 => " (and 1 more object in this file)".to_owned(),
                n => format!(" (and {n} more objects in this file)"),
            };
            self.error(e.line, format!("{}: {}{more}", e.what, e.cause));
        }
    }

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
                    if self.reporter.is_cancelled() {
                        return;
                    }
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
        self.loaded.snapshot.record_origin(
            &reference,
            Origin {
                file: self.name.to_owned(),
                member: None,
                line,
            },
        );
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
                Err(e) => self.object_error(line, what, e.to_string()),
            },
            Err(e) => {
                let path = e.path().to_string();
                self.object_error(line, what, format!("field `{path}`: {}", e.inner()));
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
            if self.reporter.is_cancelled() {
                return;
            }
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
                sink.documents += 1;
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
        if sink.reporter.is_cancelled() {
            return;
        }
        sink.documents += 1;
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

/// The line of a `file:line` location, for sorting one file's errors.
fn line_of(location: &str) -> usize {
    location
        .rsplit(':')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
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
