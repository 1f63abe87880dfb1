//! The offline explainer: the default, with no LLM, no network and no key. It explains an
//! issue from its catalog entry and its own evidence, through a library of failure signatures
//! kept as data (`signatures/`): the line that matched is quoted, the cause named, and the fix
//! and its verification given as commands filled in with the issue's objects. With no match it
//! falls back to the catalog's "What it means" and "How to fix" text plus the evidence.
//!
//! [`explain`] is deterministic and does no I/O.

mod library;
mod lines;
mod matcher;
mod render;
mod template;

#[cfg(test)]
mod demo_issues;
#[cfg(test)]
mod demo_tests;
#[cfg(test)]
mod tests;

use kubewhy_model::Issue;
use serde::{Deserialize, Serialize};

pub use library::LibraryError;

/// The backend name an offline explanation carries in `kubewhy_model::Explanation`.
pub const BACKEND: &str = "offline";

/// How sure the explanation is of its cause.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    /// A guess from the catalog alone.
    Low,
    /// A signature matched, but the text has more than one usual cause.
    Medium,
    /// A signature matched text that has one usual cause.
    High,
}

/// A command of a fix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Command {
    /// The command line, filled in with the issue's objects.
    pub command: String,
    /// True when it only reads; false when it changes the cluster.
    pub read_only: bool,
}

/// The structured parts of an explanation, the same fields an LLM is asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Structured {
    /// What is wrong, in one sentence.
    pub summary: String,
    /// The most likely cause.
    pub root_cause: String,
    /// The evidence lines that support it, each with where it was seen.
    pub evidence: Vec<String>,
    /// Fix steps, in order.
    pub fix: Vec<String>,
    /// Commands, each marked read-only or changing.
    pub commands: Vec<Command>,
    /// How to check that the fix worked.
    pub verify: Vec<String>,
    /// How sure it is.
    pub confidence: Confidence,
}

impl From<Confidence> for kubewhy_model::Confidence {
    fn from(confidence: Confidence) -> Self {
        match confidence {
            Confidence::Low => Self::Low,
            Confidence::Medium => Self::Medium,
            Confidence::High => Self::High,
        }
    }
}

impl Structured {
    /// The same parts in the shape of an LLM's structured answer, for the explanation a report
    /// carries.
    #[must_use]
    pub fn to_answer(&self) -> kubewhy_model::StructuredAnswer {
        kubewhy_model::StructuredAnswer {
            summary: self.summary.clone(),
            root_cause: self.root_cause.clone(),
            evidence: self.evidence.clone(),
            fix: self.fix.clone(),
            commands: self
                .commands
                .iter()
                .map(|c| kubewhy_model::SuggestedCommand {
                    command: c.command.clone(),
                    changes: !c.read_only,
                })
                .collect(),
            verify: self.verify.clone(),
            confidence: Some(self.confidence.into()),
        }
    }
}

/// An offline explanation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OfflineExplanation {
    /// Plain prose for the terminal.
    pub text: String,
    /// The structured parts.
    pub structured: Structured,
    /// The ids of the signatures that matched, the one that names the cause first; empty when
    /// the catalog alone explains the issue.
    pub signatures: Vec<String>,
}

/// Explains `issue` from the catalog and the signature library.
#[must_use]
pub fn explain(issue: &Issue) -> OfflineExplanation {
    let lines = lines::collect(issue);
    let matches = match library::library() {
        Ok(signatures) => matcher::find(signatures, &lines),
        Err(e) => {
            // Cannot happen with the embedded library (a test parses it); explain anyway.
            tracing::error!("{e}");
            Vec::new()
        }
    };
    let (structured, meaning) = render::build(issue, &lines, &matches);
    OfflineExplanation {
        text: render::text(issue, &structured, &meaning),
        structured,
        signatures: matches
            .iter()
            .map(|m| m.signature.spec.id.clone())
            .collect(),
    }
}

/// Checks the embedded signature library: it parses, its patterns compile and its templates
/// use only known placeholders. Returns the problems found, empty when there are none.
#[must_use]
pub fn check_library() -> Vec<String> {
    match library::library() {
        Ok(signatures) => matcher::template_problems(signatures),
        Err(e) => vec![e.to_string()],
    }
}
