//! Restoring names in an answer as it streams: each delta is unscrubbed before it becomes an
//! event, so the terminal shows real names, never pseudonyms. A pseudonym may arrive split
//! across two deltas (`deploy` then `ment-1`), so a trailing word that could still grow is held
//! back until the next delta, or the end of the answer, completes it.

use kubewhy_scrub::{PseudonymTable, unscrub};

/// The restorer of one streamed answer.
pub(crate) struct StreamUnscrub<'t> {
    table: &'t PseudonymTable,
    pending: String,
}

impl<'t> StreamUnscrub<'t> {
    pub(crate) fn new(table: &'t PseudonymTable) -> Self {
        Self {
            table,
            pending: String::new(),
        }
    }

    /// The text of `delta` (and what was held back before it) that can be shown now, names
    /// restored; a trailing word waits for the next delta.
    pub(crate) fn push(&mut self, delta: &str) -> String {
        self.pending.push_str(delta);
        let cut = self
            .pending
            .char_indices()
            .rev()
            .find(|(_, c)| !part_of_word(*c))
            .map_or(0, |(i, c)| i + c.len_utf8());
        let ready: String = self.pending.drain(..cut).collect();
        self.restore(&ready)
    }

    /// What was held back, at the end of the answer.
    pub(crate) fn finish(&mut self) -> String {
        let rest = std::mem::take(&mut self.pending);
        self.restore(&rest)
    }

    /// Forgets what was held back: after a retry, the answer starts over.
    pub(crate) fn reset(&mut self) {
        self.pending.clear();
    }

    fn restore(&self, text: &str) -> String {
        if text.is_empty() {
            return String::new();
        }
        // Text that cannot be read back is not shown: the finished explanation says why.
        unscrub(self.table, text)
            .map(|restored| restored.text)
            .unwrap_or_default()
    }
}

/// Characters a pseudonym (`deployment-1-pod-2`, `pod-3's`) is made of.
fn part_of_word(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '-' | '\'' | '_')
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use kubewhy_scrub::{Category, DictionaryBuilder, Policy, ScrubConfig, Scrubber};

    use super::*;

    /// A table that knows the Deployment `checkout` and the namespace `shop`, and the
    /// pseudonyms the scrubber gave them.
    fn table() -> (PseudonymTable, String, String) {
        let mut names = DictionaryBuilder::new();
        names
            .name("checkout", Category::Deployment)
            .name("shop", Category::Namespace);
        let dictionary = Arc::new(names.build().unwrap());
        let mut scrubber =
            Scrubber::new(dictionary, &ScrubConfig::default(), Policy::Pseudonymize).unwrap();
        let sent = scrubber.scrub_text("checkout in shop").unwrap();
        let words: Vec<String> = sent
            .as_str()
            .split_whitespace()
            .map(str::to_owned)
            .collect();
        assert_ne!(words[0], "checkout", "{words:?}");
        (scrubber.into_table(), words[0].clone(), words[2].clone())
    }

    #[test]
    fn a_pseudonym_split_across_deltas_is_restored_whole() {
        let (table, deployment, namespace) = table();
        let mut stream = StreamUnscrub::new(&table);
        let text = format!("Restart {deployment} in {namespace} now.");
        let mut shown = String::new();
        // Every split point, two characters at a time, the way a stream cuts words.
        let chars: Vec<char> = text.chars().collect();
        for chunk in chars.chunks(2) {
            let delta: String = chunk.iter().collect();
            let out = stream.push(&delta);
            assert!(!out.contains(&deployment[..deployment.len() - 1]), "{out}");
            shown.push_str(&out);
        }
        shown.push_str(&stream.finish());
        assert_eq!(shown, "Restart checkout in shop now.");
    }

    #[test]
    fn a_trailing_word_waits_and_a_retry_forgets_it() {
        let (table, deployment, _) = table();
        let mut stream = StreamUnscrub::new(&table);
        let (head, tail) = deployment.split_at(deployment.len() - 1);
        assert_eq!(stream.push(&format!("see {head}")), "see ");
        assert_eq!(stream.push(tail), "");
        assert_eq!(stream.push("."), "checkout.");
        assert_eq!(stream.push(&format!("again {head}")), "again ");
        stream.reset();
        assert_eq!(stream.push("fresh start "), "fresh start ");
        assert_eq!(stream.finish(), "");
    }
}
