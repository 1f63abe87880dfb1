//! Collecting names, and building the matchers from them.

use std::fmt::Write;
use std::sync::Arc;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind, StartKind};
use kubewhy_source::Snapshot;

use super::{Dictionary, Dns, Extra, MAX_NAME_LEN, Name, Part, collect, token_shaped};
use crate::hash::{FastMap, FastSet};
use crate::vocab::vocabulary;
use crate::{Category, ScrubError};

/// Collects names, then builds a [`Dictionary`].
#[derive(Debug, Clone, Default)]
pub struct DictionaryBuilder {
    pub(super) names: Vec<Name>,
    pub(super) index: FastMap<Arc<str>, u32>,
    services: Vec<(Box<str>, Box<str>)>,
    /// Texts already refused as vocabulary, so that `app` is looked up once, not per pod.
    refused: FastSet<Box<str>>,
    /// Env var names already classified as secret-looking or not.
    env_names: FastMap<Box<str>, bool>,
    /// Env and annotation values already looked at.
    values: FastSet<Box<str>>,
    /// Images already registered.
    pub(super) images: FastSet<Box<str>>,
    /// The top owner of the objects of each controller, by controller uid.
    pub(super) roots: FastMap<Box<str>, Option<u32>>,
}

fn priority(category: Category) -> usize {
    // Secrets outrank every name: a value that is a credential is treated as one everywhere.
    // Otherwise the order of declaration decides (the enum has no fields, so `as` is exact).
    if category.is_secret() {
        0
    } else {
        1 + category as usize
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
        // About two new names per object: growing the tables as they fill costs more.
        let expected = snapshot.objects_scanned() * 2;
        self.names.reserve(expected);
        self.index.reserve(expected);
        collect::collect(self, snapshot);
        self
    }

    /// Adds one name, such as a name the causal-chain resolver pulled from evidence.
    /// Kubernetes vocabulary and values that identify nothing (numbers, versions) are ignored.
    pub fn name(&mut self, text: &str, category: Category) -> &mut Self {
        self.add(text, category);
        self
    }

    /// Adds a name that is replaced wherever it stands as a word, even when it is an ordinary
    /// word (`cart`, `shop`): the name of an object a text is known to be about.
    pub fn strong_name(&mut self, text: &str, category: Category) -> &mut Self {
        if let Some(id) = self.add(text, category) {
            self.names[id as usize].weak = false;
        }
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
        match self.add(owner, owner_category) {
            Some(owner) => self.owned_by(text, category, owner),
            None => {
                self.add(text, category);
            }
        }
        self
    }

    /// Adds a name owned by the name `owner` (an id from [`Self::add`]).
    pub(crate) fn owned_by(&mut self, text: &str, category: Category, owner: u32) {
        if let Some(id) = self.add(text, category) {
            let name = &mut self.names[id as usize];
            if name.owner.is_none() && owner != id {
                name.owner = Some(owner);
            }
        }
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

    /// Whether `text` is a name already.
    pub(crate) fn contains(&self, text: &str) -> bool {
        self.index.contains_key(text)
    }

    /// Adds `text` with `category`, keeping the higher-priority category when the name is
    /// already known. Returns its id, or `None` when the text is not a name.
    pub(crate) fn add(&mut self, text: &str, category: Category) -> Option<u32> {
        let padded = |b: Option<&u8>| b.is_some_and(|b| b.is_ascii_whitespace() || !b.is_ascii());
        let text = if padded(text.as_bytes().first()) || padded(text.as_bytes().last()) {
            text.trim()
        } else {
            text
        };
        if let Some(&id) = self.index.get(text) {
            let name = &mut self.names[id as usize];
            if priority(category) < priority(name.category) {
                name.category = category;
            }
            return Some(id);
        }
        if text.is_empty() || (!category.is_secret() && self.refused.contains(text)) {
            return None;
        }
        if !accepted(text, category) {
            if !category.is_secret() {
                self.refused.insert(text.into());
            }
            return None;
        }
        let id = u32::try_from(self.names.len()).ok()?;
        let shared: Arc<str> = text.into();
        self.names.push(Name {
            text: shared.clone(),
            category,
            owner: None,
            weak: vocabulary().is_weak_word(text),
        });
        self.index.insert(shared, id);
        Some(id)
    }

    /// Whether `value` is looked at for the first time (and remembers it).
    pub(crate) fn first_look(&mut self, value: &str) -> bool {
        if self.values.contains(value) {
            return false;
        }
        self.values.insert(value.into());
        true
    }

    /// Whether an env var name says its value is secret, remembered per name.
    pub(crate) fn env_name_is_secret(&mut self, name: &str, classify: fn(&str) -> bool) -> bool {
        if let Some(&secret) = self.env_names.get(name) {
            return secret;
        }
        let secret = classify(name);
        self.env_names.insert(name.into(), secret);
        secret
    }

    /// Builds the matchers.
    pub fn build(self) -> Result<Dictionary, ScrubError> {
        let names_len = self.names.len();
        let longest_name = self
            .names
            .iter()
            .filter(|n| token_shaped(&n.text))
            .map(|n| n.text.len())
            .max()
            .unwrap_or(0);
        let mut extras = Extras::default();
        for (service, namespace) in &self.services {
            for (text, dns) in service_forms(&self.index, service, namespace) {
                extras.push(&self.index, names_len, text, Extra::Dns(dns));
            }
        }
        let mut texts = Vec::new();
        let mut ids = Vec::new();
        for (id, name) in self.names.iter().enumerate() {
            if token_shaped(&name.text) {
                continue;
            }
            let id = u32::try_from(id).unwrap_or(u32::MAX);
            texts.push(name.text.to_string());
            ids.push(id);
            for form in escaped_forms(&name.text) {
                extras.push(&self.index, names_len, form, Extra::Form(id));
            }
        }
        texts.append(&mut extras.texts);
        ids.append(&mut extras.matcher_ids);
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
            extra: extras.patterns,
            extra_tokens: extras.tokens,
            matcher,
            matcher_ids: ids,
            longest_token: longest_name.max(extras.longest_token),
        })
    }
}

