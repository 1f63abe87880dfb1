//! Unscrubbing an answer: name and address pseudonyms go back to the real values, even when the
//! model quoted them, changed their case or pluralised them (`pod-3s`), in the case the prompt
//! wrote them when the scrubber kept one (`Deployment-1` for `Checkout`); secrets stay pseudonyms;
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
        r"(?i)(?:(?:{alternatives})-[0-9]+-)*(?:{alternatives})-[0-9]+"
    ))
});

/// One pseudonym-shaped string in a text.
pub(crate) struct Mention<'t> {
    /// The pseudonym as written.
    pub(crate) core: regex::Match<'t>,
    /// A plural or possessive suffix (`s`, `'s`), possibly empty.
    pub(crate) suffix: &'t str,
}

/// Every pseudonym-shaped string of `text` that stands between non-alphanumeric characters
/// (`_` counts as a separator, as in `pod-1_namespace-1`).
pub(crate) fn mentions(text: &str) -> Result<Vec<Mention<'_>>, ScrubError> {
    let regex = PSEUDONYM.as_ref().map_err(|source| ScrubError::Detector {
        name: "pseudonym",
        source: source.clone(),
    })?;
    let glued = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
    let mut out = Vec::new();
    for core in regex.find_iter(text) {
        if glued(text[..core.start()].chars().next_back()) {
            continue;
        }
        let rest = &text[core.end()..];
        let suffix = ["'s", "’s", "es", "s"]
            .into_iter()
            .find(|s| rest.starts_with(s) && !glued(rest[s.len()..].chars().next()));
        let suffix = match suffix {
            Some(s) => s,
            None if !glued(rest.chars().next()) => "",
            None => continue,
        };
        out.push(Mention {
            core,
            suffix: &rest[..suffix.len()],
        });
    }
    Ok(out)
}

/// Splits a pseudonym-shaped string into the runs `known` accepts, longest first from the
/// left (`email-1-name-1` is two pseudonyms when the table has no `email-1-name-1`). Returns
/// byte ranges and whether each run is known; unknown pairs come back one by one.
pub(crate) fn split_known(core: &str, known: impl Fn(&str) -> bool) -> Vec<(usize, usize, bool)> {
    // Byte ranges of the `word-number` pairs.
    let mut pairs = Vec::new();
    let mut start = 0;
    let mut dashes = 0;
    for (i, c) in core.char_indices() {
        if c == '-' {
            dashes += 1;
            if dashes % 2 == 0 {
                pairs.push((start, i));
                start = i + 1;
            }
        }
    }
    pairs.push((start, core.len()));
    let mut out = Vec::new();
    let mut i = 0;
    while i < pairs.len() {
        let longest = (i..pairs.len())
            .rev()
            .find(|&j| known(&core[pairs[i].0..pairs[j].1]));
        if let Some(j) = longest {
            out.push((pairs[i].0, pairs[j].1, true));
            i = j + 1;
        } else {
            out.push((pairs[i].0, pairs[i].1, false));
            i += 1;
        }
    }
    out
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
    let mut text = String::with_capacity(answer.len());
    let mut unknown: Vec<UnknownPseudonym> = Vec::new();
    let mut at = 0;
    let known = |p: &str| table.is_issued(p) || table.is_reserved(p);
    for Mention { core, suffix } in mentions(answer)? {
        let lower = core.as_str().to_ascii_lowercase();
        text.push_str(&answer[at..core.start()]);
        at = core.end();
        let runs = split_known(&lower, known);
        if runs.iter().any(|&(_, _, k)| !k) {
            // A mangled or invented pseudonym: left as written, and reported whole.
            text.push_str(core.as_str());
            if !unknown.iter().any(|u| u.0 == lower) {
                unknown.push(UnknownPseudonym(lower));
            }
            continue;
        }
        for (i, &(start, end, _)) in runs.iter().enumerate() {
            if i > 0 {
                text.push('-');
            }
            let written = &core.as_str()[start..end];
            match table
                .restore_variant(written)
                .or_else(|| table.restore(&lower[start..end]))
            {
                Some(real) => text.push_str(real),
                None => text.push_str(written),
            }
        }
        if runs
            .last()
            .is_some_and(|&(start, end, _)| table.restore(&lower[start..end]).is_some())
        {
            text.push_str(suffix);
            at += suffix.len();
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
    fn underscores_and_dots_separate_pseudonyms() {
        let out = unscrub(
            &table(),
            "deployment-1-pod-1_ip-1 and deployment-1.x, not xdeployment-1",
        )
        .unwrap();
        assert_eq!(
            out.text,
            "checkout-7d4b9c-x2x2z_10.0.3.7 and checkout.x, not xdeployment-1"
        );
    }

    #[test]
    fn adjacent_pseudonyms_are_told_apart() {
        let out = unscrub(&table(), "ip-1-deployment-1 and deployment-1-pod-1").unwrap();
        assert_eq!(out.text, "10.0.3.7-checkout and checkout-7d4b9c-x2x2z");
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
