//! The YAML view's text for an object read from a file: its document, found again at the line
//! the report recorded, with `managedFields` folded. A YAML document is shown as written; an
//! object inside a list (or a JSON file) is shown as YAML. Secrets are never shown.

use kubewhy_model::ObjectRef;
use serde_yaml_ng::Value;

/// Why the document cannot be shown.
#[derive(Debug, thiserror::Error)]
pub enum YamlError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Nothing at that line reads as the object.
    #[error("{path}:{line} does not hold {object} any more")]
    NotFound {
        /// The file.
        path: String,
        /// The line.
        line: usize,
        /// The object.
        object: String,
    },
    /// The object is a Secret.
    #[error("Secrets are never shown")]
    Secret,
}

/// Reads the document of `object` that starts at `line` (1-based) of `path`.
pub fn read(path: &str, line: usize, object: &ObjectRef) -> Result<Vec<String>, YamlError> {
    let text = std::fs::read_to_string(path).map_err(|source| YamlError::Read {
        path: path.to_owned(),
        source,
    })?;
    document(&text, line, object).ok_or_else(|| YamlError::NotFound {
        path: path.to_owned(),
        line,
        object: object.to_string(),
    })?
}

/// The object's document in `text`, from `line` on.
fn document(text: &str, line: usize, object: &ObjectRef) -> Option<Result<Vec<String>, YamlError>> {
    let start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    let rest = text.get(start..)?;
    let json = rest.trim_start().starts_with(['{', '[']);
    let doc = if json {
        rest
    } else {
        // The document ends at the next `---` line.
        let mut end = 0;
        for (i, line) in rest.split_inclusive('\n').enumerate() {
            let bare = line.trim_end();
            if i > 0 && (bare == "---" || bare.starts_with("--- ")) {
                break;
            }
            end += line.len();
        }
        &rest[..end]
    };
    let value: Value = if json {
        let mut stream = serde_json::Deserializer::from_str(doc).into_iter::<serde_json::Value>();
        serde_yaml_ng::to_value(stream.next()?.ok()?).ok()?
    } else {
        serde_yaml_ng::from_str(doc).ok()?
    };
    let found = find(&value, object)?;
    if found.get("kind").and_then(Value::as_str) == Some("Secret") {
        return Some(Err(YamlError::Secret));
    }
    if !json && std::ptr::eq(found, &raw const value) {
        return Some(Ok(fold_managed_fields(doc.lines())));
    }
    let mut found = found.clone();
    if let Some(Value::Mapping(metadata)) = found.get_mut("metadata")
        && let Some(fields) = metadata.get_mut("managedFields")
    {
        let n = fields.as_sequence().map_or(0, Vec::len);
        *fields = Value::String(format!("({n} entries folded)"));
    }
    let yaml = serde_yaml_ng::to_string(&found).ok()?;
    Some(Ok(yaml.lines().map(str::to_owned).collect()))
}

/// The object itself, or the item of a list that is it.
fn find<'a>(value: &'a Value, object: &ObjectRef) -> Option<&'a Value> {
    let is = |v: &Value| {
        let metadata = v.get("metadata");
        let name = metadata.and_then(|m| m.get("name")).and_then(Value::as_str);
        let namespace = metadata
            .and_then(|m| m.get("namespace"))
            .and_then(Value::as_str);
        v.get("kind").and_then(Value::as_str) == Some(object.kind.as_str())
            && name == Some(object.name.as_str())
            && (namespace.is_none() || namespace == object.namespace.as_deref())
    };
    if is(value) {
        return Some(value);
    }
    value
        .get("items")?
        .as_sequence()?
        .iter()
        .find(|item| is(item))
}

/// The lines of a YAML document with the `managedFields:` block folded to one line.
fn fold_managed_fields<'a>(lines: impl Iterator<Item = &'a str>) -> Vec<String> {
    struct Fold {
        depth: usize,
        item_indent: Option<usize>,
        count: usize,
    }
    let folded = |f: &Fold| {
        format!(
            "{}managedFields: ({} entries folded)",
            " ".repeat(f.depth),
            f.count
        )
    };
    let mut out = Vec::new();
    let mut folding: Option<Fold> = None;
    for line in lines {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        if let Some(f) = &mut folding {
            let item = trimmed.starts_with('-');
            // YAML lets a list's items sit at its key's indent.
            if trimmed.is_empty() || indent > f.depth || (indent == f.depth && item) {
                if item && *f.item_indent.get_or_insert(indent) == indent {
                    f.count += 1;
                }
                continue;
            }
            out.push(folded(f));
            folding = None;
        }
        if trimmed.starts_with("managedFields:") {
            folding = Some(Fold {
                depth: indent,
                item_indent: None,
                count: 0,
            });
            continue;
        }
        out.push(line.to_owned());
    }
    if let Some(f) = &folding {
        out.push(folded(f));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(name: &str) -> ObjectRef {
        ObjectRef::new("v1", "Pod", Some("shop"), name)
    }

    const TWO: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  namespace: shop\n---\n# b\napiVersion: v1\nkind: Pod\nmetadata:\n  name: b\n  namespace: shop\n  managedFields:\n  - manager: kubectl\n    operation: Apply\n  - manager: kubelet\n  labels:\n    app: b\nspec: {}\n";

    #[test]
    fn the_document_at_the_line_is_shown_as_written_with_managed_fields_folded() {
        let lines = document(TWO, 7, &pod("b")).unwrap().unwrap();
        assert_eq!(lines[0], "# b");
        assert!(
            lines.contains(&"  managedFields: (2 entries folded)".to_owned()),
            "{lines:#?}"
        );
        assert!(lines.contains(&"    app: b".to_owned()), "{lines:#?}");
        assert!(!lines.iter().any(|l| l.contains("kubelet")), "{lines:#?}");
        let first = document(TWO, 1, &pod("a")).unwrap().unwrap();
        assert_eq!(first.len(), 5, "{first:#?}");
    }

    #[test]
    fn list_items_and_json_are_found_and_secrets_refused() {
        let list = r#"{"kind":"List","items":[{"kind":"Pod","metadata":{"name":"a","namespace":"shop"}},{"kind":"Pod","metadata":{"name":"b","namespace":"shop","managedFields":[{},{}]}}]}"#;
        let lines = document(list, 1, &pod("b")).unwrap().unwrap();
        assert!(lines.iter().any(|l| l.contains("name: b")), "{lines:#?}");
        assert!(
            lines.iter().any(|l| l.contains("(2 entries folded)")),
            "{lines:#?}"
        );
        let secret = "kind: Secret\nmetadata:\n  name: s\n  namespace: shop\ndata:\n  k: dg==\n";
        let object = ObjectRef::new("v1", "Secret", Some("shop"), "s");
        assert!(matches!(
            document(secret, 1, &object),
            Some(Err(YamlError::Secret))
        ));
        assert!(document(TWO, 1, &pod("zzz")).is_none());
    }
}
