//! From text to objects: YAML streams, JSON streams, lists, and logs, each document tagged with
//! the line it starts on so that every error can say `file:line`.

use kube::api::DynamicObject;
use kubewhy_model::{ObjectRef, Origin};
use serde_json::Value;

use super::{
    Input, InputError, Loaded,
    gather::Text,
    infer::{self, Hint},
    inferred::{How, Inferences},
    legacy, logs,
};
use crate::{Listings, Progress, Reporter, Snapshot, SourceEvent};

mod json;

/// Parses every input into one snapshot, collecting errors instead of stopping at them.
#[must_use]
pub fn parse(inputs: impl IntoIterator<Item = Input>) -> Loaded {
    parse_with(inputs, &Reporter::default())
}

/// [`parse`], reporting progress and errors per input as it goes, and stopping early (with
/// what was read so far) when the run is cancelled.
#[must_use]
pub fn parse_with(inputs: impl IntoIterator<Item = Input>, reporter: &Reporter) -> Loaded {
    let texts = inputs.into_iter().map(|input| Text {
        hint: infer::by_path(&input.name),
        root: input.name.clone(),
        file: input.name,
        member: None,
        content: input.text,
    });
    let mut loaded = Loaded::default();
    parse_texts(&texts.collect::<Vec<_>>(), &mut loaded, reporter);
    loaded
}

/// Parses texts into `loaded`, then seals its snapshot.
pub(crate) fn parse_texts(texts: &[Text], loaded: &mut Loaded, reporter: &Reporter) {
    loaded.snapshot.listings = Listings::files();
    let (mut items, mut bytes) = (0, 0);
    let mut inferences = Inferences::default();
    for (i, text) in texts.iter().enumerate() {
        if reporter.is_cancelled() {
            break;
        }
        let errors_before = loaded.errors.len();
        let objects_before = loaded.snapshot.objects_scanned();
        let documents = parse_one(text, loaded, &mut inferences, reporter);
        for error in &loaded.errors[errors_before..] {
            reporter.send(SourceEvent::InputError(error.clone()));
        }
        items += loaded.snapshot.objects_scanned() - objects_before;
        bytes += text.content.len() as u64;
        reporter.send(SourceEvent::Progress(Progress {
            what: text.location(),
            items,
            pages: documents,
            bytes,
            done: true,
            steps_done: i + 1,
            steps: texts.len(),
        }));
    }
    for note in inferences.notes() {
        reporter.send(SourceEvent::Warning(note.clone()));
        loaded.notes.push(note);
    }
    for duplicate in loaded.snapshot.seal() {
        tracing::debug!("{duplicate} appears more than once; the last copy read is kept");
    }
}

/// A Secret in an API version kubewhy does not know is kept as a dynamic object, but it is
/// still a Secret: only its metadata (without `kubectl apply`'s copy of the manifest) and type
/// are kept, as for a typed one.
fn without_values(value: &mut Value) {
    if let Value::Object(map) = value {
        map.retain(|key, _| matches!(key.as_str(), "apiVersion" | "kind" | "metadata" | "type"));
        if let Some(Value::Object(annotations)) = map
            .get_mut("metadata")
            .and_then(|m| m.get_mut("annotations"))
        {
            annotations.shift_remove("kubectl.kubernetes.io/last-applied-configuration");
        }
    }
}

