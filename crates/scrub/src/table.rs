//! The pseudonym table: which real value each pseudonym stands for. Pseudonyms are typed
//! (`pod-3`), numbered in order of first appearance, never clash with a real name, and a pod's
//! shows its owner's (`deployment-1-pod-2`).
//!
//! The table can be serialized and kept with a conversation (a chat, a Slack thread) so that
//! follow-ups use the same pseudonyms. It belongs to the user: it must never be put in a report
//! or sent anywhere. Secret values are not in it at all: a secret's pseudonym is remembered with
//! a hash of the value, in memory only, so no table can restore one.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::Category;

/// One pseudonym and what it stands for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The pseudonym, such as `deployment-1-pod-2`.
    pub pseudonym: String,
    /// What it stands for.
    pub category: Category,
    /// The real value; `None` for secrets, which are never kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub real: Option<String>,
}

/// Pseudonyms and the values they stand for.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(from = "Stored", into = "Stored")]
pub struct PseudonymTable {
    entries: Vec<Entry>,
    /// Strings of the inputs that look like pseudonyms but are real text: never issued, never
    /// reported as unknown.
    reserved: BTreeSet<String>,
    by_real: HashMap<String, u32>,
    by_pseudonym: HashMap<String, u32>,
    secrets: HashMap<[u8; 32], u32>,
    /// The highest number issued per prefix.
    counters: HashMap<String, u32>,
    /// Pseudonyms written in the case of the text they replaced (`Deployment-1` for `Checkout`,
    /// `DEPLOYMENT-1` for `CHECKOUT`), with that text, so that an echo restores it as written.
    variants: BTreeMap<String, String>,
}

/// What is serialized: the entries and the reserved strings; the indexes are rebuilt.
#[derive(Serialize, Deserialize)]
struct Stored {
    entries: Vec<Entry>,
    #[serde(default)]
    reserved: BTreeSet<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    variants: BTreeMap<String, String>,
}

impl From<Stored> for PseudonymTable {
    fn from(stored: Stored) -> Self {
        let mut table = PseudonymTable {
            reserved: stored.reserved,
            ..PseudonymTable::default()
        };
        for entry in stored.entries {
            table.insert(entry);
        }
        for (pseudonym, real) in stored.variants {
            table.record_variant(pseudonym, real);
        }
        table
    }
}

impl From<PseudonymTable> for Stored {
    fn from(table: PseudonymTable) -> Self {
        Stored {
            entries: table.entries,
            reserved: table.reserved,
            variants: table.variants,
        }
    }
}

/// A point to roll the table back to when a scrub fails.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Checkpoint(usize);

impl PseudonymTable {
    /// An empty table.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Every pseudonym, in the order issued.
    #[must_use]
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// How many pseudonyms.
    #[must_use]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether none were issued.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The real value of a name or address pseudonym (exact, lowercase). Never a secret.
    #[must_use]
    pub fn restore(&self, pseudonym: &str) -> Option<&str> {
        let &i = self.by_pseudonym.get(pseudonym)?;
        self.entries[i as usize].real.as_deref()
    }

    /// The text a pseudonym written in another case (`Deployment-1`) replaced, when this table
    /// issued it in that case.
    #[must_use]
    pub fn restore_variant(&self, written: &str) -> Option<&str> {
        self.variants.get(written).map(String::as_str)
    }

    /// Remembers that `pseudonym`, in the case written, replaced `real` in that case. Only
    /// for a name issued already, and only when `real` is that name in another case.
    pub(crate) fn record_variant(&mut self, pseudonym: String, real: String) {
        let lower = pseudonym.to_ascii_lowercase();
        let same = self
            .restore(&lower)
            .is_some_and(|canonical| canonical.eq_ignore_ascii_case(&real));
        if same && lower != pseudonym {
            self.variants.insert(pseudonym, real);
        }
    }

    /// The pseudonym of a real name or address, if one was issued.
    #[must_use]
    pub fn pseudonym_of(&self, real: &str) -> Option<&str> {
        let &i = self.by_real.get(real)?;
        Some(&self.entries[i as usize].pseudonym)
    }

