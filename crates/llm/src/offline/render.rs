//! Turning matches (or, without any, the catalog entry) into an explanation: the structured
//! parts, then the prose the terminal shows.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use kubewhy_analyzers::{check, fill_fix};
use kubewhy_model::{ChainLink, Issue};

use super::library::Source;
use super::lines::{Line, quote, quote_around};
use super::matcher::Match;
use super::template::Values;
use super::{Command, Confidence, Structured};

/// Quoted evidence lines are cut to this many characters.
const QUOTE_CHARS: usize = 240;
/// The quote of the matched line in the root cause is cut to this many characters.
const CAUSE_QUOTE_CHARS: usize = 160;
/// State and condition lines shown beside the matched ones.
const STATE_EVIDENCE: usize = 3;
/// Evidence lines shown when no signature matched.
const FALLBACK_EVIDENCE: usize = 4;

/// The structured parts and the paragraph on what the problem means.
pub fn build(issue: &Issue, lines: &[Line], matches: &[Match<'_>]) -> (Structured, String) {
    let Some(primary) = matches.first() else {
        return fallback(issue, lines);
    };
    let values = values(issue, primary);
    let spec = &primary.signature.spec;
    let mut root_cause = values.fill(&spec.cause);
    // The cause cites the text that shows it, so that it stands on its own.
    let _ = write!(
        root_cause,
        " Seen in {}: \"{}\".",
        primary.line.origin,
        quote_around(&primary.line.text, primary.span, CAUSE_QUOTE_CHARS)
    );
    let title = values.fill(&spec.title);
    let also: Vec<String> = matches[1..]
        .iter()
        .map(|m| self::values(issue, m).fill(&m.signature.spec.title))
        .filter(|t| *t != title)
        .collect();
    if !also.is_empty() {
        let _ = write!(root_cause, " Also seen: {}.", also.join("; "));
    }
    append_chain(&mut root_cause, &issue.chain);
    let mut evidence: Vec<String> = matches
        .iter()
        .map(|m| {
            let line = quote_around(&m.line.text, m.span, QUOTE_CHARS);
            format!("{}: \"{line}\"", m.line.origin)
        })
        .collect();
    let quoted: Vec<&str> = matches.iter().map(|m| m.line.text.as_str()).collect();
    // The object's own state and conditions, as a reader checks them first: the waiting
    // reason and exit code beside the log line that explains them.
    evidence.extend(
        lines
            .iter()
            .filter(|l| matches!(l.source, Source::State | Source::Condition))
            .filter(|l| !quoted.contains(&l.text.as_str()))
            // A bare `running` says nothing the issue does not.
            .filter(|l| l.text.contains(' '))
            .take(STATE_EVIDENCE)
            .map(|l| format!("{}: \"{}\"", l.origin, quote(&l.text, QUOTE_CHARS))),
    );
    evidence.extend(chain_evidence(&issue.chain, &quoted));
    let mut fix: Vec<String> = root_step(&issue.chain).into_iter().collect();
    fix.extend(spec.fix.iter().map(|step| values.fill(step)));
    let mut commands: Vec<Command> = root_command(&issue.chain).into_iter().collect();
    commands.extend(spec.commands.iter().map(|c| Command {
        command: values.fill(&c.run),
        read_only: !c.changing,
    }));
    add_catalog_command(issue, &mut commands);
    let structured = Structured {
        summary: format!("{}: {title}", issue.title),
        root_cause,
        evidence,
        fix,
        commands,
        verify: spec.verify.iter().map(|step| values.fill(step)).collect(),
        confidence: spec.confidence,
    };
    (structured, values.fill(&spec.explanation))
}

fn values<'a>(issue: &'a Issue, m: &Match<'_>) -> Values<'a> {
    let mut own = BTreeMap::new();
    own.insert(
        "match".to_owned(),
        quote_around(&m.line.text, m.span, QUOTE_CHARS),
    );
    own.insert("source".to_owned(), m.line.origin.clone());
    let service = issue
        .chain
        .iter()
        .find(|l| l.object.kind == "Service")
        .map(|l| l.object.name.clone())
        .or_else(|| m.captures.get("host").cloned());
    if let Some(service) = service {
        own.insert("service".to_owned(), service);
    }
    if let Some(root) = chain_root(&issue.chain) {
        own.insert("chain_root".to_owned(), describe(root));
    }
    // The catalog's {container} reads container states only; an issue with just a log tail
    // still names its container.
    if issue.evidence.containers.is_empty()
        && let Some(log) = issue.evidence.logs.first()
    {
        own.insert("container".to_owned(), log.container.clone());
    }
    for (name, value) in &m.captures {
        own.entry(name.clone()).or_insert_with(|| value.clone());
    }
    Values { issue, own }
}

fn chain_root(chain: &[ChainLink]) -> Option<&ChainLink> {
    chain.iter().find(|l| l.root_cause).or_else(|| chain.last())
}

fn describe(link: &ChainLink) -> String {
    format!(
        "{} {} ({})",
        link.object.kind, link.object.name, link.problem
    )
}

fn append_chain(root_cause: &mut String, chain: &[ChainLink]) {
    let Some(root) = chain_root(chain) else {
        return;
    };
    if chain.len() > 1 {
        let path: Vec<String> = chain.iter().map(describe).collect();
        let _ = write!(root_cause, " This is a symptom: {}.", path.join(" → "));
    }
    let _ = write!(
        root_cause,
        " The likely root cause is {} {}: {}.",
        root.object.kind, root.object.name, root.problem
    );
}

/// The chain's links; evidence lines already in `quoted` are not quoted again.
fn chain_evidence(chain: &[ChainLink], quoted: &[&str]) -> Vec<String> {
    chain
        .iter()
        .map(|l| {
            match l
                .evidence
                .as_deref()
                .filter(|e| !quoted.contains(&e.trim()))
            {
                Some(e) => format!(
                    "{}: {} (\"{}\")",
                    l.object,
                    l.problem,
                    quote(e, QUOTE_CHARS)
                ),
                None => format!("{}: {}", l.object, l.problem),
            }
        })
        .collect()
}

fn root_step(chain: &[ChainLink]) -> Option<String> {
    chain_root(chain).map(|root| {
        format!(
            "Fix the root cause first: {} {} {}; this issue should clear once it is fixed.",
            root.object.kind, root.object.name, root.problem
        )
    })
}

fn root_command(chain: &[ChainLink]) -> Option<Command> {
    chain_root(chain).map(|root| {
        let ns = root
            .object
            .namespace
            .as_deref()
            .map(|ns| format!(" -n {ns}"))
            .unwrap_or_default();
        Command {
            command: format!(
                "kubectl describe {} {}{ns}",
                root.object.kind.to_lowercase(),
                root.object.name
            ),
            read_only: true,
        }
    })
}

fn add_catalog_command(issue: &Issue, commands: &mut Vec<Command>) {
    let filled = issue.fix.clone().or_else(|| {
        check(issue.check.as_str())
            .filter(|info| !info.fix.is_empty())
            .map(|info| fill_fix(info.fix, issue))
    });
    if let Some(command) = filled
        && !commands.iter().any(|c| c.command == command)
    {
        commands.push(Command {
            read_only: is_read_only(&command),
            command,
        });
    }
}

/// Whether a catalog command only reads: kubectl verbs that do not write, and nothing after.
fn is_read_only(command: &str) -> bool {
    let mut words = command.split_whitespace();
    let reads = matches!(
        (words.next(), words.next()),
        (
            Some("kubectl"),
            Some("get" | "describe" | "logs" | "top" | "events" | "explain" | "auth")
        )
    );
    let action = command.split('#').next().unwrap_or(command);
    reads && !action.contains(" | kubectl ")
}

/// The explanation from the catalog alone.
fn fallback(issue: &Issue, lines: &[Line]) -> (Structured, String) {
    let info = check(issue.check.as_str());
    let doc = info.map_or("", |i| i.doc);
    let meaning = section(doc, "## What it means");
    let mut root_cause = issue.message.clone();
    append_chain(&mut root_cause, &issue.chain);
    let mut evidence: Vec<String> = lines
        .iter()
        .filter(|l| l.text != issue.message)
        .take(FALLBACK_EVIDENCE)
        .map(|l| format!("{}: \"{}\"", l.origin, quote(&l.text, QUOTE_CHARS)))
        .collect();
    evidence.extend(chain_evidence(&issue.chain, &[]));
    let mut fix: Vec<String> = root_step(&issue.chain).into_iter().collect();
    fix.extend(paragraphs(&section(doc, "## How to fix")));
    let mut commands: Vec<Command> = root_command(&issue.chain).into_iter().collect();
    add_catalog_command(issue, &mut commands);
    let verify = vec![
        format!(
            "Run `{}` again; the issue should no longer be reported.",
            "kubewhy analyze"
        ),
        fill_fix("kubectl get {object}{ns}", issue) + " shows the object healthy.",
    ];
    let structured = Structured {
        summary: format!("{}: {}", issue.title, issue.message),
        root_cause,
        evidence,
        fix,
        commands,
        verify,
        confidence: Confidence::Low,
    };
    (structured, meaning)
}

/// The text of a Markdown section, up to the next `## ` heading.
fn section(doc: &str, heading: &str) -> String {
    let Some(start) = doc.find(heading) else {
        return String::new();
    };
    let body = &doc[start + heading.len()..];
    let end = body.find("\n## ").unwrap_or(body.len());
    body[..end].trim().to_owned()
}

/// Paragraphs and list items of a section, one step each, without list markers.
fn paragraphs(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut in_code = false;
    for line in text.lines().map(str::trim) {
        // Code blocks hold generic commands (SERVICE, NAMESPACE); the filled catalog command
        // stands in for them.
        if line.starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if in_code {
            continue;
        }
        let item = line
            .strip_prefix("- ")
            .or_else(|| line.strip_prefix("* "))
            .or_else(|| numbered(line));
        if (line.is_empty() || item.is_some()) && !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
        let text = item.unwrap_or(line);
        if !text.is_empty() {
            if !current.is_empty() {
                current.push(' ');
            }
            current.push_str(text);
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

fn numbered(line: &str) -> Option<&str> {
    let digits = line.find(|c: char| !c.is_ascii_digit())?;
    (digits > 0).then(|| line[digits..].strip_prefix(". "))?
}

/// The prose for the terminal.
pub fn text(issue: &Issue, s: &Structured, meaning: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}\n", s.summary);
    let _ = writeln!(out, "What is wrong: {}", issue.message);
    if !meaning.is_empty() {
        let _ = writeln!(out, "{meaning}");
    }
    if !s.evidence.is_empty() {
        let _ = writeln!(out, "\nWhat the evidence shows:");
        for line in &s.evidence {
            let _ = writeln!(out, "  - {line}");
        }
    }
    let _ = writeln!(out, "\nMost likely cause: {}", s.root_cause);
    let _ = writeln!(out, "\nHow to fix:");
    for (n, step) in s.fix.iter().enumerate() {
        let _ = writeln!(out, "  {}. {step}", n + 1);
    }
    for c in &s.commands {
        let mark = if c.read_only {
            "read-only"
        } else {
            "changes the cluster"
        };
        let _ = writeln!(out, "  $ {}    ({mark})", c.command);
    }
    let _ = writeln!(out, "\nHow to verify:");
    for step in &s.verify {
        let _ = writeln!(out, "  - {step}");
    }
    out
}