/// Parses one text; returns how many documents it held.
fn parse_one(
    input: &Text,
    loaded: &mut Loaded,
    inferences: &mut Inferences,
    reporter: &Reporter,
) -> usize {
    let errors_before = loaded.errors.len();
    let name = input.location();
    let file_name = name.rsplit('/').next().unwrap_or(&name);
    let previous = file_name.contains("previous");
    let logs::Extracted { rest, logs, cut } = logs::extract(&input.content, previous);
    for size in cut {
        let note = logs::cut_note(&name, size);
        reporter.send(SourceEvent::Warning(note.clone()));
        loaded.notes.push(note);
    }
    for (target, text) in logs {
        loaded.snapshot.logs.insert(target, text);
    }
    let trimmed = rest.trim_start();
    if trimmed.is_empty() {
        return 0;
    }
    let mut sink = Sink {
        name: &name,
        input,
        loaded,
        reporter,
        documents: 0,
        object_errors: Vec::new(),
        inferences,
    };
    if trimmed.starts_with(['{', '[']) {
        json::stream(&rest, &mut sink);
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
    /// `file` or `archive#member`, in front of every error's line.
    name: &'a str,
    input: &'a Text,
    loaded: &'a mut Loaded,
    reporter: &'a Reporter,
    documents: usize,
    object_errors: Vec<ObjectError>,
    /// Kinds inferred, for the info lines.
    inferences: &'a mut Inferences,
}

/// Objects of one input that failed to decode for the same cause.
struct ObjectError {
    line: usize,
    what: Option<String>,
    cause: String,
    more: usize,
}

impl Sink<'_> {
    /// An object that could not be read. A list of a thousand pods with the same bad field is
    /// one error, naming the first pod and counting the rest.
    fn object_error(&mut self, line: usize, what: Option<String>, cause: impl Into<String>) {
        let cause = cause.into();
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
            let message = match e.what {
                Some(what) => format!("{what}: {}{more}", e.cause),
                None => format!("{}{more}", e.cause),
            };
            self.error(e.line, message);
        }
    }

    fn error(&mut self, line: usize, message: impl Into<String>) {
        self.loaded.errors.push(InputError {
            location: format!("{}:{line}", self.name),
            message: message.into(),
        });
    }

    /// Adds a document's value: an object, a list of them, or nothing. `in_list` says the value
    /// is an item of a list, as `kubectl get` and archivers write cluster state.
    fn value(&mut self, line: usize, value: Value, in_list: bool) {
        match value {
            Value::Null => {}
            Value::Array(items) => {
                for item in items {
                    if self.reporter.is_cancelled() {
                        return;
                    }
                    self.value(line, item, true);
                }
            }
            Value::Object(_) => self.object(line, value, in_list),
            other => self.object_error(
                line,
                None,
                format!(
                    "expected a Kubernetes object (a mapping with apiVersion and kind), found {}",
                    describe(&other)
                ),
            ),
        }
    }

    /// The kind of an object written without one: from the path, else from its fields. Only
    /// objects with `metadata` qualify: anything else is not a Kubernetes object at all.
    fn infer(&mut self, value: &Value) -> Option<Hint> {
        value.get("metadata")?.as_object()?;
        let (hint, how) = match self.input.hint {
            Some(hint) => (hint, How::Path),
            None => (infer::by_shape(value)?, How::Shape),
        };
        self.inferences
            .record(&self.input.root, self.name, how, hint.kind);
        Some(hint)
    }

    fn object(&mut self, line: usize, mut value: Value, in_list: bool) {
        let mut inferred = false;
        let kind = match value.get("kind").and_then(Value::as_str) {
            Some(kind) => kind.to_owned(),
            // `{metadata, items}`: a list that lost its kind, as client-go writes them.
            None if value.get("items").is_some_and(Value::is_array) => {
                return self.list(line, "", "", value);
            }
            None => {
                let Some(hint) = self.infer(&value) else {
                    return self.object_error(
                        line,
                        None,
                        "object has no `kind`; is this a Kubernetes manifest?",
                    );
                };
                inferred = true;
                if let Some(map) = value.as_object_mut() {
                    map.insert("kind".to_owned(), hint.kind.into());
                    map.entry("apiVersion")
                        .or_insert_with(|| hint.api_version.into());
                }
                hint.kind.to_owned()
            }
        };
        if kind.ends_with("List") && value.get("items").is_some_and(Value::is_array) {
            let api_version = value
                .get("apiVersion")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            return self.list(line, &api_version, &kind, value);
        }
        let mut api_version = value
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        if api_version.is_empty() {
            return self.object_error(line, None, format!("{kind} has no `apiVersion`"));
        }
        let written = legacy::convert(&api_version, &kind, &mut value)
            .map(|current| std::mem::replace(&mut api_version, current.to_owned()));
        if inferred && kind == "Ingress" && legacy::has_beta_backends(&value) {
            legacy::ingress(&mut value);
        }
        self.note_cluster_state(&value, in_list);
        self.insert(line, &api_version, &kind, value, written.as_deref());
    }

    /// Objects with a status as the API server writes it, in a list or with server-set
    /// metadata, are cluster state, not manifests.
    fn note_cluster_state(&mut self, value: &Value, in_list: bool) {
        if self.loaded.snapshot.cluster_state {
            return;
        }
        let status = value
            .get("status")
            .and_then(Value::as_object)
            .is_some_and(|s| !s.is_empty());
        let server_set = ["/metadata/uid", "/metadata/resourceVersion"]
            .iter()
            .any(|p| value.pointer(p).is_some());
        if status && (in_list || server_set) {
            self.loaded.snapshot.cluster_state = true;
        }
    }

    fn insert(
        &mut self,
        line: usize,
        api_version: &str,
        kind: &str,
        mut value: Value,
        written: Option<&str>,
    ) {
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
        if let Some(default) = &self.loaded.namespace
            && value.pointer("/metadata/namespace").is_none()
            && Snapshot::namespaced(api_version, kind) == Some(true)
            && let Some(meta) = value.get_mut("metadata").and_then(Value::as_object_mut)
        {
            meta.insert("namespace".to_owned(), Value::String(default.clone()));
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
            api_version.to_owned(),
            kind.to_owned(),
            namespace.as_deref(),
            name,
        );
        let snapshot = &mut self.loaded.snapshot;
        snapshot.record_unsorted_keys(&reference, &value);
        snapshot.record_origin(
            &reference,
            Origin {
                file: self.input.file.clone(),
                member: self.input.member.clone(),
                line,
            },
        );
        snapshot.record_written(&reference, written);
        if let Some(Value::Object(meta)) = value.get_mut("metadata") {
            // `kubectl get` shows these; they are noise to kubewhy and can be large.
            meta.shift_remove("managedFields");
        }
        match snapshot.insert_typed(api_version, kind, value) {
            Ok(None) => {}
            Ok(Some(mut value)) => {
                if kind == "Secret" {
                    without_values(&mut value);
                }
                match serde_json::from_value::<DynamicObject>(value) {
                    Ok(object) => snapshot.dynamic.push(object),
                    Err(e) => self.object_error(line, Some(what), e.to_string()),
                }
            }
            Err(e) => {
                let path = e.path().to_string();
                self.object_error(line, Some(what), format!("field `{path}`: {}", e.inner()));
            }
        }
    }

    /// `kind: List` holds full objects; `PodList` and friends hold items without `kind`, and
    /// lists written without a kind hold items whose kind the path or fields tell.
    fn list(&mut self, line: usize, api_version: &str, kind: &str, mut value: Value) {
        let Some(Value::Array(items)) = value.get_mut("items").map(Value::take) else {
            return;
        };
        self.items(
            api_version,
            kind,
            items.into_iter().map(|item| (line, item)),
        );
    }

    /// The items of a list of `kind`, each with the line it is reported at.
    fn items(
        &mut self,
        api_version: &str,
        kind: &str,
        items: impl IntoIterator<Item = (usize, Value)>,
    ) {
        let item_kind = kind.strip_suffix("List").filter(|k| !k.is_empty());
        for (line, mut item) in items {
            if self.reporter.is_cancelled() {
                return;
            }
            if let (Some(item_kind), Value::Object(map)) = (item_kind, &mut item) {
                map.entry("kind").or_insert_with(|| item_kind.into());
                map.entry("apiVersion")
                    .or_insert_with(|| api_version.into());
            }
            self.value(line, item, true);
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
            Ok(mut value) => {
                octal_modes(&mut value, 0);
                let offset = doc.len() - doc.trim_start().len();
                sink.value(
                    first_line + doc[..offset].matches('\n').count(),
                    value,
                    false,
                );
            }
            Err(e) => {
                let line = first_line + e.location().map_or(0, |l| l.line().saturating_sub(1));
                let message = e.to_string();
                sink.error(line, format!("invalid YAML: {}", strip_position(&message)));
            }
        }
    }
}