    /// Whether `pseudonym` was issued by this table (secrets included).
    #[must_use]
    pub fn is_issued(&self, pseudonym: &str) -> bool {
        self.by_pseudonym.contains_key(pseudonym)
    }

    pub(crate) fn is_reserved(&self, text: &str) -> bool {
        self.reserved.contains(text)
    }

    pub(crate) fn reserve(&mut self, text: String) {
        self.reserved.insert(text);
    }

    pub(crate) fn checkpoint(&self) -> Checkpoint {
        Checkpoint(self.entries.len())
    }

    /// Forgets every pseudonym issued since `checkpoint`, so that a scrub that failed leaves the
    /// numbering as it was.
    pub(crate) fn rollback(&mut self, checkpoint: Checkpoint) {
        if self.entries.len() <= checkpoint.0 {
            return;
        }
        let kept: Vec<Entry> = self.entries.drain(..checkpoint.0).collect();
        let secrets: HashMap<[u8; 32], u32> = std::mem::take(&mut self.secrets)
            .into_iter()
            .filter(|(_, i)| (*i as usize) < checkpoint.0)
            .collect();
        let reserved = std::mem::take(&mut self.reserved);
        let variants = std::mem::take(&mut self.variants);
        *self = PseudonymTable {
            reserved,
            ..PseudonymTable::default()
        };
        for entry in kept {
            self.insert(entry);
        }
        self.secrets = secrets;
        // A variant of a forgotten pseudonym would restore the wrong name once it is reissued.
        for (pseudonym, real) in variants {
            self.record_variant(pseudonym, real);
        }
    }

    /// The pseudonym of a name or address, issuing one if needed. `owner` (a pod's Deployment)
    /// prefixes it; `taken` says whether a candidate occurs as real text somewhere.
    pub(crate) fn name(
        &mut self,
        real: &str,
        category: Category,
        owner: Option<(&str, Category)>,
        taken: &dyn Fn(&str) -> bool,
    ) -> String {
        if let Some(p) = self.pseudonym_of(real) {
            return p.to_owned();
        }
        let prefix = match owner {
            Some((owner, owner_category)) => {
                let owner = self.name(owner, owner_category, None, taken);
                format!("{owner}-{}", category.prefix())
            }
            None => category.prefix().to_owned(),
        };
        let pseudonym = self.next(&prefix, taken);
        self.insert(Entry {
            pseudonym: pseudonym.clone(),
            category,
            real: Some(real.to_owned()),
        });
        pseudonym
    }

    /// The pseudonym of a secret value, issuing one if needed. Only a hash of the value is kept.
    pub(crate) fn secret(&mut self, value: &str, taken: &dyn Fn(&str) -> bool) -> String {
        let hash: [u8; 32] = Sha256::digest(value.as_bytes()).into();
        if let Some(&i) = self.secrets.get(&hash) {
            return self.entries[i as usize].pseudonym.clone();
        }
        let pseudonym = self.next(Category::Secret.prefix(), taken);
        let index = self.insert(Entry {
            pseudonym: pseudonym.clone(),
            category: Category::Secret,
            real: None,
        });
        self.secrets.insert(hash, index);
        pseudonym
    }

    fn next(&mut self, prefix: &str, taken: &dyn Fn(&str) -> bool) -> String {
        let mut n = self.counters.get(prefix).copied().unwrap_or(0);
        loop {
            n += 1;
            let candidate = format!("{prefix}-{n}");
            let clash = taken(&candidate)
                || self.reserved.contains(&candidate)
                || self.by_real.contains_key(&candidate)
                || self.by_pseudonym.contains_key(&candidate);
            if !clash {
                self.counters.insert(prefix.to_owned(), n);
                return candidate;
            }
        }
    }

