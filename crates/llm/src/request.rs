//! What a backend sends: messages whose content is a [`Scrubbed`] value and nothing else. There
//! is no way to put a `String` into a message, so text from a cluster that has not been through
//! the anonymizer cannot reach a backend: forgetting to scrub does not compile.

use kubewhy_scrub::{Policy, Scrubbed};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// Who says a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Instructions: kubewhy's system prompt.
    System,
    /// The question: an issue, a follow-up.
    User,
    /// An earlier answer, in a conversation.
    Assistant,
}

impl Role {
    /// The wire name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Role::System => "system",
            Role::User => "user",
            Role::Assistant => "assistant",
        }
    }
}

/// One message of a chat.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    role: Role,
    content: Scrubbed,
}

impl Message {
    /// A system message.
    #[must_use]
    pub fn system(content: Scrubbed) -> Self {
        Self {
            role: Role::System,
            content,
        }
    }

    /// A user message.
    #[must_use]
    pub fn user(content: Scrubbed) -> Self {
        Self {
            role: Role::User,
            content,
        }
    }

    /// An earlier answer of the model, scrubbed again before it is sent back.
    #[must_use]
    pub fn assistant(content: Scrubbed) -> Self {
        Self {
            role: Role::Assistant,
            content,
        }
    }

    /// Who says it.
    #[must_use]
    pub fn role(&self) -> Role {
        self.role
    }

    /// What it says.
    #[must_use]
    pub fn content(&self) -> &Scrubbed {
        &self.content
    }
}

/// The form of the answer asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum AnswerFormat {
    /// Free text.
    #[default]
    Text,
    /// A JSON object: backends that can constrain the output (OpenAI's `response_format`,
    /// Ollama's `format`, llama.cpp's grammar) are asked to.
    Json,
}

/// A chat request. Its messages hold only scrubbed text.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatRequest {
    messages: Vec<Message>,
    /// The most tokens the answer may take (`--max-tokens`).
    pub max_tokens: Option<u32>,
    /// Text or JSON.
    pub format: AnswerFormat,
    /// Sampling temperature; `None` leaves the server's default. Ignored for models that
    /// refuse it (OpenAI's reasoning models).
    pub temperature: Option<f32>,
    /// Stream the answer (the default) or wait for all of it (`--no-stream`).
    pub stream: bool,
}

impl ChatRequest {
    /// A streamed request for free text.
    #[must_use]
    pub fn new(messages: Vec<Message>) -> Self {
        Self {
            messages,
            max_tokens: None,
            format: AnswerFormat::Text,
            temperature: Some(0.2),
            stream: true,
        }
    }

    /// Caps the answer's tokens.
    #[must_use]
    pub fn with_max_tokens(mut self, max_tokens: u32) -> Self {
        self.max_tokens = Some(max_tokens);
        self
    }

    /// Asks for a JSON object.
    #[must_use]
    pub fn json(mut self) -> Self {
        self.format = AnswerFormat::Json;
        self
    }

    /// Waits for the whole answer instead of streaming it.
    #[must_use]
    pub fn without_stream(mut self) -> Self {
        self.stream = false;
        self
    }

    /// The messages.
    #[must_use]
    pub fn messages(&self) -> &[Message] {
        &self.messages
    }

    /// The weakest scrubbing policy among the messages: `RedactSecrets` when any message kept
    /// real names.
    #[must_use]
    pub fn weakest_policy(&self) -> Policy {
        if self
            .messages
            .iter()
            .any(|m| m.content.policy() == Policy::RedactSecrets)
        {
            Policy::RedactSecrets
        } else {
            Policy::Pseudonymize
        }
    }

    /// The bytes of text sent, over all messages.
    #[must_use]
    pub fn text_len(&self) -> usize {
        self.messages.iter().map(|m| m.content.len()).sum()
    }

    /// A SHA-256 over what decides the answer: roles, contents, the answer cap and format.
    /// Sampling settings are left out so that they do not split the cache.
    #[must_use]
    pub fn digest(&self) -> [u8; 32] {
        let mut hash = Sha256::new();
        for message in &self.messages {
            hash.update(message.role.as_str().as_bytes());
            hash.update([0]);
            hash.update((message.content.len() as u64).to_le_bytes());
            hash.update(message.content.as_str().as_bytes());
        }
        hash.update(self.max_tokens.unwrap_or(0).to_le_bytes());
        hash.update([u8::from(self.format == AnswerFormat::Json)]);
        hash.finalize().into()
    }
}
