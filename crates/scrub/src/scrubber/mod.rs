//! The scrubber: the dictionary, the detectors and the user's patterns applied under one
//! policy, with one pseudonym table. Every output is checked again before it is returned: the
//! same matchers run over the final bytes, and any hit aborts with [`ScrubError::Leak`].

mod find;
mod json;

use std::collections::HashSet;
use std::sync::Arc;

use crate::config::Compiled;
use crate::detect::{Detectors, detectors};
use crate::dictionary::{Dictionary, DictionaryBuilder, Part as DnsPart, Pattern};
use crate::spans::{Source, Span, Target};
use crate::{
    Category, Part, Policy, PseudonymTable, ScrubConfig, ScrubError, Scrubbed, mask_credential,
};

/// Scrubs text and JSON under one policy, with one pseudonym table.
#[derive(Debug, Clone)]
pub struct Scrubber {
    dictionary: Arc<Dictionary>,
    extra_names: DictionaryBuilder,
    extra: Dictionary,
    config: Compiled,
    policy: Policy,
    table: PseudonymTable,
    detectors: &'static Detectors,
}

impl Scrubber {
    /// A scrubber over `dictionary` with the user's `[scrub]` settings. Fails when a user
    /// pattern or one of kubewhy's detectors does not compile: a scrubber that cannot do its
    /// job does not exist.
    pub fn new(
        dictionary: Arc<Dictionary>,
        config: &ScrubConfig,
        policy: Policy,
    ) -> Result<Self, ScrubError> {
        Ok(Self {
            dictionary,
            extra_names: DictionaryBuilder::new(),
            extra: Dictionary::default(),
            config: Compiled::new(config)?,
            policy,
            table: PseudonymTable::new(),
            detectors: detectors()?,
        })
    }

    /// Continues with a table kept from earlier turns, so that a follow-up uses the same
    /// pseudonyms. Every name in the table is scrubbed again wherever it appears.
    pub fn with_table(mut self, table: PseudonymTable) -> Result<Self, ScrubError> {
        let names: Vec<(String, Category)> = table
            .entries()
            .iter()
            .filter_map(|e| e.real.clone().map(|real| (real, e.category)))
            .collect();
        self.table = table;
        self.add_names(names.iter().map(|(n, c)| (n.as_str(), *c)))?;
        Ok(self)
    }

    /// Adds names that are not in the snapshot's dictionary, such as the names the causal-chain
    /// resolver pulled from evidence.
    pub fn add_names<'a>(
        &mut self,
        names: impl IntoIterator<Item = (&'a str, Category)>,
    ) -> Result<(), ScrubError> {
        for (name, category) in names {
            if !self.dictionary.contains(name) {
                self.extra_names.name(name, category);
            }
        }
        self.extra = self.extra_names.clone().build()?;
        Ok(())
    }

    /// Names replaced wherever they stand as words, even ordinary words (`cart`): the objects
    /// and namespaces a text is known to be about (an issue's), which prose does not always
    /// mark as names (`FATAL cart giving up`).
    pub fn insist_on<'a>(
        &mut self,
        names: impl IntoIterator<Item = (&'a str, Category)>,
    ) -> Result<(), ScrubError> {
        for (name, category) in names {
            self.extra_names.strong_name(name, category);
        }
        self.extra = self.extra_names.clone().build()?;
        Ok(())
    }

    /// The policy.
    #[must_use]
    pub fn policy(&self) -> Policy {
        self.policy
    }

    /// The pseudonyms issued so far. For the user's eyes only: never put it in a report.
    #[must_use]
    pub fn table(&self) -> &PseudonymTable {
        &self.table
    }

    /// The table, to keep with a conversation.
    #[must_use]
    pub fn into_table(self) -> PseudonymTable {
        self.table
    }

    /// Scrubs free text: an event message, a log, a termination message, a chat turn.
    pub fn scrub_text(&mut self, text: &str) -> Result<Scrubbed, ScrubError> {
        let checkpoint = self.table.checkpoint();
        let result = self.scrub_str(text, true).and_then(|out| {
            self.verify(&out, true)?;
            Ok(out)
        });
        match result {
            Ok(out) => Ok(Scrubbed::text(out, self.policy)),
            Err(e) => {
                self.table.rollback(checkpoint);
                Err(e)
            }
        }
    }

