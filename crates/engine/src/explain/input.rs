//! What one issue's prompt is made of: the issue's typed fields as one text, and its evidence
//! as budget sections, every piece scrubbed before it joins a prompt. Volatile values are
//! rendered in stable forms (counts in buckets, timestamps left out, log lines deduplicated)
//! so that the cache keeps hitting on a cluster that moves on.

use std::{collections::BTreeSet, fmt::Write as _};

use kubewhy_llm::budget::{Order, Section};
use kubewhy_model::{Evidence, Issue, ObjectRef};
use kubewhy_scrub::{ScrubError, Scrubbed, Scrubber};

/// Objects listed by name; the rest are counted.
const MAX_OBJECTS: usize = 20;

/// The issue's typed fields, scrubbed: check, severity, message, objects, chain and fix.
pub(crate) fn issue_text(
    issue: &Issue,
    names: &Names,
    scrubber: &mut Scrubber,
) -> Result<Scrubbed, ScrubError> {
    scrubber.scrub_text(&names.quote(&describe(issue)))
}

/// The names of the issue's own objects and their namespaces. The scrubber replaces a name that
/// is an ordinary word (`cart`, `web`) only where the text uses it as a name, and a free-text
/// message does not always show that; quoting these names wherever they stand as words tells it.
pub(crate) struct Names(Vec<String>);

impl Names {
    pub(crate) fn of(issue: &Issue) -> Self {
        let objects = std::iter::once(&issue.root)
            .chain(&issue.objects)
            .chain(&issue.related)
            .chain(issue.chain.iter().map(|l| &l.object));
        let mut names = BTreeSet::new();
        for o in objects {
            names.insert(o.name.clone());
            names.extend(o.namespace.clone());
        }
        let mut names: Vec<String> = names.into_iter().filter(|n| !n.is_empty()).collect();
        // Longest first, so that `cart` does not split `cart-db`.
        names.sort_by_key(|n| std::cmp::Reverse(n.len()));
        Self(names)
    }

    /// `text` with each name that stands as a word of its own in backticks.
    pub(crate) fn quote(&self, text: &str) -> String {
        let mut text = text.to_owned();
        for name in &self.0 {
            text = quote_one(&text, name);
        }
        text
    }
}

fn quote_one(text: &str, name: &str) -> String {
    let glued = |c: Option<char>| {
        c.is_some_and(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '`' | '"' | '\''))
    };
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (i, _) in text.match_indices(name) {
        let end = i + name.len();
        if i < last || glued(text[..i].chars().next_back()) || glued(text[end..].chars().next()) {
            continue;
        }
        out.push_str(&text[last..i]);
        out.push('`');
        out.push_str(name);
        out.push('`');
        last = end;
    }
    out.push_str(&text[last..]);
    out
}

fn describe(issue: &Issue) -> String {
    let mut text = String::new();
    // Writing to a String cannot fail.
    let _ = writeln!(text, "check: {} ({})", issue.check, issue.title);
    let _ = writeln!(text, "severity: {}", issue.severity.as_str());
    let _ = writeln!(text, "root object: {}", object(&issue.root));
    let _ = writeln!(text, "problem: {}", issue.message);
    if issue.objects.len() > 1 || issue.objects.first() != Some(&issue.root) {
        let mut names: Vec<String> = issue.objects.iter().take(MAX_OBJECTS).map(object).collect();
        if issue.objects.len() > MAX_OBJECTS {
            names.push(format!("and {} more", issue.objects.len() - MAX_OBJECTS));
        }
        let _ = writeln!(text, "affected objects: {}", names.join(", "));
    }
    if !issue.related.is_empty() {
        let names: Vec<String> = issue.related.iter().take(MAX_OBJECTS).map(object).collect();
        let _ = writeln!(text, "related objects: {}", names.join(", "));
    }
    if !issue.chain.is_empty() {
        let _ = writeln!(text, "causal chain:");
        for link in &issue.chain {
            let _ = write!(text, "- {} {}", object(&link.object), link.problem);
            if link.root_cause {
                text.push_str(" (likely root cause)");
            }
            if let Some(evidence) = &link.evidence {
                let _ = write!(text, "; seen in: {evidence}");
            }
            text.push('\n');
        }
    }
    if let Some(fix) = &issue.fix {
        let _ = writeln!(text, "suggested fix: {fix}");
    }
    text
}