/// File modes written as kubectl reads them: YAML 1.1 takes `defaultMode: 0400` as octal (256),
/// while the YAML 1.2 parser here reads a string. Only the API's mode fields are converted.
fn octal_modes(value: &mut Value, depth: usize) {
    if depth > 64 {
        return;
    }
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                if let (true, Value::String(text)) =
                    (matches!(key.as_str(), "defaultMode" | "mode"), &*v)
                {
                    let digits = text.strip_prefix("0o").or_else(|| text.strip_prefix('0'));
                    if let Some(n) = digits
                        .filter(|d| !d.is_empty())
                        .and_then(|d| u32::from_str_radix(d, 8).ok())
                    {
                        *v = Value::from(n);
                    }
                } else {
                    octal_modes(v, depth + 1);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| octal_modes(v, depth + 1)),
        _ => {}
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

    fn one(name: &str, text: &str) -> Loaded {
        parse([Input {
            name: name.into(),
            text: text.into(),
        }])
    }

    #[test]
    fn file_modes_are_read_as_kubectl_reads_them() {
        let pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: d}\nspec:\n  containers: [{name: c, image: 'x:1'}]\n  volumes:\n  - name: s\n    secret: {secretName: s, defaultMode: 0400, items: [{key: k, path: k, mode: 0o440}]}\n";
        let loaded = one("pod.yaml", pod);
        assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
        let secret = loaded.snapshot.pods.iter().next().and_then(|p| {
            let volumes = p.spec.as_ref()?.volumes.clone()?;
            volumes.into_iter().next()?.secret
        });
        let secret = secret.expect("the secret volume");
        assert_eq!(secret.default_mode, Some(0o400));
        assert_eq!(secret.items.unwrap()[0].mode, Some(0o440));
    }

    #[test]
    fn lists_with_a_status_are_cluster_state_whatever_their_kind() {
        let manifest = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {}\n";
        assert!(!one("deploy.yaml", manifest).snapshot.observed());
        let list = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: apps/v1\n  kind: Deployment\n  metadata: {name: web}\n  spec: {}\n  status: {replicas: 1}\n";
        assert!(one("get.yaml", list).snapshot.observed());
    }

    #[test]
    fn removed_versions_are_read_as_current_and_remembered() {
        let loaded = one(
            "old.yaml",
            "apiVersion: batch/v1beta1\nkind: CronJob\nmetadata: {name: report, namespace: shop}\nspec: {schedule: '@daily', jobTemplate: {}}\n",
        );
        assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
        let cron = loaded
            .snapshot
            .cron_jobs
            .get(Some("shop"), "report")
            .unwrap();
        let reference = crate::object_ref(cron);
        assert_eq!(reference.api_version, "batch/v1");
        assert_eq!(
            loaded.snapshot.written_api_version(&reference),
            Some("batch/v1beta1")
        );
        assert_eq!(loaded.snapshot.written_api_versions().count(), 1);
    }

    #[test]
    fn kinds_are_inferred_only_for_objects_with_metadata() {
        let loaded = one(
            "pods/shop.json",
            r#"[{"metadata": {"name": "a"}, "spec": {"containers": []}}, {"retries": 3}]"#,
        );
        assert_eq!(loaded.snapshot.pods.len(), 1);
        assert_eq!(loaded.errors.len(), 1, "{:?}", loaded.errors);
        assert_eq!(loaded.notes.len(), 1);
        assert_eq!(
            loaded.notes[0].message,
            "pods/shop.json: read 1 object without `kind` as Pod (from the file's path)"
        );
    }
}
