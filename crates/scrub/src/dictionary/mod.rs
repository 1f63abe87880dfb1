//! The dictionary: every name the snapshot holds or refers to, matched in any text by one
//! Aho-Corasick automaton, longest name first, only at identifier boundaries (and, for names that
//! are ordinary words, only where the text uses them as names: see [`crate::boundary`]).

mod collect;
mod kinds;
mod image;
mod pod;

use std::collections::HashMap;

use aho_corasick::{AhoCorasick, AhoCorasickKind, Anchored, Input, MatchKind, StartKind};
use kubewhy_source::Snapshot;

use crate::boundary::{at_boundary, used_as_name};
use crate::vocab::vocabulary;
use crate::{Category, ScrubError};

/// Names longer than this are not matched as a whole: such values are prose or data, not names.
pub(crate) const MAX_NAME_LEN: usize = 256;

/// One name.
#[derive(Debug, Clone)]
pub(crate) struct Name {
    pub(crate) text: Box<str>,
    pub(crate) category: Category,
    /// The top owner, for pods and other generated objects: its pseudonym prefixes theirs.
    pub(crate) owner: Option<u32>,
    /// An ordinary word, replaced only where the text uses it as a name.
    pub(crate) weak: bool,
}

/// What a pattern of the automaton stands for.
#[derive(Debug, Clone)]
pub(crate) enum Pattern {
    /// A name, or an escaped form of it.
    Name(u32),
    /// A name made of names, such as a Service's DNS name `svc.ns.svc.cluster.local`.
    Composite(Box<[Segment]>),
}

/// A piece of a composite pattern.
#[derive(Debug, Clone)]
pub(crate) enum Segment {
    /// Kept as it is (`.svc.cluster.local`, or a namespace that is vocabulary).
    Literal(Box<str>),
    /// Replaced by the name's pseudonym.
    Name(u32),
}

/// A dictionary match.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Found {
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) pattern: u32,
}

/// Every name to scrub, ready to match.
#[derive(Debug, Clone, Default)]
pub struct Dictionary {
    names: Vec<Name>,
    index: HashMap<Box<str>, u32>,
    patterns: Vec<Pattern>,
    matcher: Option<AhoCorasick>,
}

/// Collects names, then builds a [`Dictionary`].
#[derive(Debug, Clone, Default)]
pub struct DictionaryBuilder {
    names: Vec<Name>,
    index: HashMap<Box<str>, u32>,
    services: Vec<(Box<str>, Box<str>)>,
    /// Env values already classified, so that a template's pods are looked at once.
    seen_values: std::collections::HashSet<(Box<str>, Box<str>)>,
}

fn priority(category: Category) -> usize {
    // Secrets outrank every name: a value that is a credential is treated as one everywhere.
    if category.is_secret() {
        0
    } else {
        1 + Category::ALL.iter().position(|c| *c == category).unwrap_or(0)
    }
}

impl DictionaryBuilder {
    /// An empty builder.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds every name `snapshot` holds or refers to.
    pub fn snapshot(&mut self, snapshot: &Snapshot) -> &mut Self {
        collect::collect(self, snapshot);
        self
    }

    /// Adds one name, such as a name the causal-chain resolver pulled from evidence.
    /// Kubernetes vocabulary and values that identify nothing (numbers, versions) are ignored.
    pub fn name(&mut self, text: &str, category: Category) -> &mut Self {
        self.add(text, category);
        self
    }

    /// Adds a name whose pseudonym shows its owner's: a pod of a Deployment becomes
    /// `deployment-1-pod-2`.
    pub fn owned_name(
        &mut self,
        text: &str,
        category: Category,
        owner: &str,
        owner_category: Category,
    ) -> &mut Self {
        let owner = self.add(owner, owner_category);
        if let Some(id) = self.add(text, category) {
            let name = &mut self.names[id as usize];
            if name.owner.is_none() && owner != Some(id) {
                name.owner = owner;
            }
        }
        self
    }

