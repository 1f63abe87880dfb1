//! The two scrubbing policies: what is replaced, and for whom.

use std::fmt;

use serde::{Deserialize, Serialize};

/// What a scrubber replaces. No policy lets a detected secret through.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Policy {
    /// Names, addresses and secrets: everything that identifies the cluster or its owner. For LLM
    /// backends and MCP clients.
    #[default]
    Pseudonymize,
    /// Secrets only (credentials, tokens, keys, high-entropy values, env values whose names look
    /// secret); names and addresses stay. For the team's own channels.
    RedactSecrets,
}

impl Policy {
    /// Whether names and addresses are replaced too.
    #[must_use]
    pub fn replaces_names(self) -> bool {
        self == Policy::Pseudonymize
    }

    /// Whether a part scrubbed under `part` may go into a message for `self`: a stricter part
    /// may go anywhere, a weaker one only into a message as weak.
    #[must_use]
    pub fn accepts(self, part: Policy) -> bool {
        part == Policy::Pseudonymize || self == Policy::RedactSecrets
    }
}

impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Policy::Pseudonymize => "an LLM (names, addresses and secrets replaced)",
            Policy::RedactSecrets => "the team's channels (secrets replaced, names kept)",
        })
    }
}
