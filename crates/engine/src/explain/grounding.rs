//! The grounding check: after unscrubbing, every object an answer's commands name must be in
//! the issue or in the snapshot. Commands are read as kubectl reads them (`kind/name`,
//! `kind name`, `-n ns`); an object of a kind the snapshot did not list, or in a namespace it
//! could not see, is never flagged, since its absence was not observed.

use std::collections::BTreeSet;

use kubewhy_model::{Issue, ObjectRef, SuggestedCommand};
use kubewhy_source::{Snapshot, resolve_kind};

/// An object a command names.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Named {
    /// The kind, as kubewhy spells it (`Deployment`).
    pub kind: &'static str,
    /// Whether the kind lives in namespaces.
    pub namespaced: bool,
    /// The namespace the command gives (`-n`); `None` for the context's, or every one (`-A`).
    pub namespace: Option<String>,
    /// The name.
    pub name: String,
}

impl Named {
    /// `deployment/foo`, with ` -n shop` when the command gave a namespace.
    fn label(&self) -> String {
        let object = format!("{}/{}", self.kind.to_ascii_lowercase(), self.name);
        match &self.namespace {
            Some(ns) if self.namespaced => format!("{object} -n {ns}"),
            _ => object,
        }
    }
}

/// The objects of `commands` found neither in `issue` nor in `snapshot`, as `kind/name`
/// (sorted, once each).
pub(crate) fn ungrounded(
    commands: &[SuggestedCommand],
    issue: &Issue,
    snapshot: &Snapshot,
) -> Vec<String> {
    let unknown: BTreeSet<String> = commands
        .iter()
        .flat_map(|c| named_objects(&c.command))
        .filter(|named| !in_issue(named, issue) && !in_snapshot(named, snapshot))
        .map(|named| named.label())
        .collect();
    unknown.into_iter().collect()
}

/// Flags that take the next word as their value.
const VALUE_FLAGS: &[&str] = &[
    "-n",
    "--namespace",
    "-l",
    "--selector",
    "-o",
    "--output",
    "-c",
    "--container",
    "--context",
    "--cluster",
    "--kubeconfig",
    "-f",
    "--filename",
    "-k",
    "--kustomize",
    "-p",
    "--patch",
    "--type",
    "--field-selector",
    "--sort-by",
    "--tail",
    "--since",
    "--for",
    "--timeout",
    "--replicas",
    "--image",
    "--as",
    "--as-group",
    "--user",
    "-s",
    "--server",
    "--to-revision",
    "-L",
    "--label-columns",
    "--from-literal",
    "--from-file",
    "--min",
    "--max",
    "--cpu-percent",
    "--port",
    "--target-port",
];

/// Verbs that name no existing object (or that create the ones they name).
const NO_OBJECTS: &[&str] = &[
    "create",
    "apply",
    "run",
    "explain",
    "api-resources",
    "api-versions",
    "version",
    "cluster-info",
    "config",
    "auth",
    "diff",
    "cp",
    "kustomize",
    "completion",
    "plugin",
    "replace",
];

/// Verbs whose second word is a sub-command (`rollout restart`, `set image`).
const TWO_WORDS: &[&str] = &["rollout", "set", "certificate"];

/// Verbs whose first argument is a pod or a node when no kind is given.
const POD_VERBS: &[&str] = &["logs", "exec", "attach", "port-forward", "debug"];
const NODE_VERBS: &[&str] = &["cordon", "uncordon", "drain"];

/// The objects a kubectl command names; other programs name none that can be checked.
pub(crate) fn named_objects(command: &str) -> Vec<Named> {
    let words = shell_words(command);
    let mut words = words.iter().map(String::as_str);
    if !matches!(words.next(), Some("kubectl" | "k" | "oc")) {
        return Vec::new();
    }
    let mut namespace = None;
    let mut positional = Vec::new();
    while let Some(word) = words.next() {
        // The end of kubectl's arguments: a pipe, a redirection, or `--` before the command
        // `exec` runs.
        if matches!(word, "|" | "||" | "&&" | ";" | ">" | "2>&1" | "--") {
            break;
        }
        if let Some(flag) = word.strip_prefix('-').filter(|f| !f.is_empty()) {
            let (name, value) = match word.split_once('=') {
                Some((name, value)) => (name, Some(value.to_owned())),
                None => (word, None),
            };
            let value = match value {
                Some(value) => Some(value),
                None if VALUE_FLAGS.contains(&name) => words.next().map(str::to_owned),
                // `-nshop`, kubectl's glued short form.
                None if flag.len() > 1 && flag.starts_with('n') && !flag.starts_with('-') => {
                    Some(flag[1..].to_owned())
                }
                None => None,
            };
            if matches!(name, "-n" | "--namespace") || (name.starts_with("-n") && value.is_some()) {
                namespace = value.filter(|v| plain(v));
            }
            continue;
        }
        positional.push(word);
    }
    objects_of(&positional, namespace.as_deref())
}

