//! The seam between the TUI and an LLM backend. The TUI asks for an explanation, a chat answer
//! or a payload preview with an [`LlmRequest`], and reads [`LlmEvent`]s back from a stream that
//! a task forwards over the runtime's channel: the newest request wins, and dropping a stream
//! cancels it. Until a backend is configured, [`catalog_explanation`] is what the explanation
//! pane shows.

use futures::stream::BoxStream;
use kubewhy_engine::Engine;
use kubewhy_model::Issue;

/// What to ask the backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LlmRequest {
    /// Explain the issue; `fresh` skips the cache (`r`).
    Explain {
        /// The issue, as the TUI shows it (the backend scrubs it before anything leaves).
        issue: Box<Issue>,
        /// True to skip the cache.
        fresh: bool,
    },
    /// A follow-up question about the issue, with the conversation so far.
    Chat {
        /// The issue the conversation is about.
        issue: Box<Issue>,
        /// The turns so far, oldest first, without the new question.
        history: Vec<ChatTurn>,
        /// The new question.
        question: String,
        /// The explanation the user read, when there is one.
        explanation: Option<String>,
    },
    /// What would be sent for an explanation of the issue: the scrubbed payload (`P`).
    Preview {
        /// The issue.
        issue: Box<Issue>,
    },
}

/// One turn of a follow-up chat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatTurn {
    /// Who said it.
    pub role: ChatRole,
    /// What was said (unscrubbed, as the user reads it).
    pub text: String,
}

/// Who said a chat turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChatRole {
    /// The user.
    User,
    /// The backend.
    Assistant,
}

/// What the backend reports about a request, in order: `Token`s, then the whole `Text` (names
/// restored, replacing the tokens), then `Done` or `Failed`; a preview answers with one
/// `Payload`.
#[derive(Debug, Clone, PartialEq)]
pub enum LlmEvent {
    /// A piece of the answer, to append.
    Token(String),
    /// The whole answer (or, before `Failed`, the offline explanation), replacing the pieces.
    Text(String),
    /// The answer is complete.
    Done(AnswerMeta),
    /// The backend failed; the pane shows why, and the offline explanation.
    Failed(String),
    /// The scrubbed payload a request would send.
    Payload(String),
}

/// What the explanation pane's title says about an answer.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AnswerMeta {
    /// Prompt tokens.
    pub tokens_in: u32,
    /// Completion tokens.
    pub tokens_out: u32,
    /// Time from the request to the last token, in milliseconds.
    pub latency_ms: u64,
    /// What the answer cost, in US dollars, when the profile has a price.
    pub cost: Option<f64>,
    /// True when the answer came from the cache.
    pub cached: bool,
    /// True when the offline explainer answered: nothing was sent.
    pub offline: bool,
}

/// A backend the TUI can ask. Implementations scrub every issue and message before sending
/// and unscrub answers; the TUI never sees a scrubbed value.
pub trait Assistant: Send + Sync {
    /// The backend's name, for the header (`openai`, `ollama`).
    fn backend(&self) -> &str;
    /// The model, for the header.
    fn model(&self) -> &str;
    /// Starts a request. The stream ends after `Done`, `Failed` or `Payload`; dropping it
    /// cancels the request.
    fn request(&self, request: LlmRequest) -> BoxStream<'static, LlmEvent>;
    /// The source is open (again, after `:ctx`): the issues asked about come from it.
    fn attach(&self, _engine: &Engine) {}
}

/// The note shown when an LLM action is asked for with no backend.
pub const NO_BACKEND: &str = "no LLM backend configured; showing the catalog explanation";

/// The catalog's "How to fix" section for a check, as the offline explanation.
#[must_use]
pub fn catalog_explanation(check: &str) -> Option<String> {
    let doc = kubewhy_analyzers::check(check)?.doc;
    section(doc, "How to fix").map(str::to_owned)
}

/// The body of a `## title` section of a Markdown document, trimmed.
fn section<'a>(doc: &'a str, title: &str) -> Option<&'a str> {
    let heading = format!("## {title}");
    let start = doc
        .match_indices(&heading)
        .find(|(i, _)| *i == 0 || doc[..*i].ends_with('\n'))
        .map(|(i, _)| i + heading.len())?;
    let body = &doc[start..];
    let end = body.find("\n## ").unwrap_or(body.len());
    Some(body[..end].trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_offline_explanation_is_the_catalog_fix_section() {
        let text = catalog_explanation("pod-crash-looping").expect("a catalog entry");
        assert!(
            text.contains("kubectl logs POD -c CONTAINER --previous"),
            "{text}"
        );
        assert!(!text.contains("## References"), "{text}");
        assert!(!text.contains("## How to fix"), "{text}");
        assert_eq!(catalog_explanation("no-such-check"), None);
    }

    #[test]
    fn sections_end_at_the_next_heading() {
        let doc = "## A\n\none\n\n## How to fix\n\ntwo\n\n## B\nthree";
        assert_eq!(section(doc, "How to fix"), Some("two"));
        assert_eq!(section(doc, "B"), Some("three"));
        assert_eq!(section(doc, "C"), None);
    }
}
