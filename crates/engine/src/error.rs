//! What can stop a run before it has anything to show.

use std::fmt::Write as _;

use kubewhy_model::ObjectRef;

/// A source that could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The cluster could not be used (kubeconfig, credentials, unreachable server).
    #[error(transparent)]
    Live(#[from] kubewhy_source::live::LiveError),
    /// The demo's simulator could not start.
    #[error("cannot start the demo cluster: {0}")]
    Demo(#[source] kubewhy_sim::SimError),
    /// Several contexts were given to something that reads one cluster at a time (the TUI, a
    /// source opened once); `Engine::start` reads several.
    #[error(
        "several contexts were given ({}); this reads one cluster at a time: pick one with --context",
        .0.join(", ")
    )]
    SeveralContexts(Vec<String>),
}

/// Why a run ended without a report.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// See [`OpenError`].
    #[error(transparent)]
    Open(Box<OpenError>),
    /// The object asked about (`kubewhy explain`) is not in the cluster.
    #[error("{}", not_found_message(.object, .suggestions))]
    NotFound {
        /// The object asked for, its kind resolved.
        object: Box<ObjectRef>,
        /// The closest names that do exist, as `kind/name`.
        suggestions: Vec<String>,
    },
    /// The secret detectors that clean the run's output cannot run (a bad `[scrub]` pattern):
    /// nothing is shown rather than something unchecked.
    #[error("cannot check the output for secrets: {0}")]
    Redact(kubewhy_scrub::ScrubError),
    /// The run was cancelled before it had a report.
    #[error("the run was cancelled")]
    Cancelled,
    /// The kind asked about is not one kubewhy knows.
    #[error(
        "unknown kind `{0}`; use a kind as kubectl names it (pod, deploy, deployments.apps, ...)"
    )]
    UnknownKind(String),
}

fn not_found_message(object: &ObjectRef, suggestions: &[String]) -> String {
    let kind = object.kind.to_ascii_lowercase();
    let mut message = match &object.namespace {
        Some(ns) => format!("{kind} {} not found in namespace {ns}", object.name),
        None => format!("{kind} {} not found", object.name),
    };
    match suggestions {
        [] => {}
        [one] => {
            let _ = write!(message, "; did you mean {one}?");
        }
        many => {
            let _ = write!(message, "; did you mean one of {}?", many.join(", "));
        }
    }
    message
}

impl From<OpenError> for RunError {
    fn from(error: OpenError) -> Self {
        Self::Open(Box::new(error))
    }
}
