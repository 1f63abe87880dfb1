//! No secret in the run's output: issue messages and evidence quote what the cluster said (an
//! env value, a log line, an event), and any credential in them is replaced before an issue
//! leaves the engine, in every event and the report. Names and addresses stay: this is the
//! user's own output.

use kubewhy_model::{Evidence, Issue, LogEvidence};
use kubewhy_scrub::Redactor;

/// What stands in for a text the detectors could not check: fail closed.
const WITHHELD: &str = "(withheld: it could not be checked for secrets)";

fn redact(redactor: &Redactor, text: &mut String) {
    match redactor.redact(text) {
        Ok(clean) => *text = clean,
        Err(_) => WITHHELD.clone_into(text),
    }
}

fn redact_option(redactor: &Redactor, text: &mut Option<String>) {
    if let Some(text) = text {
        redact(redactor, text);
    }
}

/// Redacts a log tail's lines.
pub(crate) fn log(redactor: &Redactor, log: &mut LogEvidence) {
    for line in &mut log.lines {
        redact(redactor, line);
    }
}

fn evidence(redactor: &Redactor, evidence: &mut Evidence) {
    for event in &mut evidence.events {
        redact(redactor, &mut event.message);
    }
    for condition in &mut evidence.conditions {
        redact_option(redactor, &mut condition.message);
    }
    for container in &mut evidence.containers {
        redact_option(redactor, &mut container.message);
    }
    for tail in &mut evidence.logs {
        log(redactor, tail);
    }
}

/// Redacts an issue's message, evidence and chain.
pub(crate) fn issue(redactor: &Redactor, issue: &mut Issue) {
    redact(redactor, &mut issue.message);
    evidence(redactor, &mut issue.evidence);
    chain(redactor, issue);
}

/// Redacts the evidence of an issue's causal chain, which quotes env values and log lines.
pub(crate) fn chain(redactor: &Redactor, issue: &mut Issue) {
    for link in &mut issue.chain {
        redact_option(redactor, &mut link.evidence);
    }
}