fn objects_of(positional: &[&str], namespace: Option<&str>) -> Vec<Named> {
    let Some((&verb, mut args)) = positional.split_first() else {
        return Vec::new();
    };
    if NO_OBJECTS.contains(&verb) {
        return Vec::new();
    }
    if TWO_WORDS.contains(&verb) {
        args = args.get(1..).unwrap_or_default();
    }
    let object = |kind: &str, name: &str| {
        let kind = resolve_kind(kind)?;
        plain(name).then(|| Named {
            kind: kind.kind,
            namespaced: kind.namespaced,
            namespace: namespace.map(str::to_owned),
            name: name.to_owned(),
        })
    };
    let slashed: Vec<Named> = args
        .iter()
        .filter_map(|a| a.split_once('/'))
        .filter_map(|(kind, name)| object(kind, name))
        .collect();
    if !slashed.is_empty() {
        return slashed;
    }
    // A `/` in a value (`nvidia.com/gpu=present:NoSchedule`) is not a kind.
    let args: Vec<&str> = args.iter().copied().filter(|a| !a.contains('/')).collect();
    let default_kind = if POD_VERBS.contains(&verb) {
        Some("pod")
    } else if NODE_VERBS.contains(&verb) {
        Some("node")
    } else {
        None
    };
    let (kind, names) = match default_kind {
        Some(kind) => (kind, args.get(..1).unwrap_or_default()),
        None => match args.split_first() {
            Some((kind, names)) if !kind.contains(',') => (*kind, names),
            _ => return Vec::new(),
        },
    };
    names.iter().filter_map(|name| object(kind, name)).collect()
}

/// A name as written, not a placeholder (`<pod>`, `$POD`, `{name}`), a selector or a value.
fn plain(word: &str) -> bool {
    !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | ':'))
        && !word.ends_with(':')
        && !word.contains(':')
}

/// Words as a shell splits them, quotes removed (no expansion).
fn shell_words(command: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quote = None;
    let mut started = false;
    for c in command.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (None, '\'' | '"') => {
                quote = Some(c);
                started = true;
            }
            (None, c) if c.is_whitespace() => {
                if started || !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
                started = false;
            }
            (_, c) => word.push(c),
        }
    }
    if started || !word.is_empty() {
        words.push(word);
    }
    words
}

/// Whether the issue names the object: as one of its objects or chain links, or in its
/// message (a missing Secret the message quotes).
fn in_issue(named: &Named, issue: &Issue) -> bool {
    let matches = |o: &ObjectRef| {
        o.kind == named.kind
            && o.name == named.name
            && (named.namespace.is_none() || o.namespace == named.namespace || !named.namespaced)
    };
    let objects = std::iter::once(&issue.root)
        .chain(&issue.objects)
        .chain(&issue.related)
        .chain(issue.chain.iter().map(|l| &l.object));
    if objects.clone().any(matches) {
        return true;
    }
    let quoted = |text: &str| word_in(text, &named.name);
    quoted(&issue.message)
        || issue.chain.iter().any(|l| quoted(&l.problem))
        || issue.fix.as_deref().is_some_and(quoted)
}

/// Whether the snapshot holds the object, or could not have seen it.
fn in_snapshot(named: &Named, snapshot: &Snapshot) -> bool {
    let namespace = named.namespace.as_deref().filter(|_| named.namespaced);
    if !snapshot.listed(named.kind, namespace) {
        return true;
    }
    if named.namespaced && namespace.is_none() {
        return snapshot
            .names_of(named.kind)
            .iter()
            .any(|(_, name)| *name == named.name);
    }
    snapshot.contains(&ObjectRef::new(
        "",
        named.kind,
        namespace,
        named.name.as_str(),
    ))
}

/// Whether `name` is a word of its own in `text` (not inside `cartridge` for `cart`).
fn word_in(text: &str, name: &str) -> bool {
    let glued = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '-');
    text.match_indices(name).any(|(i, _)| {
        !glued(text[..i].chars().next_back()) && !glued(text[i + name.len()..].chars().next())
    })
}

#[cfg(test)]
#[path = "grounding_tests.rs"]
mod tests;
