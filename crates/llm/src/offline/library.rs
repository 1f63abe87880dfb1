//! The signature library: known failure texts (log lines, container states, events, messages)
//! and what each one means, kept as data in `signatures/` (one TOML file per group of families) and compiled once.
//!
//! A pattern is a case-insensitive substring, or with the prefix `re:` a case-insensitive
//! regular expression whose named groups (`(?P<host>...)`) become placeholders of the
//! signature's templates.

use std::sync::OnceLock;

use regex::{Regex, RegexBuilder};
use serde::Deserialize;

/// The library's files, embedded at build time, in the order that breaks priority ties.
pub(crate) const SOURCES: [(&str, &str); 4] = [
    (
        "network.toml",
        include_str!("../../signatures/network.toml"),
    ),
    (
        "process.toml",
        include_str!("../../signatures/process.toml"),
    ),
    (
        "workload.toml",
        include_str!("../../signatures/workload.toml"),
    ),
    (
        "cluster.toml",
        include_str!("../../signatures/cluster.toml"),
    ),
];

/// Why the signature library could not be loaded.
#[derive(Debug, Clone, thiserror::Error)]
pub enum LibraryError {
    /// A TOML file does not parse or does not have the expected fields.
    #[error("signatures/{file} does not parse: {source}")]
    Parse {
        /// The file's name.
        file: String,
        /// What the TOML parser said.
        #[source]
        source: toml::de::Error,
    },
    /// A signature's pattern is not a valid regular expression.
    #[error("signature {id}: pattern `{pattern}` is not a valid regular expression")]
    Pattern {
        /// The signature's id.
        id: String,
        /// The pattern as written.
        pattern: String,
        /// What the regex parser said.
        #[source]
        source: regex::Error,
    },
}

/// Where a line of evidence comes from; a signature may restrict itself to some of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// A container's state message or termination.
    State,
    /// A Kubernetes event.
    Event,
    /// A container log line.
    Log,
    /// The issue's own message.
    Message,
    /// A status condition's message.
    Condition,
    /// The evidence of a causal chain link.
    Chain,
}

/// A command of a fix, and whether it changes the cluster.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommandSpec {
    /// The command, with placeholders.
    pub run: String,
    /// True when it changes the cluster (patch, delete, set, rollout); false for read-only.
    #[serde(default)]
    pub changing: bool,
}

/// One signature as written in the data file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignatureSpec {
    /// A stable id, `family.name`.
    pub id: String,
    /// The family (network, tls, memory, ...), for tests and reports.
    pub family: String,
    /// Higher wins when several signatures match one issue.
    #[serde(default = "default_priority")]
    pub priority: i32,
    /// The cause, named in a few words, with placeholders.
    pub title: String,
    /// Substrings, or `re:` regular expressions.
    pub patterns: Vec<String>,
    /// Where to look; empty means everywhere.
    #[serde(default)]
    pub sources: Vec<Source>,
    /// What the matched text means.
    pub explanation: String,
    /// The most likely cause.
    pub cause: String,
    /// Fix steps, in order.
    pub fix: Vec<String>,
    /// Commands for the fix.
    #[serde(default)]
    pub commands: Vec<CommandSpec>,
    /// How to check that the fix worked.
    pub verify: Vec<String>,
    /// `high`, `medium` or `low`.
    pub confidence: super::Confidence,
}

fn default_priority() -> i32 {
    50
}

#[derive(Deserialize)]
struct File {
    signature: Vec<SignatureSpec>,
}

/// A signature with its patterns compiled.
#[derive(Debug)]
pub struct Signature {
    /// The signature as written.
    pub spec: SignatureSpec,
    /// The patterns, in order.
    pub patterns: Vec<Regex>,
}

impl Signature {
    /// Whether the signature looks at lines from `source`.
    pub fn watches(&self, source: Source) -> bool {
        self.spec.sources.is_empty() || self.spec.sources.contains(&source)
    }
}

/// Parses and compiles one file of a library.
pub fn parse(file: &str, text: &str) -> Result<Vec<Signature>, LibraryError> {
    let file: File = toml::from_str(text).map_err(|source| LibraryError::Parse {
        file: file.to_owned(),
        source,
    })?;
    file.signature
        .into_iter()
        .map(|spec| {
            let patterns = spec
                .patterns
                .iter()
                .map(|pattern| compile(pattern).map_err(|source| (pattern.clone(), source)))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|(pattern, source)| LibraryError::Pattern {
                    id: spec.id.clone(),
                    pattern,
                    source,
                })?;
            Ok(Signature { spec, patterns })
        })
        .collect()
}

fn compile(pattern: &str) -> Result<Regex, regex::Error> {
    let expression = match pattern.strip_prefix("re:") {
        Some(expression) => expression.to_owned(),
        None => regex::escape(pattern),
    };
    RegexBuilder::new(&expression)
        .case_insensitive(true)
        .size_limit(1 << 20)
        .build()
}

/// The embedded library, compiled once.
pub fn library() -> Result<&'static [Signature], &'static LibraryError> {
    static LIBRARY: OnceLock<Result<Vec<Signature>, LibraryError>> = OnceLock::new();
    LIBRARY
        .get_or_init(|| {
            let mut all = Vec::new();
            for (file, text) in SOURCES {
                all.extend(parse(file, text)?);
            }
            Ok(all)
        })
        .as_ref()
        .map(Vec::as_slice)
}
