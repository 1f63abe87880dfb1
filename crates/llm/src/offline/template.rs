//! Filling a signature's templates. The catalog's placeholders (`{name}`, `{ns}`, `{pod}`,
//! `{related:Secret}`, ...) are filled by `kubewhy_analyzers::fill_fix`; the signature's own
//! are the matched line (`{match}`), where it was seen (`{source}`), the Service the chain
//! names (`{service}`), the chain's root cause (`{chain_root}`) and the named groups of the
//! pattern that matched. Values are inserted once and never scanned again, so braces in a log
//! line stay as they are.

use std::collections::BTreeMap;

use kubewhy_analyzers::{FIX_PLACEHOLDERS, fill_fix};
use kubewhy_model::Issue;

/// The signature's own placeholders, besides the named groups of its patterns.
pub const OWN_PLACEHOLDERS: [&str; 4] = ["match", "source", "service", "chain_root"];

/// The values of one match.
pub struct Values<'a> {
    /// The issue, for the catalog's placeholders.
    pub issue: &'a Issue,
    /// Own placeholders and captures.
    pub own: BTreeMap<String, String>,
}

impl Values<'_> {
    /// `template` with every placeholder filled; what cannot be filled becomes `<word>`.
    pub fn fill(&self, template: &str) -> String {
        let mut out = String::with_capacity(template.len() + 32);
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            if let Some(word) = placeholder(after) {
                out.push_str(&self.value(word));
                rest = &after[word.len() + 1..];
            } else {
                out.push('{');
                rest = after;
            }
        }
        out.push_str(rest);
        out
    }

    fn value(&self, word: &str) -> String {
        if let Some(value) = self.own.get(word) {
            return value.clone();
        }
        if is_catalog_placeholder(word) {
            return fill_fix(&format!("{{{word}}}"), self.issue);
        }
        format!("<{word}>")
    }
}

/// The word of a placeholder at the start of `after` (the text just past a `{`), when it is
/// one: a letter, then letters, digits, `:`, `_` or `-`, then `}`.
fn placeholder(after: &str) -> Option<&str> {
    let end = after.find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, ':' | '_' | '-')))?;
    let word = &after[..end];
    let starts_with_letter = word.chars().next().is_some_and(|c| c.is_ascii_alphabetic());
    (starts_with_letter && after[end..].starts_with('}')).then_some(word)
}

fn is_catalog_placeholder(word: &str) -> bool {
    FIX_PLACEHOLDERS.contains(&word)
        || word.strip_prefix("related:").is_some_and(|kind| {
            kind.chars().next().is_some_and(|c| c.is_ascii_uppercase())
                && kind.chars().all(|c| c.is_ascii_alphanumeric())
        })
}

/// The placeholders of `template` that are neither the catalog's, nor own, nor in `captures`.
pub fn unknown(template: &str, captures: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        rest = &rest[open + 1..];
        if let Some(word) = placeholder(rest)
            && !is_catalog_placeholder(word)
            && !OWN_PLACEHOLDERS.contains(&word)
            && !captures.contains(&word)
        {
            found.push(format!("{{{word}}}"));
        }
    }
    found
}
