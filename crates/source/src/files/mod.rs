//! The file source: manifests, `kubectl get -o json|yaml` output, the folders written by
//! `kubectl cluster-info dump --output-directory` (pod logs included), troubleshoot support
//! bundles, sonobuoy results and OpenShift must-gathers, as folders or as the archives
//! themselves (`.tar.gz`, `.tgz`, `.tar`, `.gz`).
//!
//! Reading never stops at the first bad document: every problem is collected with its
//! `file:line` (`archive#member:line` inside archives), and everything that could be read is
//! kept. What is left out on purpose (companion files, Helm charts) and what was guessed (the
//! kind of objects written without one) is said in info lines.

mod archive;
mod gather;
mod infer;
mod inferred;
mod layout;
mod legacy;
mod logs;
mod parse;

use std::{
    fmt,
    path::{Path, PathBuf},
};

use kubewhy_model::Warning;

use crate::{Reporter, Snapshot, SourceEvent};

pub use parse::{parse, parse_with};

/// One text input: a file's display name and its content.
#[derive(Debug, Clone)]
pub struct Input {
    /// The path as the user gave it (or `<stdin>`), used in error messages.
    pub name: String,
    /// The content.
    pub text: String,
}

/// A problem with one input, at one place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    /// `file:line` (`archive#member:line` inside an archive), or just the file when the whole
    /// file is the problem.
    pub location: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

impl std::error::Error for InputError {}

/// What reading files produced: the snapshot of everything readable, and what was not.
#[derive(Debug, Default)]
pub struct Loaded {
    /// The objects and logs read.
    pub snapshot: Snapshot,
    /// Every problem met, in input order.
    pub errors: Vec<InputError>,
    /// What was done with the input besides reading it, as info lines: companion files and
    /// Helm charts skipped, kinds inferred.
    pub notes: Vec<Warning>,
    /// Where namespaced objects written without a namespace go (`-n`).
    pub(crate) namespace: Option<String>,
}

/// Reads files, folders (recursively, in name order), archives and `-` for stdin, then parses
/// them.
#[must_use]
pub fn load(paths: &[PathBuf]) -> Loaded {
    load_with(paths, None, &Reporter::default())
}

/// [`load`], reporting progress and errors as it goes and stopping early when cancelled. It
/// blocks: run it off the async runtime's workers. Namespaced objects written without a
/// namespace are put in `namespace` when one is given (`-n`), as `kubectl apply -n` would;
/// without one they stay unset, which every check reads as `default`.
#[must_use]
pub fn load_with(paths: &[PathBuf], namespace: Option<&str>, reporter: &Reporter) -> Loaded {
    let mut gathered = gather::Gathered::default();
    for path in paths {
        if reporter.is_cancelled() {
            break;
        }
        gather::gather(path, &mut gathered);
    }
    for error in &gathered.errors {
        reporter.send(SourceEvent::InputError(error.clone()));
    }
    for note in &gathered.notes {
        reporter.send(SourceEvent::Warning(note.clone()));
    }
    let mut loaded = Loaded {
        errors: gathered.errors,
        notes: gathered.notes,
        namespace: namespace.map(str::to_owned),
        ..Loaded::default()
    };
    for (target, text) in gathered.logs {
        loaded.snapshot.logs.insert(target, text);
    }
    loaded.snapshot.cluster_version = gathered.version;
    parse::parse_texts(&gathered.texts, &mut loaded, reporter);
    loaded
}

/// Files a folder walk picks up: what `kubectl apply -f DIR` reads, plus dump logs.
pub(crate) fn wanted(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    matches!(ext, "yaml" | "yml" | "json") || logs::is_log_file(name)
}
