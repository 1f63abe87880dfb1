//! Scoring one scenario, deterministically: find its issue in the report, then check the
//! explanation for the expected root cause and facts, grounded commands, a valid structure,
//! and the wire for planted secrets. Pure: a report and what was sent in, a score out.

use kubewhy_model::{Category, Explanation, Issue, Report, Score};

#[cfg(test)]
use super::expect;
use super::expect::Scenario;

/// Scores `scenario` on `report`, given every message body sent for it and the values that
/// must never be sent.
#[must_use]
pub(crate) fn score(
    scenario: &Scenario,
    report: &Report,
    wire: &[String],
    secrets: &[String],
) -> Score {
    let mut score = Score {
        id: scenario.id.clone(),
        title: scenario.title.clone(),
        issue: None,
        root_cause: false,
        facts_found: 0,
        facts: scenario.facts.len(),
        grounded: true,
        structured: false,
        wire_clean: true,
        passed: false,
        misses: Vec::new(),
        fallback_reason: None,
        tokens_in: 0,
        tokens_out: 0,
        latency_ms: None,
    };
    let leaked: Vec<&String> = secrets
        .iter()
        .filter(|s| wire.iter().any(|body| body.contains(s.as_str())))
        .collect();
    if !leaked.is_empty() {
        score.wire_clean = false;
        let leaked: Vec<&str> = leaked.iter().map(|s| s.as_str()).collect();
        score.misses.push(format!(
            "planted secrets on the wire: {}",
            leaked.join(", ")
        ));
    }
    let found = find_issue(scenario, report);
    if scenario.healthy {
        score.root_cause = found.is_none();
        score.facts_found = 0;
        score.structured = true;
        if let Some(issue) = found {
            score.issue = Some(describe(issue));
            score
                .misses
                .push(format!("reported as broken: {}", describe(issue)));
        }
        score.passed = score.misses.is_empty();
        return score;
    }
    let Some(issue) = found else {
        score
            .misses
            .push(format!("no issue found on {}", scenario.object));
        return score;
    };
    score.issue = Some(describe(issue));
    let Some(explanation) = &issue.explanation else {
        score.misses.push("not explained".to_owned());
        return score;
    };
    judge(scenario, explanation, &mut score);
    score.passed = score.misses.is_empty();
    score
}

/// The checks on the explanation itself.
fn judge(scenario: &Scenario, explanation: &Explanation, score: &mut Score) {
    score.tokens_in = explanation.tokens_in;
    score.tokens_out = explanation.tokens_out;
    score.latency_ms = explanation.latency_ms;
    score
        .fallback_reason
        .clone_from(&explanation.fallback_reason);
    let everything = normalize(&all_text(explanation));
    let cause = explanation.structured.as_ref().map_or_else(
        || everything.clone(),
        |s| normalize(&format!("{}\n{}", s.root_cause, s.summary)),
    );
    let missing_cause: Vec<&String> = scenario
        .root_cause
        .iter()
        .filter(|quote| !matches(&cause, quote))
        .collect();
    score.root_cause = missing_cause.is_empty();
    if !score.root_cause {
        let quotes: Vec<&str> = missing_cause.iter().map(|s| s.as_str()).collect();
        score
            .misses
            .push(format!("root cause not named: {}", quotes.join(", ")));
    }
    let missing: Vec<&String> = scenario
        .facts
        .iter()
        .filter(|quote| !matches(&everything, quote))
        .collect();
    score.facts_found = score.facts - missing.len();
    if score.facts_found * 2 <= score.facts {
        let quotes: Vec<&str> = missing.iter().map(|s| s.as_str()).collect();
        score.misses.push(format!(
            "{} of {} facts; missing: {}",
            score.facts_found,
            score.facts,
            quotes.join(", ")
        ));
    }
    score.grounded = explanation.ungrounded.is_empty();
    if !score.grounded {
        score.misses.push(format!(
            "commands name unknown objects: {}",
            explanation.ungrounded.join(", ")
        ));
    }
    score.structured = explanation.structured.as_ref().is_some_and(|s| {
        !s.summary.is_empty()
            && !s.root_cause.is_empty()
            && (!s.fix.is_empty() || !s.commands.is_empty())
    });
    if !score.structured {
        score
            .misses
            .push("no structured answer (summary, root cause and a fix)".to_owned());
    }
}

/// The issue about the scenario's object: rooted at it (the one of `check` when given, the
/// worst one that is not a static security finding otherwise), else one that affects it.
fn find_issue<'a>(scenario: &Scenario, report: &'a Report) -> Option<&'a Issue> {
    let (kind, name) = scenario.object.split_once('/')?;
    let namespace = scenario.namespace.as_deref();
    let is = |o: &kubewhy_model::ObjectRef| {
        o.kind == kind && o.name == name && o.namespace.as_deref() == namespace
    };
    let wanted = |i: &&Issue| {
        scenario
            .check
            .as_deref()
            .is_none_or(|c| i.check.as_str() == c)
    };
    let rooted: Vec<&Issue> = report
        .issues
        .iter()
        .filter(|i| is(&i.root))
        .filter(wanted)
        .collect();
    rooted
        .iter()
        .find(|i| i.category != Category::Security)
        .or_else(|| rooted.first())
        .copied()
        .or_else(|| {
            report
                .issues
                .iter()
                .filter(wanted)
                .find(|i| i.objects.iter().any(is))
        })
}

fn describe(issue: &Issue) -> String {
    format!("{} on {}/{}", issue.check, issue.root.kind, issue.root.name)
}

/// Every text of the explanation: the prose and each structured field.
fn all_text(explanation: &Explanation) -> String {
    let mut text = explanation.text.clone();
    if let Some(s) = &explanation.structured {
        for part in [&s.summary, &s.root_cause]
            .into_iter()
            .chain(&s.evidence)
            .chain(&s.fix)
            .chain(&s.verify)
            .chain(s.commands.iter().map(|c| &c.command))
        {
            text.push('\n');
            text.push_str(part);
        }
    }
    text
}

/// Lower case, without quotes or backticks, with runs of white space as one space: the same
/// fact written `secret "db" not found` or `secret 'db'  not found` matches.
fn normalize(text: &str) -> String {
    let kept: String = text
        .chars()
        .filter(|c| !matches!(c, '"' | '\'' | '`' | '“' | '”' | '‘' | '’' | '\\'))
        .flat_map(char::to_lowercase)
        .collect();
    kept.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether `text` (normalized) holds the quote or one of its `|` alternatives.
fn matches(text: &str, quote: &str) -> bool {
    quote
        .split('|')
        .map(normalize)
        .any(|q| !q.is_empty() && text.contains(&q))
}

#[cfg(test)]
#[path = "score_tests.rs"]
mod tests;
