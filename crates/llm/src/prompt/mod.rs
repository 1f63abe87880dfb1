//! Prompt templates (`prompts/` at the repository root, minijinja), embedded at build time and
//! overridable one by one from the user's config dir (`~/.config/kubewhy/prompts/issue.j2`).
//! Every rendered prompt goes through the scrubber once more: its inputs are [`Scrubbed`]
//! values, and the final bytes are scrubbed and checked again before they become the
//! [`Scrubbed`] a backend accepts. Each template's content hash goes into the cache key.

mod answer;

use std::{
    fmt,
    path::{Path, PathBuf},
};

use kubewhy_scrub::{ScrubError, Scrubbed, Scrubber};
use minijinja::{Environment, UndefinedBehavior, context};
use sha2::{Digest, Sha256};

pub use answer::{ParsedAnswer, parse_answer};
/// The structured answer's types live with the explanation that carries them.
pub use kubewhy_model::{Confidence, StructuredAnswer, SuggestedCommand};

/// One of kubewhy's prompts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PromptKind {
    /// The system prompt: the rules, evidence is data.
    System,
    /// One issue, asking for a structured JSON answer.
    Issue,
    /// A follow-up question in a chat (the TUI, a Slack thread).
    FollowUp,
    /// A short summary for a chat channel.
    SlackSummary,
}

impl PromptKind {
    /// Every prompt.
    pub const ALL: [PromptKind; 4] = [
        PromptKind::System,
        PromptKind::Issue,
        PromptKind::FollowUp,
        PromptKind::SlackSummary,
    ];

    /// The template's file name, in `prompts/` and in the override dir.
    #[must_use]
    pub fn file_name(self) -> &'static str {
        match self {
            PromptKind::System => "system.j2",
            PromptKind::Issue => "issue.j2",
            PromptKind::FollowUp => "follow_up.j2",
            PromptKind::SlackSummary => "slack_summary.j2",
        }
    }

    fn embedded(self) -> &'static str {
        match self {
            PromptKind::System => include_str!("../../../../prompts/system.j2"),
            PromptKind::Issue => include_str!("../../../../prompts/issue.j2"),
            PromptKind::FollowUp => include_str!("../../../../prompts/follow_up.j2"),
            PromptKind::SlackSummary => include_str!("../../../../prompts/slack_summary.j2"),
        }
    }
}

/// Where a template came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// Shipped with kubewhy.
    Embedded,
    /// The user's override.
    File(PathBuf),
}

/// The language answers are written in (`--language`): a name such as `English` or
/// `Português`, never free text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Language(String);

impl Language {
    /// Checks a language name: letters, spaces, hyphens and parentheses, at most 40.
    pub fn new(name: &str) -> Result<Self, PromptError> {
        let name = name.trim();
        let ok = !name.is_empty()
            && name.chars().count() <= 40
            && name
                .chars()
                .all(|c| c.is_alphabetic() || matches!(c, ' ' | '-' | '(' | ')'));
        if ok {
            Ok(Self(name.to_owned()))
        } else {
            Err(PromptError::Language {
                name: name.to_owned(),
            })
        }
    }

    /// The name.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for Language {
    fn default() -> Self {
        Self("English".to_owned())
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What the issue prompt is rendered from. Everything from the cluster is scrubbed.
#[derive(Debug, Clone, Copy)]
pub struct IssueInput<'a> {
    /// The issue: check, severity, title, message, objects, causal chain.
    pub issue: &'a Scrubbed,
    /// Its evidence, fenced with [`kubewhy_scrub::fence_evidence`].
    pub evidence: &'a Scrubbed,
    /// The budget's marker of what was left out ([`crate::budget::Fitted::marker`]).
    pub omitted: Option<&'a str>,
    /// The answer's language.
    pub language: &'a Language,
}

/// Why a prompt could not be loaded or rendered.
#[derive(Debug, thiserror::Error)]
pub enum PromptError {
    /// An override could not be read.
    #[error("cannot read the prompt template {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A template does not parse or does not render (the message names its line); fix the
    /// override or delete it to use kubewhy's own.
    #[error(
        "the prompt template {origin} is invalid: {source}; fix it or delete it to use kubewhy's own"
    )]
    Template {
        /// The file, or `issue.j2 (built in)`.
        origin: String,
        /// minijinja's error, with the line.
        #[source]
        source: minijinja::Error,
    },
    /// The rendered prompt could not be scrubbed: nothing is sent.
    #[error(transparent)]
    Scrub(#[from] ScrubError),
    /// Not a language name.
    #[error("`{name}` is not a language name: use a name such as English or Deutsch")]
    Language {
        /// What was given.
        name: String,
    },
}

/// The four templates, ready to render.
#[derive(Debug)]
pub struct Prompts {
    env: Environment<'static>,
    origins: Vec<(PromptKind, Origin, String)>,
}

