//! Matching the signature library against an issue's lines: every signature that matches, the
//! highest priority first, each with the line it matched and its pattern's named groups.

use std::collections::{BTreeMap, BTreeSet};

use super::library::Signature;
use super::lines::Line;
use super::template;

/// At most this many signatures are reported for one issue: the cause and what backs it up.
const MAX_MATCHES: usize = 4;

/// One signature that matched one line.
#[derive(Debug)]
pub struct Match<'a> {
    /// The signature.
    pub signature: &'a Signature,
    /// The line it matched.
    pub line: Line,
    /// The named groups of the pattern that matched.
    pub captures: BTreeMap<String, String>,
    /// Where in the line the pattern matched, in bytes.
    pub span: (usize, usize),
}

/// The signatures that match `lines`, highest priority first (library order breaks ties).
/// A signature tries its patterns in order, each over every line, so a pattern written first
/// (the one that captures the most) wins over a looser one that matches an earlier line.
pub fn find<'a>(signatures: &'a [Signature], lines: &[Line]) -> Vec<Match<'a>> {
    let mut found: Vec<Match<'a>> = signatures
        .iter()
        .filter_map(|signature| first_match(signature, lines))
        .collect();
    // A stable sort keeps library order among equal priorities.
    found.sort_by_key(|m| std::cmp::Reverse(m.signature.spec.priority));
    found.truncate(MAX_MATCHES);
    found
}

fn first_match<'a>(signature: &'a Signature, lines: &[Line]) -> Option<Match<'a>> {
    for pattern in &signature.patterns {
        for line in lines.iter().filter(|l| signature.watches(l.source)) {
            let Some(caps) = pattern.captures(&line.text) else {
                continue;
            };
            let captures = pattern
                .capture_names()
                .flatten()
                .filter_map(|name| {
                    caps.name(name)
                        .map(|m| (name.to_owned(), m.as_str().trim().to_owned()))
                })
                .filter(|(_, value)| !value.is_empty())
                .collect();
            let whole = caps.get(0).map_or((0, 0), |m| (m.start(), m.end()));
            return Some(Match {
                signature,
                line: line.clone(),
                captures,
                span: whole,
            });
        }
    }
    None
}

/// Problems with the library's templates: unknown placeholders, duplicate ids, signatures
/// without patterns, fix steps or verify steps.
pub fn template_problems(signatures: &[Signature]) -> Vec<String> {
    let mut problems = Vec::new();
    let mut ids = BTreeSet::new();
    for signature in signatures {
        let spec = &signature.spec;
        if !ids.insert(spec.id.as_str()) {
            problems.push(format!("{}: the id is used twice", spec.id));
        }
        if spec.family.is_empty()
            || spec.patterns.is_empty()
            || spec.fix.is_empty()
            || spec.verify.is_empty()
        {
            problems.push(format!(
                "{}: needs a family, patterns, fix and verify steps",
                spec.id
            ));
        }
        let captures: Vec<&str> = signature
            .patterns
            .iter()
            .flat_map(|p| p.capture_names().flatten())
            .collect();
        let templates = [&spec.title, &spec.explanation, &spec.cause]
            .into_iter()
            .chain(&spec.fix)
            .chain(&spec.verify)
            .chain(spec.commands.iter().map(|c| &c.run));
        for text in templates {
            for word in template::unknown(text, &captures) {
                problems.push(format!("{}: unknown placeholder {word}", spec.id));
            }
        }
    }
    problems
}