    fn insert(&mut self, entry: Entry) -> u32 {
        let index = u32::try_from(self.entries.len()).unwrap_or(u32::MAX);
        if let Some((prefix, n)) = entry.pseudonym.rsplit_once('-')
            && let Ok(n) = n.parse::<u32>()
        {
            let counter = self.counters.entry(prefix.to_owned()).or_insert(0);
            *counter = (*counter).max(n);
        }
        if let Some(real) = &entry.real {
            self.by_real.insert(real.clone(), index);
        }
        self.by_pseudonym.insert(entry.pseudonym.clone(), index);
        self.entries.push(entry);
        index
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn free(_: &str) -> bool {
        false
    }

    #[test]
    fn pseudonyms_are_typed_numbered_and_stable() {
        let mut t = PseudonymTable::new();
        assert_eq!(
            t.name("checkout", Category::Deployment, None, &free),
            "deployment-1"
        );
        assert_eq!(
            t.name("shop", Category::Namespace, None, &free),
            "namespace-1"
        );
        assert_eq!(
            t.name("checkout", Category::Service, None, &free),
            "deployment-1"
        );
        let owner = Some(("checkout", Category::Deployment));
        assert_eq!(
            t.name("checkout-7d-a", Category::Pod, owner, &free),
            "deployment-1-pod-1"
        );
        assert_eq!(
            t.name("checkout-7d-b", Category::Pod, owner, &free),
            "deployment-1-pod-2"
        );
        assert_eq!(t.restore("deployment-1-pod-2"), Some("checkout-7d-b"));
    }

    #[test]
    fn a_number_whose_pseudonym_is_real_text_is_skipped() {
        let mut t = PseudonymTable::new();
        t.reserve("pod-2".into());
        let taken = |c: &str| c == "pod-1";
        assert_eq!(t.name("a", Category::Pod, None, &taken), "pod-3");
        assert_eq!(t.name("b", Category::Pod, None, &taken), "pod-4");
    }

    #[test]
    fn secrets_are_never_stored_or_restored() {
        let mut t = PseudonymTable::new();
        let p = t.secret("hunter2", &free);
        assert_eq!(p, "secret-1");
        assert_eq!(t.secret("hunter2", &free), "secret-1");
        assert!(t.restore("secret-1").is_none() && t.is_issued("secret-1"));
        let json = serde_json::to_string(&t).unwrap();
        assert!(!json.contains("hunter2"), "{json}");
    }

    #[test]
    fn the_table_survives_serialization_and_keeps_numbering() {
        let mut t = PseudonymTable::new();
        t.name("checkout", Category::Deployment, None, &free);
        t.secret("hunter2", &free);
        let mut back: PseudonymTable =
            serde_json::from_str(&serde_json::to_string(&t).unwrap()).unwrap();
        assert_eq!(back.restore("deployment-1"), Some("checkout"));
        assert_eq!(
            back.name("orders", Category::Deployment, None, &free),
            "deployment-2"
        );
        assert_eq!(back.secret("other", &free), "secret-2");
    }

    #[test]
    fn variants_in_another_case_restore_as_written_and_survive_serialization() {
        let mut t = PseudonymTable::new();
        t.name("checkout", Category::Service, None, &free);
        t.record_variant("Service-1".into(), "Checkout".into());
        // Only a case variant of the name itself.
        t.record_variant("SERVICE-1".into(), "orders".into());
        assert_eq!(t.restore_variant("Service-1"), Some("Checkout"));
        assert_eq!(t.restore_variant("SERVICE-1"), None);
        let back: PseudonymTable =
            serde_json::from_str(&serde_json::to_string(&t).unwrap()).unwrap();
        assert_eq!(back.restore_variant("Service-1"), Some("Checkout"));
    }

    #[test]
    fn rollback_forgets_the_variants_of_what_it_forgets() {
        let mut t = PseudonymTable::new();
        let checkpoint = t.checkpoint();
        t.name("checkout", Category::Service, None, &free);
        t.record_variant("Service-1".into(), "Checkout".into());
        t.rollback(checkpoint);
        t.name("orders", Category::Service, None, &free);
        assert_eq!(t.restore_variant("Service-1"), None);
    }

    #[test]
    fn rollback_forgets_what_a_failed_scrub_issued() {
        let mut t = PseudonymTable::new();
        t.name("a", Category::Pod, None, &free);
        let checkpoint = t.checkpoint();
        t.name("b", Category::Pod, None, &free);
        t.secret("s3cr3t", &free);
        t.rollback(checkpoint);
        assert_eq!(t.len(), 1);
        assert_eq!(t.name("c", Category::Pod, None, &free), "pod-2");
        assert_eq!(t.secret("s3cr3t", &free), "secret-1");
    }
}