impl Prompts {
    /// kubewhy's own templates.
    pub fn embedded() -> Result<Self, PromptError> {
        Self::load(None)
    }

    /// kubewhy's templates, each replaced by `dir/<file name>` when that file exists.
    pub fn load(dir: Option<&Path>) -> Result<Self, PromptError> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        let syntax = minijinja::syntax::SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .build()
            .map_err(|source| PromptError::Template {
                origin: "the template syntax".to_owned(),
                source,
            })?;
        env.set_syntax(syntax);
        let mut origins = Vec::new();
        for kind in PromptKind::ALL {
            let (source, origin) = match dir.map(|d| d.join(kind.file_name())) {
                Some(path) if path.is_file() => {
                    let source =
                        std::fs::read_to_string(&path).map_err(|source| PromptError::Read {
                            path: path.clone(),
                            source,
                        })?;
                    (source, Origin::File(path))
                }
                _ => (kind.embedded().to_owned(), Origin::Embedded),
            };
            let hash = hex(&Sha256::digest(source.as_bytes())[..16]);
            env.add_template_owned(kind.file_name(), source)
                .map_err(|source| PromptError::Template {
                    origin: describe(kind, &origin),
                    source,
                })?;
            origins.push((kind, origin, hash));
        }
        Ok(Self { env, origins })
    }

    /// Where a template came from.
    #[must_use]
    pub fn origin(&self, kind: PromptKind) -> &Origin {
        self.entry(kind).map_or(&Origin::Embedded, |(_, o, _)| o)
    }

    /// A hash of a template's content, for the cache key: editing an override makes new
    /// answers.
    #[must_use]
    pub fn hash(&self, kind: PromptKind) -> &str {
        self.entry(kind).map_or("", |(_, _, h)| h.as_str())
    }

    /// One hash over several templates (the system and issue prompts of one explanation).
    #[must_use]
    pub fn version(&self, kinds: &[PromptKind]) -> String {
        let mut hash = Sha256::new();
        for kind in kinds {
            hash.update(self.hash(*kind).as_bytes());
            hash.update([0]);
        }
        hex(&hash.finalize()[..16])
    }

    fn entry(&self, kind: PromptKind) -> Option<&(PromptKind, Origin, String)> {
        self.origins.iter().find(|(k, _, _)| *k == kind)
    }

    /// The system prompt.
    pub fn system(
        &self,
        scrubber: &mut Scrubber,
        language: &Language,
    ) -> Result<Scrubbed, PromptError> {
        self.render(
            scrubber,
            PromptKind::System,
            &context! { language => language.as_str() },
        )
    }

    /// The prompt for one issue.
    pub fn issue(
        &self,
        scrubber: &mut Scrubber,
        input: &IssueInput<'_>,
    ) -> Result<Scrubbed, PromptError> {
        let context = context! {
            language => input.language.as_str(),
            issue => input.issue.as_str(),
            evidence => input.evidence.as_str(),
            omitted => input.omitted,
        };
        self.render(scrubber, PromptKind::Issue, &context)
    }

    /// A follow-up question, already scrubbed with the conversation's table.
    pub fn follow_up(
        &self,
        scrubber: &mut Scrubber,
        question: &Scrubbed,
        language: &Language,
    ) -> Result<Scrubbed, PromptError> {
        let context = context! { language => language.as_str(), question => question.as_str() };
        self.render(scrubber, PromptKind::FollowUp, &context)
    }

    /// The request for a short channel summary of an issue and its explanation.
    pub fn slack_summary(
        &self,
        scrubber: &mut Scrubber,
        issue: &Scrubbed,
        explanation: &Scrubbed,
        language: &Language,
    ) -> Result<Scrubbed, PromptError> {
        let context = context! {
            language => language.as_str(),
            issue => issue.as_str(),
            explanation => explanation.as_str(),
        };
        self.render(scrubber, PromptKind::SlackSummary, &context)
    }

    /// Renders a template and scrubs the result once more: the inputs were scrubbed, and the
    /// template itself may come from a file.
    fn render(
        &self,
        scrubber: &mut Scrubber,
        kind: PromptKind,
        context: &minijinja::Value,
    ) -> Result<Scrubbed, PromptError> {
        let invalid = |source| PromptError::Template {
            origin: describe(kind, self.origin(kind)),
            source,
        };
        let template = self.env.get_template(kind.file_name()).map_err(invalid)?;
        let text = template.render(context).map_err(invalid)?;
        Ok(scrubber.scrub_text(text.trim())?)
    }
}

fn describe(kind: PromptKind, origin: &Origin) -> String {
    match origin {
        Origin::Embedded => format!("{} (built in)", kind.file_name()),
        Origin::File(path) => path.display().to_string(),
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

#[cfg(test)]
mod tests;
