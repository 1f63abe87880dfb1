//! The user's `[scrub]` settings: extra patterns to scrub and values never to scrub.

use std::collections::HashSet;

use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::ScrubError;

/// The `[scrub]` table of the config file.
///
/// ```toml
/// [scrub]
/// patterns = ['acme-[a-z]+', 'PRJ-\d{4}']
/// allow = ["status.example.com", "*.example.org"]
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScrubConfig {
    /// Regular expressions (`regex` crate syntax) whose matches are scrubbed under every policy,
    /// as `custom-N`. A pattern with a capture group scrubs only the first group.
    pub patterns: Vec<String>,
    /// Values never scrubbed as names or addresses: exact strings, or `*.domain` for a domain
    /// and its subdomains. Secrets are replaced even when listed here.
    pub allow: Vec<String>,
}

/// A [`ScrubConfig`] ready to use.
#[derive(Debug, Clone, Default)]
pub(crate) struct Compiled {
    pub(crate) patterns: Vec<Regex>,
    allow: HashSet<String>,
    allow_suffixes: Vec<String>,
}

impl Compiled {
    pub(crate) fn new(config: &ScrubConfig) -> Result<Self, ScrubError> {
        let patterns = config
            .patterns
            .iter()
            .map(|p| {
                Regex::new(p).map_err(|source| ScrubError::BadPattern {
                    pattern: p.clone(),
                    source,
                })
            })
            .collect::<Result<_, _>>()?;
        let mut allow = HashSet::new();
        let mut allow_suffixes = Vec::new();
        for entry in config
            .allow
            .iter()
            .map(|a| a.trim())
            .filter(|a| !a.is_empty())
        {
            match entry.strip_prefix("*.") {
                Some(domain) => {
                    allow.insert(domain.to_ascii_lowercase());
                    allow_suffixes.push(format!(".{}", domain.to_ascii_lowercase()));
                }
                None => {
                    allow.insert(entry.to_owned());
                }
            }
        }
        Ok(Self {
            patterns,
            allow,
            allow_suffixes,
        })
    }

    /// Whether the user allowed `text` to pass as it is.
    pub(crate) fn allows(&self, text: &str) -> bool {
        if self.allow.contains(text) {
            return true;
        }
        if self.allow_suffixes.is_empty() {
            return false;
        }
        let lower = text.to_ascii_lowercase();
        self.allow.contains(&lower) || self.allow_suffixes.iter().any(|s| lower.ends_with(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_pattern_is_an_error_that_names_it() {
        let config = ScrubConfig {
            patterns: vec!["ok".into(), "acme-(".into()],
            allow: vec![],
        };
        let err = Compiled::new(&config).unwrap_err();
        let message = err.to_string();
        assert!(message.contains("`acme-(`"), "{message}");
        assert!(message.contains("[scrub]"), "{message}");
    }

    #[test]
    fn allow_entries_match_exactly_or_by_domain() {
        let config = ScrubConfig {
            patterns: vec![],
            allow: vec!["status.acme.com".into(), "*.example.org".into()],
        };
        let compiled = Compiled::new(&config).unwrap();
        assert!(compiled.allows("status.acme.com"));
        assert!(compiled.allows("api.example.org") && compiled.allows("example.org"));
        assert!(!compiled.allows("shop.acme.com") && !compiled.allows("badexample.org"));
    }

    #[test]
    fn the_config_table_deserializes_and_rejects_unknown_keys() {
        let config: ScrubConfig =
            serde_json::from_str(r#"{"patterns": ["PRJ-\\d{4}"], "allow": ["a"]}"#).unwrap();
        assert_eq!(config.patterns, ["PRJ-\\d{4}"]);
        assert!(serde_json::from_str::<ScrubConfig>(r#"{"pattern": []}"#).is_err());
        assert_eq!(
            serde_json::from_str::<ScrubConfig>("{}").unwrap(),
            ScrubConfig::default()
        );
    }
}