    /// Adds a Service and its DNS names (`svc.ns`, `svc.ns.svc`, `svc.ns.svc.cluster.local`).
    pub fn service(&mut self, name: &str, namespace: &str) -> &mut Self {
        self.add(name, Category::Service);
        self.add(namespace, Category::Namespace);
        if !name.is_empty() && !namespace.is_empty() {
            self.services.push((name.into(), namespace.into()));
        }
        self
    }

    /// Adds `text` with `category`, keeping the higher-priority category when the name is
    /// already known. Returns its id, or `None` when the text is not a name.
    pub(crate) fn add(&mut self, text: &str, category: Category) -> Option<u32> {
        let text = text.trim();
        if !accepted(text, category) {
            return None;
        }
        if let Some(&id) = self.index.get(text) {
            let name = &mut self.names[id as usize];
            if priority(category) < priority(name.category) {
                name.category = category;
            }
            return Some(id);
        }
        let id = u32::try_from(self.names.len()).ok()?;
        self.names.push(Name {
            text: text.into(),
            category,
            owner: None,
            weak: vocabulary().is_weak_word(text),
        });
        self.index.insert(text.into(), id);
        Some(id)
    }

    /// Whether an env value `(name, value)` was already classified; records it if not.
    pub(crate) fn first_time(&mut self, name: &str, value: &str) -> bool {
        self.seen_values.insert((name.into(), value.into()))
    }

    /// Builds the automaton.
    pub fn build(self) -> Result<Dictionary, ScrubError> {
        let mut texts: Vec<String> = Vec::with_capacity(self.names.len());
        let mut patterns = Vec::with_capacity(self.names.len());
        // Names are unique already; escaped forms and DNS names may repeat one another.
        let mut extra = std::collections::HashSet::new();
        for (id, name) in self.names.iter().enumerate() {
            let id = u32::try_from(id).unwrap_or(u32::MAX);
            texts.push(name.text.to_string());
            patterns.push(Pattern::Name(id));
            for variant in escaped_forms(&name.text) {
                if !self.index.contains_key(variant.as_str()) && extra.insert(variant.clone()) {
                    texts.push(variant);
                    patterns.push(Pattern::Name(id));
                }
            }
        }
        for (service, namespace) in &self.services {
            for (text, segments) in service_forms(&self.index, service, namespace) {
                if !self.index.contains_key(text.as_str()) && extra.insert(text.clone()) {
                    texts.push(text);
                    patterns.push(Pattern::Composite(segments));
                }
            }
        }
        let matcher = if texts.is_empty() {
            None
        } else {
            Some(
                AhoCorasick::builder()
                    .match_kind(MatchKind::LeftmostLongest)
                    .start_kind(StartKind::Both)
                    .kind(Some(AhoCorasickKind::ContiguousNFA))
                    .build(&texts)
                    .map_err(|source| ScrubError::Dictionary { source })?,
            )
        };
        Ok(Dictionary {
            names: self.names,
            index: self.index,
            patterns,
            matcher,
        })
    }
}

fn accepted(text: &str, category: Category) -> bool {
    if text.is_empty() || text.len() > MAX_NAME_LEN || text.contains(['\n', '\r']) {
        return false;
    }
    if category.is_secret() {
        return text.chars().count() >= 3
            && !matches!(text.to_ascii_lowercase().as_str(), "true" | "false" | "null");
    }
    !vocabulary().is_vocabulary(text)
}

/// The forms a name takes inside JSON strings and URLs, when they differ from the name.
fn escaped_forms(text: &str) -> Vec<String> {
    let mut forms = Vec::new();
    if let Ok(json) = serde_json::to_string(text) {
        let inner = &json[1..json.len() - 1];
        if inner != text {
            forms.push(inner.to_owned());
        }
        if inner.contains('/') {
            forms.push(inner.replace('/', "\\/"));
        }
    }
    let percent = percent_encode(text);
    if percent != text {
        forms.push(percent.replace("%20", "+"));
        forms.push(percent);
    }
    forms
}

fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn service_forms(
    index: &HashMap<Box<str>, u32>,
    service: &str,
    namespace: &str,
) -> Vec<(String, Box<[Segment]>)> {
    let part = |text: &str| match index.get(text) {
        Some(&id) => Segment::Name(id),
        None => Segment::Literal(text.into()),
    };
    let (s, n) = (part(service), part(namespace));
    if matches!((&s, &n), (Segment::Literal(_), Segment::Literal(_))) {
        return Vec::new();
    }
    ["", ".svc", ".svc.cluster.local"]
        .iter()
        .map(|suffix| {
            let text = format!("{service}.{namespace}{suffix}");
            let mut segments = vec![s.clone(), Segment::Literal(".".into()), n.clone()];
            if !suffix.is_empty() {
                segments.push(Segment::Literal((*suffix).into()));
            }
            (text, segments.into_boxed_slice())
        })
        .collect()
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

    /// The heap memory the dictionary holds, in bytes (approximately, for the automaton's
    /// tables, the names and their index).
    #[must_use]
    pub fn memory_usage(&self) -> usize {
        let automaton = self.matcher.as_ref().map_or(0, AhoCorasick::memory_usage);
        let names: usize = self
            .names
            .iter()
            .map(|n| std::mem::size_of::<Name>() + n.text.len())
            .sum();
        let index = self.index.capacity()
            * (std::mem::size_of::<(Box<str>, u32)>() + 1)
            + self.index.keys().map(|k| k.len()).sum::<usize>();
        let patterns = self.patterns.capacity() * std::mem::size_of::<Pattern>();
        automaton + names + index + patterns
    }

    pub(crate) fn name(&self, id: u32) -> &Name {
        &self.names[id as usize]
    }

    pub(crate) fn pattern(&self, id: u32) -> &Pattern {
        &self.patterns[id as usize]
    }

    /// Every acceptable match in `text`, left to right. `whole` says `text` is a whole value
    /// (a word-like name that is the entire value is a name); `secrets_only` keeps only names
    /// that are secret values.
    pub(crate) fn find(&self, text: &str, whole: bool, secrets_only: bool, out: &mut Vec<Found>) {
        let Some(matcher) = &self.matcher else { return };
        let mut at = 0;
        while at < text.len() {
            let Some(m) = matcher.find(Input::new(text).span(at..text.len())) else {
                return;
            };
            let start = m.start();
            let (mut end, mut pattern) = (m.end(), m.pattern().as_u32());
            let accepted = loop {
                if self.accepts(text, start, end, pattern, whole, secrets_only) {
                    break true;
                }
                if end <= start + 1 {
                    break false;
                }
                // A shorter name starting here may still stand at a boundary ("checkout" in
                // "checkout-apix" when "checkout-api" is also a name). The automaton supports
                // anchored searches (StartKind::Both), so this search cannot panic.
                let shorter = Input::new(text)
                    .span(start..end - 1)
                    .anchored(Anchored::Yes);
                match matcher.find(shorter) {
                    Some(m) => (end, pattern) = (m.end(), m.pattern().as_u32()),
                    None => break false,
                }
            };
            if accepted {
                out.push(Found {
                    start,
                    end,
                    pattern,
                });
                at = end;
            } else {
                at = start + 1;
            }
        }
    }

    fn accepts(
        &self,
        text: &str,
        start: usize,
        end: usize,
        pattern: u32,
        whole: bool,
        secrets_only: bool,
    ) -> bool {
        if !at_boundary(text, start, end) {
            return false;
        }
        match self.pattern(pattern) {
            Pattern::Name(id) => {
                let name = self.name(*id);
                if secrets_only && !name.category.is_secret() {
                    return false;
                }
                !name.weak || used_as_name(text, start, end, whole)
            }
            Pattern::Composite(_) => !secrets_only,
        }
    }
}

#[cfg(test)]
mod tests;
