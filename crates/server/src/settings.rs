//! The server's part of the config file: `[slack]` access control and how each channel sees
//! names.
//!
//! ```toml
//! [slack]
//! allowed_channels = ["C0123"]
//! allowed_users = ["U0456"]
//! [slack.channels.C0123]
//! names = "pseudonyms"   # or "real" (the default): secrets are redacted either way
//! ```

use std::{collections::HashMap, path::Path};

use kubewhy_scrub::Policy;
use serde::Deserialize;

/// `[slack]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlackSettings {
    /// Channels that may use kubewhy; empty allows every channel the app is in.
    #[serde(default)]
    pub allowed_channels: Vec<String>,
    /// Users who may use kubewhy; empty allows everyone in an allowed channel.
    #[serde(default)]
    pub allowed_users: Vec<String>,
    /// Per channel settings.
    #[serde(default)]
    pub channels: HashMap<String, ChannelSettings>,
}

/// `[slack.channels.<id>]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelSettings {
    /// How names appear in this channel.
    #[serde(default)]
    pub names: Names,
}

/// How names appear in a channel.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Names {
    /// Real names, secrets redacted.
    #[default]
    Real,
    /// Pseudonyms, as the LLM sees them.
    Pseudonyms,
}

impl SlackSettings {
    /// Reads `[slack]` from the config file, if there is one; the rest of the file is other
    /// components' business.
    pub fn load(path: Option<&Path>) -> Result<Self, SettingsError> {
        let Some(path) = path else {
            return Ok(Self::default());
        };
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(source) => {
                return Err(SettingsError::Read {
                    path: path.display().to_string(),
                    source,
                });
            }
        };
        Self::parse(&text).map_err(|message| SettingsError::Invalid {
            path: path.display().to_string(),
            message,
        })
    }

    /// Parses `[slack]` out of a whole config file.
    pub fn parse(text: &str) -> Result<Self, String> {
        #[derive(Deserialize)]
        struct File {
            #[serde(default)]
            slack: SlackSettings,
        }
        toml::from_str::<toml::Value>(text)
            .map_err(|e| e.to_string())
            .and_then(|value| {
                let slack = value.get("slack").cloned();
                match slack {
                    None => Ok(File {
                        slack: SlackSettings::default(),
                    }),
                    Some(slack) => slack
                        .try_into()
                        .map(|slack| File { slack })
                        .map_err(|e: toml::de::Error| format!("[slack]: {e}")),
                }
            })
            .map(|file| file.slack)
    }

    /// Whether `user` may use kubewhy in `channel`.
    #[must_use]
    pub fn allows(&self, channel: &str, user: &str) -> bool {
        let channel_ok =
            self.allowed_channels.is_empty() || self.allowed_channels.iter().any(|c| c == channel);
        let user_ok = self.allowed_users.is_empty() || self.allowed_users.iter().any(|u| u == user);
        channel_ok && user_ok
    }

    /// The anonymizer's policy for what is posted in `channel`.
    #[must_use]
    pub fn policy(&self, channel: &str) -> Policy {
        match self
            .channels
            .get(channel)
            .map(|c| c.names)
            .unwrap_or_default()
        {
            Names::Real => Policy::RedactSecrets,
            Names::Pseudonyms => Policy::Pseudonymize,
        }
    }
}

/// Why the settings could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid.
    #[error("{path}: {message}")]
    Invalid {
        /// The file.
        path: String,
        /// What is wrong, with its line.
        message: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_and_users_are_allowed_as_configured() {
        let s = SlackSettings::parse(
            "[scrub]\nallow = [\"x\"]\n[slack]\nallowed_channels = [\"C1\"]\nallowed_users = [\"U1\"]\n[slack.channels.C1]\nnames = \"pseudonyms\"\n",
        )
        .unwrap();
        assert!(s.allows("C1", "U1"));
        assert!(!s.allows("C2", "U1"));
        assert!(!s.allows("C1", "U2"));
        assert_eq!(s.policy("C1"), Policy::Pseudonymize);
        assert_eq!(s.policy("C2"), Policy::RedactSecrets);
    }

    #[test]
    fn a_misspelt_setting_is_an_error_naming_it() {
        let error = SlackSettings::parse("[slack]\nallowed_channel = [\"C1\"]\n").unwrap_err();
        assert!(error.contains("allowed_channel"), "{error}");
    }
}
