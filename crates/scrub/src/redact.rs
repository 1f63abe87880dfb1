//! Secrets in kubewhy's own output. A report quotes what the cluster said, and a log line, an
//! event or an env value may hold a token: the report keeps every name and address and replaces
//! what the detectors take for a credential with [`REDACTED`], so that a report pasted into a
//! ticket carries no secret. The value is not kept anywhere.

use std::sync::Arc;

use crate::{Category, Dictionary, Policy, ScrubConfig, ScrubError, Scrubber};

/// What stands in for a redacted secret.
pub const REDACTED: &str = "[redacted]";

/// Secrets in text, for output on the user's side.
#[derive(Debug, Clone)]
pub struct Redactor {
    scrubber: Scrubber,
}

impl Redactor {
    /// A redactor with the user's `[scrub]` patterns, which apply under every policy.
    pub fn new(config: &ScrubConfig) -> Result<Self, ScrubError> {
        let scrubber = Scrubber::new(
            Arc::new(Dictionary::default()),
            config,
            Policy::RedactSecrets,
        )?;
        Ok(Self { scrubber })
    }

    /// `text` with every secret replaced by [`REDACTED`]; text without one comes back as it was.
    pub fn redact(&self, text: &str) -> Result<String, ScrubError> {
        // A fresh table per text: pseudonyms are an intermediate step here, never shown.
        let mut scrubber = self.scrubber.clone();
        let clean = scrubber.scrub_text(text)?;
        let table = scrubber.table();
        if table.is_empty() {
            return Ok(text.to_owned());
        }
        let mut out = clean.as_str().to_owned();
        // Longest pseudonyms first, so that `secret-1` never cuts into `secret-12`.
        let mut secrets: Vec<&str> = table
            .entries()
            .iter()
            .filter(|e| e.category == Category::Secret || e.real.is_none())
            .map(|e| e.pseudonym.as_str())
            .collect();
        secrets.sort_by_key(|p| std::cmp::Reverse(p.len()));
        for pseudonym in secrets {
            out = out.replace(pseudonym, REDACTED);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_go_and_everything_else_stays() {
        let redactor = Redactor::new(&ScrubConfig::default()).unwrap();
        let text = "connecting to postgres://app:Zx9vQ2mT7pLk4RwE@orders-db.shop:5432/orders as app; \
                    token=ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8";
        let out = redactor.redact(text).unwrap();
        assert!(!out.contains("Zx9vQ2mT7pLk4RwE"), "{out}");
        assert!(!out.contains("ghp_A1b2C3d4"), "{out}");
        assert!(out.contains(REDACTED), "{out}");
        assert!(out.contains("orders-db.shop:5432"), "{out}");
        let plain = "Back-off restarting failed container api in pod checkout-7d9f";
        assert_eq!(redactor.redact(plain).unwrap(), plain);
    }
}
