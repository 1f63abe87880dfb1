//! Finding what to replace in one string: dictionary names, detector hits and user patterns,
//! minus what the user allowed and what is already a pseudonym of this table.

use std::collections::HashSet;

use super::{Marks, Scrubber};
use crate::dictionary::{Dictionary, Pattern};
use crate::spans::{Source, Span, Target, resolve};
use crate::unscrub::{mentions, split_known};
use crate::vocab::vocabulary;
use crate::{Category, ScrubError};

/// User patterns lose ties to kubewhy's own matchers, which know the category.
const CUSTOM_RANK: usize = 1000;

impl Scrubber {
    /// The pseudonym-shaped strings of `text`: issued ones, and real text that only looks like
    /// one (with every pseudonym inside it: `deployment-1` and `pod-2` of `deployment-1-pod-2`).
    pub(super) fn marks(&self, text: &str) -> Result<Marks, ScrubError> {
        let mut marks = Marks {
            issued: Vec::new(),
            reserved: HashSet::new(),
        };
        for mention in mentions(text)? {
            let core = mention.core;
            let lower = core.as_str().to_ascii_lowercase();
            let runs = split_known(&lower, |p| self.table.is_issued(p));
            for &(start, end, issued) in &runs {
                if issued {
                    marks
                        .issued
                        .push((core.start() + start, core.start() + end));
                }
            }
            if runs.iter().all(|&(_, _, issued)| issued) {
                continue;
            }
            // Every run of its parts looks like a pseudonym too, and may stand alone once a
            // neighbour is replaced (`deployment-1-pod-2` → `pod-2`).
            let parts: Vec<&str> = lower.split('-').collect();
            let pairs = parts.len() / 2;
            for first in 0..pairs {
                for last in first..pairs {
                    let run = parts[first * 2..=last * 2 + 1].join("-");
                    if !self.table.is_issued(&run) {
                        marks.reserved.insert(run);
                    }
                }
            }
        }
        Ok(marks)
    }

    /// Every span to replace in `text`, resolved so that none overlap.
    pub(super) fn spans(&self, text: &str, whole: bool, issued: &[(usize, usize)]) -> Vec<Span> {
        let names = self.policy.replaces_names();
        let mut spans = Vec::new();
        let mut found = Vec::new();
        let dictionaries = [
            (Source::Main, self.dictionary.as_ref()),
            (Source::Extra, &self.extra),
        ];
        for (source, dictionary) in dictionaries {
            found.clear();
            dictionary.find(text, whole, !names, &mut found);
            for f in &found {
                let target = match pattern_category(dictionary, f.pattern) {
                    Some(c) if c.is_secret() => Target::Secret,
                    Some(_) if self.config.allows(&text[f.start..f.end]) => continue,
                    _ => Target::Pattern(source, f.pattern),
                };
                spans.push(Span {
                    start: f.start,
                    end: f.end,
                    target,
                    rank: 0,
                });
            }
        }
        let mut hits = Vec::new();
        self.detectors.find(text, names, &mut hits);
        for hit in hits {
            let target = if hit.category.is_secret() {
                Target::Secret
            } else if self.config.allows(&text[hit.start..hit.end]) {
                continue;
            } else {
                Target::Found(hit.category)
            };
            spans.push(Span {
                start: hit.start,
                end: hit.end,
                target,
                rank: 1 + hit.rank,
            });
        }
        for pattern in &self.config.patterns {
            for caps in pattern.captures_iter(text) {
                let Some(m) = caps.get(1).or_else(|| caps.get(0)) else {
                    continue;
                };
                if m.is_empty() || self.config.allows(m.as_str()) {
                    continue;
                }
                spans.push(Span {
                    start: m.start(),
                    end: m.end(),
                    target: Target::Found(Category::Custom),
                    rank: CUSTOM_RANK,
                });
            }
        }
        if !issued.is_empty() {
            spans.retain(|s| !covered(text, s, issued));
        }
        resolve(text, spans)
    }
}

fn pattern_category(dictionary: &Dictionary, pattern: u32) -> Option<Category> {
    match dictionary.pattern(pattern) {
        Pattern::Name(id) => Some(dictionary.name(id).category),
        Pattern::Dns(_) => None,
    }
}

/// Whether a span is this table's doing rather than a leak: a name or address match that
/// touches a pseudonym (`repo-1/issues` after `github.com/acme/app/issues` was scrubbed), or a
/// secret match made only of pseudonyms, numbers and vocabulary (`password=secret-1`).
fn covered(text: &str, span: &Span, issued: &[(usize, usize)]) -> bool {
    let mut rest = String::new();
    let mut at = span.start;
    let mut overlaps = false;
    for &(start, end) in issued {
        if end <= span.start || start >= span.end {
            continue;
        }
        overlaps = true;
        if start > at {
            rest.push_str(&text[at..start]);
        }
        rest.push(' ');
        at = at.max(end.min(span.end));
    }
    if !overlaps {
        return false;
    }
    if span.target != Target::Secret {
        return true;
    }
    if at < span.end {
        rest.push_str(&text[at..span.end]);
    }
    rest.split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .all(|t| t.bytes().all(|b| b.is_ascii_digit()) || vocabulary().is_term(t))
}