/// The patterns beyond the names, as they are collected for [`DictionaryBuilder::build`].
#[derive(Default)]
struct Extras {
    patterns: Vec<Extra>,
    tokens: FastMap<Box<str>, u32>,
    texts: Vec<String>,
    matcher_ids: Vec<u32>,
    longest_token: usize,
    /// The texts pushed to the automaton's list.
    seen: FastSet<String>,
}

impl Extras {
    fn push(&mut self, index: &FastMap<Arc<str>, u32>, names: usize, text: String, pattern: Extra) {
        let token = token_shaped(&text);
        let known = index.contains_key(text.as_str())
            || if token {
                self.tokens.contains_key(text.as_str())
            } else {
                self.seen.contains(&text)
            };
        if known {
            return;
        }
        let id = u32::try_from(names + self.patterns.len()).unwrap_or(u32::MAX);
        self.patterns.push(pattern);
        if token {
            self.longest_token = self.longest_token.max(text.len());
            self.tokens.insert(text.into(), id);
        } else {
            self.seen.insert(text.clone());
            self.texts.push(text);
            self.matcher_ids.push(id);
        }
    }
}

fn accepted(text: &str, category: Category) -> bool {
    if text.len() > MAX_NAME_LEN || text.contains(['\n', '\r']) {
        return false;
    }
    if category.is_secret() {
        return text.chars().count() >= 3
            && !matches!(
                text.to_ascii_lowercase().as_str(),
                "true" | "false" | "null"
            );
    }
    !vocabulary().is_vocabulary(text)
}

/// The forms a name takes inside JSON strings and URL query strings, when they differ from
/// the name: JSON escapes of quotes, backslashes and control characters, and the percent-encoding
/// of prose (a name with spaces or punctuation). Names made of identifier characters, slashes
/// and colons are not percent-encoded in practice, and the matcher reads `%2F` as a `/`.
fn escaped_forms(text: &str) -> Vec<String> {
    let mut forms = Vec::new();
    if let Ok(json) = serde_json::to_string(text) {
        let inner = &json[1..json.len() - 1];
        if inner != text {
            forms.push(inner.to_owned());
        }
    }
    let plain =
        |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/' | b':');
    if !text.bytes().all(plain) {
        let percent = percent_encode(text);
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
            // Writing to a String cannot fail.
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

fn service_forms(
    index: &FastMap<Arc<str>, u32>,
    service: &str,
    namespace: &str,
) -> Vec<(String, Dns)> {
    let part = |text: &str| match index.get(text) {
        Some(&id) => Part::Name(id),
        None => Part::Literal(text.into()),
    };
    let (s, n) = (part(service), part(namespace));
    if matches!((&s, &n), (Part::Literal(_), Part::Literal(_))) {
        return Vec::new();
    }
    ["", ".svc", ".svc.cluster.local"]
        .into_iter()
        .map(|suffix| {
            let dns = Dns {
                service: s.clone(),
                namespace: n.clone(),
                suffix,
            };
            let mut text = String::with_capacity(service.len() + namespace.len() + 20);
            text.push_str(service);
            text.push('.');
            text.push_str(namespace);
            text.push_str(suffix);
            (text, dns)
        })
        .collect()
}