fn object(o: &ObjectRef) -> String {
    match &o.namespace {
        Some(ns) => format!("{} {ns}/{}", o.kind, o.name),
        None => format!("{} {}", o.kind, o.name),
    }
}

/// The evidence as budget sections, in priority order: events, container states, the log
/// tails (error lines first), then conditions.
pub(crate) fn sections(
    evidence: &Evidence,
    names: &Names,
    scrubber: &mut Scrubber,
) -> Result<Vec<Section>, ScrubError> {
    let events = evidence.events.iter().map(|e| {
        format!(
            "{} {} {} ({}): {}",
            e.object,
            e.type_,
            e.reason,
            bucket(e.count),
            e.message
        )
    });
    let containers = evidence.containers.iter().map(|c| {
        let mut line = format!("{}/{} {}", c.pod, c.container, c.state);
        if let Some(reason) = &c.reason {
            let _ = write!(line, " {reason}");
        }
        if let Some(code) = c.exit_code {
            let _ = write!(line, " exit code {code}");
        }
        if c.restarts > 0 {
            let _ = write!(line, ", restarts {}", bucket(c.restarts));
        }
        if let Some(last) = &c.last_termination {
            let _ = write!(line, ", last termination: {last}");
        }
        if let Some(message) = &c.message {
            let _ = write!(line, ": {message}");
        }
        line
    });
    let logs = evidence.logs.iter().flat_map(|log| {
        let previous = if log.previous { " (previous)" } else { "" };
        log.lines
            .iter()
            .map(move |l| format!("{}/{}{previous}: {}", log.pod, log.container, l.trim_end()))
    });
    let conditions = evidence.conditions.iter().map(|c| {
        let mut line = format!("{} {}={}", c.object, c.type_, c.status);
        if let Some(reason) = &c.reason {
            let _ = write!(line, " {reason}");
        }
        if let Some(message) = &c.message {
            let _ = write!(line, ": {message}");
        }
        line
    });
    Ok(vec![
        section("events", "events", events, Order::First, names, scrubber)?,
        section(
            "containers",
            "container states",
            containers,
            Order::First,
            names,
            scrubber,
        )?,
        section(
            "logs",
            "log lines",
            logs,
            Order::ErrorsFirst,
            names,
            scrubber,
        )?,
        section(
            "conditions",
            "conditions",
            conditions,
            Order::First,
            names,
            scrubber,
        )?,
    ])
}

fn section(
    name: &'static str,
    unit: &'static str,
    lines: impl Iterator<Item = String>,
    order: Order,
    names: &Names,
    scrubber: &mut Scrubber,
) -> Result<Section, ScrubError> {
    let mut seen = BTreeSet::new();
    let mut items = Vec::new();
    for line in lines {
        // The same line from fifty pods is one line.
        if seen.insert(line.clone()) {
            items.push(scrubber.scrub_text(&names.quote(&line))?);
        }
    }
    Ok(Section {
        name,
        unit,
        items,
        order,
    })
}

/// A count in a stable bucket, so that one more restart does not change the prompt.
fn bucket(count: i32) -> &'static str {
    match count {
        ..=1 => "once",
        2..=4 => "a few times",
        5..=19 => "many times",
        _ => "dozens of times or more",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_standing_as_words_are_quoted_and_others_left_alone() {
        assert_eq!(
            quote_one(
                "HorizontalPodAutoscaler shop/cart targets `cart`, not cart-db",
                "cart"
            ),
            "HorizontalPodAutoscaler shop/`cart` targets `cart`, not cart-db"
        );
        assert_eq!(quote_one("cartridge", "cart"), "cartridge");
    }

    #[test]
    fn counts_fall_into_buckets_so_prompts_stay_stable() {
        assert_eq!(bucket(1), "once");
        assert_eq!(bucket(3), bucket(4));
        assert_eq!(bucket(7), bucket(12));
        assert_ne!(bucket(3), bucket(30));
    }
}
