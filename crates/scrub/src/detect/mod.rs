//! Detectors: regular expressions, each with a check that rejects look-alikes, that find secrets
//! and addresses in any text, whether or not the snapshot knows them. Secret detectors run under
//! every policy; address detectors only when names are replaced.

mod checks;
mod rules;

use std::sync::LazyLock;

use regex::{Captures, Regex};

use crate::{Category, ScrubError};

pub(crate) use checks::{key_looks_secret, value_is_placeholder};

/// One match of a detector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Hit {
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) category: Category,
    /// The detector's position in the table: on equal spans, the earlier detector wins.
    pub(crate) rank: usize,
}

/// What a check sees: the whole text, the detector's captures and the group being checked.
pub(crate) struct Ctx<'t, 'c> {
    pub(crate) text: &'t str,
    pub(crate) caps: &'c Captures<'t>,
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) category: Category,
}

impl Ctx<'_, '_> {
    pub(crate) fn matched(&self) -> &str {
        &self.text[self.start..self.end]
    }
}

/// Accepts a match (possibly changing its category) or rejects it.
pub(crate) type Check = fn(&Ctx<'_, '_>) -> Option<Category>;

/// A detector as written in the table.
pub(crate) struct Rule {
    pub(crate) name: &'static str,
    pub(crate) pattern: &'static str,
    /// The capture groups that are replaced, with their categories; group 0 is the whole match.
    pub(crate) groups: &'static [(usize, Category)],
    pub(crate) check: Option<Check>,
}

struct Detector {
    rule: &'static Rule,
    regex: Regex,
}

/// Every detector, compiled.
pub(crate) struct Detectors {
    secrets: Vec<Detector>,
    addresses: Vec<Detector>,
}

impl std::fmt::Debug for Detectors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Detectors({} + {})",
            self.secrets.len(),
            self.addresses.len()
        )
    }
}

static DETECTORS: LazyLock<Result<Detectors, (&'static str, regex::Error)>> =
    LazyLock::new(Detectors::compile);

/// The compiled detectors; an error when one of them does not compile, so that a broken
/// detector stops every send instead of silently letting its matches through.
pub(crate) fn detectors() -> Result<&'static Detectors, ScrubError> {
    DETECTORS
        .as_ref()
        .map_err(|(name, source)| ScrubError::Detector {
            name,
            source: source.clone(),
        })
}

impl Detectors {
    fn compile() -> Result<Self, (&'static str, regex::Error)> {
        let build = |rules: &'static [Rule]| {
            rules
                .iter()
                .map(|rule| {
                    Regex::new(rule.pattern)
                        .map(|regex| Detector { rule, regex })
                        .map_err(|e| (rule.name, e))
                })
                .collect::<Result<Vec<_>, _>>()
        };
        Ok(Self {
            secrets: build(rules::SECRETS)?,
            addresses: build(rules::ADDRESSES)?,
        })
    }

    /// Appends every hit in `text` to `out`: secrets always, addresses when `addresses` is set.
    pub(crate) fn find(&self, text: &str, addresses: bool, out: &mut Vec<Hit>) {
        let lists: &[&Vec<Detector>] = if addresses {
            &[&self.secrets, &self.addresses]
        } else {
            &[&self.secrets]
        };
        let mut rank = 0;
        for list in lists {
            for detector in *list {
                detector.find(text, rank, out);
                rank += 1;
            }
        }
    }
}

impl Detector {
    fn find(&self, text: &str, rank: usize, out: &mut Vec<Hit>) {
        for caps in self.regex.captures_iter(text) {
            for &(group, category) in self.rule.groups {
                let Some(m) = caps.get(group) else { continue };
                if m.is_empty() {
                    continue;
                }
                let ctx = Ctx {
                    text,
                    caps: &caps,
                    start: m.start(),
                    end: m.end(),
                    category,
                };
                let verdict = match self.rule.check {
                    Some(check) => check(&ctx),
                    None => Some(category),
                };
                if let Some(category) = verdict {
                    out.push(Hit {
                        start: m.start(),
                        end: m.end(),
                        category,
                        rank,
                    });
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
