//! Asking about one object (`kubewhy explain deploy/checkout -n shop`): its kind resolved as
//! kubectl would, its context gathered whether or not a check fires on it, and a clear error
//! with the closest names when it does not exist.

use kubewhy_model::{FocusContext, ObjectRef};
use kubewhy_source::{KindName, Snapshot, resolve_kind};

use crate::{Opened, RunError, group::Grouped};

/// The object asked about, its kind resolved.
#[derive(Debug, Clone)]
pub(crate) struct Resolved {
    pub kind: KindName,
    pub namespace: Option<String>,
    pub name: String,
}

/// Resolves the kind, and the namespace: without one, the context's, as kubectl does.
pub(crate) fn resolve(target: &ObjectRef, opened: &Opened) -> Result<Resolved, RunError> {
    let kind =
        resolve_kind(&target.kind).ok_or_else(|| RunError::UnknownKind(target.kind.clone()))?;
    let namespace = kind.namespaced.then(|| {
        target
            .namespace
            .clone()
            .unwrap_or_else(|| opened.default_namespace().to_owned())
    });
    Ok(Resolved {
        kind,
        namespace,
        name: target.name.clone(),
    })
}

impl Resolved {
    fn object(&self) -> ObjectRef {
        ObjectRef::new(
            self.kind.api_version,
            self.kind.kind,
            self.namespace.as_deref(),
            self.name.clone(),
        )
    }
}

/// The focused object's context, with the issues about it.
pub(crate) fn context(
    snapshot: &Snapshot,
    focus: &Resolved,
    grouped: &[Grouped],
) -> Result<FocusContext, RunError> {
    let object = focus.object();
    let Some(mut context) = kubewhy_analyzers::focus::focus_context(snapshot, &object) else {
        return Err(RunError::NotFound {
            suggestions: suggestions(snapshot, focus),
            object: Box::new(object),
        });
    };
    let root = snapshot.root_of(&object);
    context.issues = grouped
        .iter()
        .map(|g| &g.issue)
        .filter(|issue| {
            issue.root.is(&object)
                || issue.root.is(&root)
                || issue.objects.iter().any(|o| o.is(&object))
                || issue.related.iter().any(|o| o.is(&object))
        })
        .map(|issue| issue.fingerprint)
        .collect();
    Ok(context)
}

/// The names of the same kind closest to the one asked for, in kubectl form
/// (`deploy/checkout`, or `deploy/checkout -n shop` in another namespace).
fn suggestions(snapshot: &Snapshot, focus: &Resolved) -> Vec<String> {
    let wanted = focus.name.to_ascii_lowercase();
    let short = short_kind(focus.kind.kind);
    let mut scored: Vec<(usize, String)> = snapshot
        .names_of(focus.kind.kind)
        .into_iter()
        .filter_map(|(namespace, name)| {
            let lower = name.to_ascii_lowercase();
            let distance = edit_distance(&wanted, &lower);
            let close = distance <= (wanted.len() / 3).max(2)
                || lower.starts_with(&wanted)
                || wanted.starts_with(&lower);
            close.then(|| {
                let here = namespace.as_deref() == focus.namespace.as_deref();
                let text = match namespace.filter(|_| !here) {
                    Some(ns) => format!("{short}/{name} -n {ns}"),
                    None => format!("{short}/{name}"),
                };
                (distance + usize::from(!here) * 100, text)
            })
        })
        .collect();
    scored.sort();
    scored.dedup_by(|a, b| a.1 == b.1);
    scored.into_iter().take(3).map(|(_, text)| text).collect()
}

fn short_kind(kind: &str) -> String {
    match kind {
        "Deployment" => "deploy".to_owned(),
        "StatefulSet" => "sts".to_owned(),
        "DaemonSet" => "ds".to_owned(),
        "Service" => "svc".to_owned(),
        "ConfigMap" => "cm".to_owned(),
        other => other.to_ascii_lowercase(),
    }
}

/// Levenshtein distance, for "did you mean".
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let current = row[j + 1];
            row[j + 1] = if ca == *cb {
                previous
            } else {
                1 + previous.min(row[j]).min(current)
            };
            previous = current;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    #[test]
    fn edit_distance_counts_edits() {
        assert_eq!(super::edit_distance("checkout", "checkout"), 0);
        assert_eq!(super::edit_distance("chekout", "checkout"), 1);
        assert_eq!(super::edit_distance("web", "api"), 3);
    }
}
