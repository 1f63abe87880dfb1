//! The file source: manifests, `kubectl get -o json|yaml` output, and the folders written by
//! `kubectl cluster-info dump --output-directory`, pod logs included.
//!
//! Reading never stops at the first bad document: every problem is collected with its
//! `file:line`, and everything that could be read is kept.

mod logs;
mod parse;

use std::{
    fmt,
    io::Read,
    path::{Path, PathBuf},
};

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
    /// `file:line`, or just `file` when the whole file is the problem.
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
}

/// Reads files, folders (recursively, in name order) and `-` for stdin, then parses them.
#[must_use]
pub fn load(paths: &[PathBuf]) -> Loaded {
    load_with(paths, &Reporter::default())
}

/// [`load`], reporting progress and errors as it goes and stopping early when cancelled. It
/// blocks: run it off the async runtime's workers.
#[must_use]
pub fn load_with(paths: &[PathBuf], reporter: &Reporter) -> Loaded {
    let mut inputs = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        if path.as_os_str() == "-" {
            let mut text = String::new();
            match std::io::stdin().read_to_string(&mut text) {
                Ok(_) => inputs.push(Input {
                    name: "<stdin>".into(),
                    text,
                }),
                Err(e) => errors.push(io_error(Path::new("<stdin>"), &e)),
            }
        } else {
            collect(path, true, &mut inputs, &mut errors);
        }
    }
    for error in &errors {
        reporter.send(SourceEvent::InputError(error.clone()));
    }
    let mut loaded = parse_with(inputs, reporter);
    errors.append(&mut loaded.errors);
    loaded.errors = errors;
    loaded
}

/// Files a folder walk picks up: what `kubectl apply -f DIR` reads, plus dump logs.
pub(crate) fn wanted(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    matches!(ext, "yaml" | "yml" | "json") || logs::is_log_file(name)
}

fn collect(path: &Path, explicit: bool, inputs: &mut Vec<Input>, errors: &mut Vec<InputError>) {
    let hidden = path
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with('.') && n.len() > 1 && n != "..");
    if hidden && !explicit {
        return;
    }
    if path.is_dir() {
        let entries = match std::fs::read_dir(path) {
            Ok(entries) => entries,
            Err(e) => return errors.push(io_error(path, &e)),
        };
        let mut children: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        children.sort();
        for child in children {
            collect(&child, false, inputs, errors);
        }
    } else if explicit || wanted(path) {
        match std::fs::read(path) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => inputs.push(Input {
                    name: path.display().to_string(),
                    text,
                }),
                Err(_) => errors.push(InputError {
                    location: path.display().to_string(),
                    message: "not UTF-8 text; expected YAML, JSON or a pod log".into(),
                }),
            },
            Err(e) => errors.push(io_error(path, &e)),
        }
    }
}

fn io_error(path: &Path, error: &std::io::Error) -> InputError {
    let message = match error.kind() {
        std::io::ErrorKind::NotFound => "no such file or folder".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        _ => error.to_string(),
    };
    InputError {
        location: path.display().to_string(),
        message,
    }
}
