//! The dictionary: every name the snapshot holds or refers to, matched in any text longest name
//! first, only at identifier boundaries (and, for names that are ordinary words, only where the
//! text uses them as names: see [`crate::boundary`]).
//!
//! Names made of `[A-Za-z0-9._:/-]` (object names, label values, hosts, image paths: nearly all
//! of them) are matched by looking up the identifier-shaped runs of the text in a hash index,
//! which costs nothing to build; the few others (annotation values with spaces, their escaped
//! forms) go into an Aho-Corasick automaton.

mod builder;
mod collect;
mod image;
mod kinds;
mod matcher;
mod pod;

use std::sync::Arc;

use aho_corasick::AhoCorasick;
use kubewhy_source::Snapshot;

pub use builder::DictionaryBuilder;

use crate::hash::FastMap;
use crate::{Category, ScrubError};

/// Names longer than this are not matched as a whole: such values are prose or data, not names.
pub(crate) const MAX_NAME_LEN: usize = 256;

/// One name.
#[derive(Debug, Clone)]
pub(crate) struct Name {
    pub(crate) text: Arc<str>,
    pub(crate) category: Category,
    /// The top owner, for pods and other generated objects: its pseudonym prefixes theirs.
    pub(crate) owner: Option<u32>,
    /// An ordinary word, replaced only where the text uses it as a name.
    pub(crate) weak: bool,
}

/// A pattern beyond the names themselves.
#[derive(Debug, Clone)]
pub(crate) enum Extra {
    /// An escaped form of a name (JSON, percent-encoding).
    Form(u32),
    /// A Service's DNS name, `svc.ns`, `svc.ns.svc` or `svc.ns.svc.cluster.local`.
    Dns(Dns),
}

/// A Service's DNS name, scrubbed part by part: `service-1.namespace-1.svc.cluster.local`.
#[derive(Debug, Clone)]
pub(crate) struct Dns {
    pub(crate) service: Part,
    pub(crate) namespace: Part,
    /// `""`, `.svc` or `.svc.cluster.local`.
    pub(crate) suffix: &'static str,
}

/// A part of a DNS name.
#[derive(Debug, Clone)]
pub(crate) enum Part {
    /// Replaced by the name's pseudonym.
    Name(u32),
    /// Kept as it is (a namespace that is vocabulary, such as `default`).
    Literal(Box<str>),
}

/// What a pattern stands for.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Pattern<'a> {
    /// A name (or an escaped form of it).
    Name(u32),
    /// A Service's DNS name.
    Dns(&'a Dns),
}

/// A dictionary match.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Found {
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) pattern: u32,
}

/// Every name to scrub, ready to match.
///
/// A name is replaced only where it stands between characters that are not letters or digits
/// (`checkout` in `checkout-7d4`, `/checkout/`, `"checkout"`, not in `checkouts`), in its own
/// case, capitalised or in capitals (`Checkout`, `CHECKOUT`), reading
/// percent-escapes and JSON escapes as the characters they stand for; the longest name wins
/// (`checkout-api` over `checkout`). A name that is an ordinary word (one lowercase word of at
/// most four letters, or a common English word such as `web`, `api`, `cache`, `worker`) is
/// replaced only where the text uses it as a name: as a whole value, in quotes or backticks,
/// after `@`, `=` or `://`, before `:` and a port, or after a kind or namespace flag
/// (`pod web`, `svc/web`, `-n web`, `deployment.apps/web`, `/namespaces/web/`), or next to a
/// slash whose other side is a name too (`shop/cart`, `namespace/name`). Elsewhere
/// (`the web server`, `a cache miss`) it is prose and stays.
#[derive(Debug, Clone, Default)]
pub struct Dictionary {
    names: Vec<Name>,
    /// Name text to name id; a name's id is also its pattern id.
    index: FastMap<Arc<str>, u32>,
    /// Patterns `names.len()..`: escaped forms and composites.
    extra: Vec<Extra>,
    /// The identifier-shaped extra patterns, by text.
    extra_tokens: FastMap<Box<str>, u32>,
    /// The patterns that are not identifier-shaped, and the pattern ids they stand for.
    matcher: Option<AhoCorasick>,
    matcher_ids: Vec<u32>,
    /// The longest identifier-shaped pattern, in bytes.
    longest_token: usize,
}

impl Dictionary {
    /// The dictionary of every name `snapshot` holds or refers to.
    pub fn from_snapshot(snapshot: &Snapshot) -> Result<Self, ScrubError> {
        let mut builder = DictionaryBuilder::new();
        builder.snapshot(snapshot);
        builder.build()
    }

    /// A builder, to add names of your own.
    #[must_use]
    pub fn builder() -> DictionaryBuilder {
        DictionaryBuilder::new()
    }

    /// How many names.
    #[must_use]
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Whether `text` is one of the names.
    #[must_use]
    pub fn contains(&self, text: &str) -> bool {
        self.index.contains_key(text)
    }

    /// The category `text` was added with, if it is a name.
    #[must_use]
    pub fn category(&self, text: &str) -> Option<Category> {
        self.index
            .get(text)
            .map(|&id| self.names[id as usize].category)
    }

    /// The heap memory the dictionary holds, in bytes (approximately: the automaton's tables,
    /// the names and the hash indexes).
    #[must_use]
    pub fn memory_usage(&self) -> usize {
        let automaton = self.matcher.as_ref().map_or(0, AhoCorasick::memory_usage);
        let names: usize = self
            .names
            .iter()
            .map(|n| std::mem::size_of::<Name>() + n.text.len())
            .sum();
        // The index shares the names' text.
        let index = self.index.capacity() * (std::mem::size_of::<(Arc<str>, u32)>() + 1);
        let tokens = self.extra_tokens.capacity() * (std::mem::size_of::<(Box<str>, u32)>() + 1)
            + self.extra_tokens.keys().map(|k| k.len()).sum::<usize>();
        let extra = self.extra.capacity() * std::mem::size_of::<Extra>();
        automaton + names + index + tokens + extra + self.matcher_ids.capacity() * 4
    }

    pub(crate) fn name(&self, id: u32) -> &Name {
        &self.names[id as usize]
    }

    pub(crate) fn pattern(&self, id: u32) -> Pattern<'_> {
        let names = self.names.len();
        match (id as usize).checked_sub(names).map(|i| &self.extra[i]) {
            None => Pattern::Name(id),
            Some(Extra::Form(name)) => Pattern::Name(*name),
            Some(Extra::Dns(dns)) => Pattern::Dns(dns),
        }
    }
}

/// Whether `text` is made of identifier characters and starts and ends with a letter or digit.
pub(crate) fn token_shaped(text: &str) -> bool {
    let b = text.as_bytes();
    !b.is_empty()
        && b.iter().all(|&c| is_token_byte(c))
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
}

pub(crate) fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'/' | b':')
}

#[cfg(test)]
mod tests;
