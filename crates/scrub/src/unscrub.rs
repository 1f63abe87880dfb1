//! Unscrubbing an answer: name and address pseudonyms go back to the real values, even when the
//! model quoted them, changed their case or pluralised them (`pod-3s`); secrets stay pseudonyms;
//! pseudonyms the table never issued are reported, never silently left.

use std::fmt;
use std::sync::LazyLock;

use regex::Regex;

use crate::{Category, PseudonymTable, ScrubError};

static PSEUDONYM: LazyLock<Result<Regex, regex::Error>> = LazyLock::new(|| {
    let mut prefixes: Vec<&str> = Category::ALL.iter().map(|c| c.prefix()).collect();
    // Longest first, so that `pvc` is not read as `pv` followed by a letter.
    prefixes.sort_by_key(|p| std::cmp::Reverse(p.len()));
    let alternatives = prefixes.join("|");
    Regex::new(&format!(
        r"(?i)\b((?:(?:{alternatives})-[0-9]+-)*(?:{alternatives})-[0-9]+)('s|’s|es|s)?\b"
    ))
});

/// The regex of anything shaped like a pseudonym: group 1 is the pseudonym, group 2 a plural
/// or possessive suffix.
pub(crate) fn pseudonym_regex() -> Result<&'static Regex, ScrubError> {
    PSEUDONYM
        .as_ref()
        .map_err(|source| ScrubError::Detector {
            name: "pseudonym",
            source: source.clone(),
        })
}

/// An answer with its names restored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unscrubbed {
    /// The answer, with name and address pseudonyms replaced by the real values.
    pub text: String,
    /// Pseudonyms the answer mentions that this table never issued (the model mangled or
    /// invented them), in order of first mention.
    pub unknown: Vec<UnknownPseudonym>,
}

/// A pseudonym in an answer that stands for nothing in this issue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownPseudonym(pub String);

impl fmt::Display for UnknownPseudonym {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the answer mentions {}, which is not in this issue",
            self.0
        )
    }
}

/// Restores the names and addresses in `answer`. Secret pseudonyms stay as they are: a
/// credential stays `secret-1` in every output.
pub fn unscrub(table: &PseudonymTable, answer: &str) -> Result<Unscrubbed, ScrubError> {
    let regex = pseudonym_regex()?;
    let mut text = String::with_capacity(answer.len());
    let mut unknown: Vec<UnknownPseudonym> = Vec::new();
    let mut at = 0;
    for caps in regex.captures_iter(answer) {
        let (Some(whole), Some(core)) = (caps.get(0), caps.get(1)) else {
            continue;
        };
        let suffix = caps.get(2).map_or("", |m| m.as_str());
        let lower = core.as_str().to_ascii_lowercase();
        text.push_str(&answer[at..whole.start()]);
        at = whole.end();
        if let Some(real) = table.restore(&lower) {
            text.push_str(real);
            text.push_str(suffix);
            continue;
        }
        text.push_str(whole.as_str());
        let known = table.is_issued(&lower) || table.is_reserved(&lower);
        if !known && !unknown.iter().any(|u| u.0 == lower) {
            unknown.push(UnknownPseudonym(lower));
        }
    }
    text.push_str(&answer[at..]);
    Ok(Unscrubbed { text, unknown })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> PseudonymTable {
        let free = |_: &str| false;
        let mut t = PseudonymTable::new();
        t.name("checkout", Category::Deployment, None, &free);
        let owner = Some(("checkout", Category::Deployment));
        t.name("checkout-7d4b9c-x2x2z", Category::Pod, owner, &free);
        t.name("10.0.3.7", Category::Ip, None, &free);
        t.secret("hunter2", &free);
        t
    }

    #[test]
    fn quoted_case_changed_and_plural_pseudonyms_are_restored() {
        let answer = "Restart `deployment-1`; \"Deployment-1-Pod-1\" and both deployment-1s \
                      failed, see deployment-1's logs and IP-1.";
        let out = unscrub(&table(), answer).unwrap();
        assert_eq!(
            out.text,
            "Restart `checkout`; \"checkout-7d4b9c-x2x2z\" and both checkouts failed, see \
             checkout's logs and 10.0.3.7."
        );
        assert!(out.unknown.is_empty());
    }

    #[test]
    fn secrets_are_never_restored() {
        let out = unscrub(&table(), "rotate secret-1 now").unwrap();
        assert_eq!(out.text, "rotate secret-1 now");
        assert!(out.unknown.is_empty());
    }

    #[test]
    fn invented_pseudonyms_are_reported() {
        let out = unscrub(&table(), "pod-17 and deployment-1-pod-9 and pod-17").unwrap();
        assert_eq!(out.text, "pod-17 and deployment-1-pod-9 and pod-17");
        let notes: Vec<String> = out.unknown.iter().map(ToString::to_string).collect();
        assert_eq!(
            notes,
            [
                "the answer mentions pod-17, which is not in this issue",
                "the answer mentions deployment-1-pod-9, which is not in this issue",
            ]
        );
    }
}