    /// Joins templates and scrubbed parts into one message, then checks the final bytes again.
    /// A part scrubbed under a weaker policy than this scrubber's is refused.
    pub fn assemble(&self, parts: &[Part<'_>]) -> Result<Scrubbed, ScrubError> {
        let mut text = String::new();
        for part in parts {
            match part {
                Part::Template(t) => text.push_str(t.as_str()),
                Part::Scrubbed(s) => {
                    if !self.policy.accepts(s.policy()) {
                        return Err(ScrubError::PolicyMismatch {
                            part: s.policy(),
                            wanted: self.policy,
                        });
                    }
                    text.push_str(s.as_str());
                }
            }
        }
        self.verify(&text, false)?;
        Ok(Scrubbed::text(text, self.policy))
    }

    /// The final check: fails when anything the scrubber would replace is still in `text`.
    pub fn check(&self, text: &str) -> Result<(), ScrubError> {
        self.verify(text, false)
    }

    fn verify(&self, text: &str, whole: bool) -> Result<(), ScrubError> {
        let marks = self.marks(text)?;
        let spans = self.spans(text, whole, &marks.issued);
        match spans.first() {
            None => Ok(()),
            Some(span) => Err(ScrubError::Leak {
                what: describe(span.target),
                masked: mask_credential(&text[span.start..span.end]),
                offset: span.start,
            }),
        }
    }

    /// Scrubs one string and renders it; the table records new pseudonyms.
    fn scrub_str(&mut self, text: &str, whole: bool) -> Result<String, ScrubError> {
        let marks = self.marks(text)?;
        for reserved in marks.reserved {
            self.table.reserve(reserved);
        }
        let spans = self.spans(text, whole, &marks.issued);
        Ok(self.render(text, &spans))
    }

    fn render(&mut self, text: &str, spans: &[Span]) -> String {
        let mut out = String::with_capacity(text.len() + text.len() / 8);
        let mut at = 0;
        for span in spans {
            out.push_str(&text[at..span.start]);
            let replacement = self.replacement(&text[span.start..span.end], span.target);
            out.push_str(&replacement);
            at = span.end;
        }
        out.push_str(&text[at..]);
        out
    }

    fn replacement(&mut self, matched: &str, target: Target) -> String {
        let (main, extra) = (&self.dictionary, &self.extra);
        let taken = |candidate: &str| main.contains(candidate) || extra.contains(candidate);
        match target {
            Target::Secret => self.table.secret(matched, &taken),
            Target::Found(category) => self.table.name(matched, category, None, &taken),
            Target::Pattern(source, id) => {
                let dictionary = match source {
                    Source::Main => main.as_ref(),
                    Source::Extra => extra,
                };
                match dictionary.pattern(id) {
                    Pattern::Name(id) => {
                        let pseudonym = name_pseudonym(&mut self.table, dictionary, id, &taken);
                        in_case_of(
                            &mut self.table,
                            matched,
                            &dictionary.name(id).text,
                            pseudonym,
                        )
                    }
                    Pattern::Dns(dns) => {
                        let mut part = |part: &DnsPart| match part {
                            DnsPart::Literal(text) => text.to_string(),
                            DnsPart::Name(id) => {
                                name_pseudonym(&mut self.table, dictionary, *id, &taken)
                            }
                        };
                        let service = part(&dns.service);
                        let namespace = part(&dns.namespace);
                        format!("{service}.{namespace}{}", dns.suffix)
                    }
                }
            }
        }
    }
}

/// What the final check found, for the error message.
fn describe(target: Target) -> &'static str {
    match target {
        Target::Secret => "a secret",
        Target::Found(Category::Custom) => "a match of a [scrub] pattern",
        Target::Found(_) => "an address or identifier",
        Target::Pattern(..) => "a name from the cluster",
    }
}

fn name_pseudonym(
    table: &mut PseudonymTable,
    dictionary: &Dictionary,
    id: u32,
    taken: &dyn Fn(&str) -> bool,
) -> String {
    let name = dictionary.name(id);
    if name.category.is_secret() {
        return table.secret(&name.text, taken);
    }
    let owner = name.owner.map(|o| dictionary.name(o));
    table.name(
        &name.text,
        name.category,
        owner.map(|o| (&*o.text, o.category)),
        taken,
    )
}

/// The pseudonym in the case of the text it replaces (`Deployment-1` for `Checkout`,
/// `DEPLOYMENT-1` for `CHECKOUT`), remembered so that an echo comes back as it was written.
/// Text in the name's own case, and secrets, keep the pseudonym as issued.
fn in_case_of(table: &mut PseudonymTable, matched: &str, name: &str, pseudonym: String) -> String {
    if matched == name || !matched.eq_ignore_ascii_case(name) || pseudonym.starts_with("secret-") {
        return pseudonym;
    }
    let written = if matched.bytes().any(|b| b.is_ascii_lowercase()) {
        let mut chars = pseudonym.chars();
        chars.next().map_or_else(String::new, |first| {
            first.to_ascii_uppercase().to_string() + chars.as_str()
        })
    } else {
        pseudonym.to_ascii_uppercase()
    };
    table.record_variant(written.clone(), matched.to_owned());
    written
}

/// What the pseudonym-shaped strings of a text are: issued pseudonyms (byte ranges) and real
/// text that only looks like one.
struct Marks {
    issued: Vec<(usize, usize)>,
    reserved: HashSet<String>,
}

#[cfg(test)]
mod tests;
