//! The Markdown report, for pasting into a ticket or a pull request: a heading, a table of
//! counts by severity, then one section per issue (message, affected objects, evidence, log tail,
//! fix, explanation), then the warnings. Names and messages are escaped so that they render as
//! written.

mod escape;

use std::io::{self, Write};

use kubewhy_model::{
    ContainerEvidence, Explanation, Issue, LogEvidence, ObjectRef, Report, Severity, SourceKind,
};

use crate::{
    Renderer,
    shared::{first_and_more, log_window, qualified},
};
use escape::{code, fence, inline};

const MAX_OBJECTS: usize = 10;
const MAX_EVENTS: usize = 5;
const MAX_LOG_LINES: usize = 20;

/// The Markdown report.
#[derive(Debug, Clone, Copy, Default)]
pub struct Markdown;

impl Renderer for Markdown {
    fn render(&self, report: &Report, out: &mut dyn Write) -> io::Result<()> {
        header(report, out)?;
        if !report.issues.is_empty() {
            writeln!(out, "\n## Issues")?;
        }
        for (n, issue) in report.issues.iter().enumerate() {
            render_issue(n + 1, issue, out)?;
        }
        render_held_back(report, out)?;
        if !report.warnings.is_empty() {
            writeln!(out, "\n## Warnings\n")?;
            for warning in &report.warnings {
                writeln!(out, "- {}", inline(&warning.message))?;
            }
        }
        Ok(())
    }
}

/// The checks a cluster report counts instead of listing, and the system components left out.
fn render_held_back(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    if !report.held_back.is_empty() {
        writeln!(out, "\n## Not listed on clusters\n")?;
        writeln!(
            out,
            "Static checks for manifests; run with `--check ID` to list their findings.\n"
        )?;
        writeln!(
            out,
            "| Check | Objects | Namespaces |\n| --- | ---: | ---: |"
        )?;
        for count in &report.held_back {
            writeln!(
                out,
                "| {} | {} | {} |",
                code(count.check.as_str()),
                count.objects,
                count.namespaces
            )?;
        }
    }
    let exempted = report.summary.exempted;
    if exempted > 0 {
        writeln!(
            out,
            "\n{exempted} system component(s) were exempted from the security checks (the cluster's network, storage and device DaemonSets and its static control-plane pods)."
        )?;
    }
    Ok(())
}

fn header(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let source = match report.source.kind {
        SourceKind::Live => match &report.source.context {
            Some(context) => format!("cluster {}", code(context)),
            None => "cluster (current context)".to_owned(),
        },
        SourceKind::Files => "files".to_owned(),
        SourceKind::Demo => "demo cluster".to_owned(),
    };
    let observed = report
        .source
        .observed_at
        .as_deref()
        .map_or_else(String::new, |t| format!(" · observed {}", inline(t)));
    writeln!(out, "# kubewhy report\n")?;
    writeln!(
        out,
        "Source: {source}{observed} · {} objects scanned\n",
        report.summary.objects_scanned
    )?;
    writeln!(out, "| Severity | Issues |\n| --- | ---: |")?;
    for severity in Severity::ALL {
        let n = report
            .summary
            .by_severity
            .get(&severity)
            .copied()
            .unwrap_or(0);
        writeln!(out, "| {} | {n} |", capitalized(severity))?;
    }
    writeln!(out, "| **Total** | **{}** |", report.summary.issues)?;
    if report.issues.is_empty() {
        writeln!(out, "\nNo issues found.")?;
    }
    Ok(())
}

fn render_issue(n: usize, issue: &Issue, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "\n### {n}. {} · {} · {}\n",
        capitalized(issue.severity),
        inline(&issue.title),
        code(&qualified(&issue.root))
    )?;
    writeln!(out, "{}\n", inline(&issue.message))?;
    if let Some(chain) = crate::shared::chain_line(issue) {
        writeln!(out, "**Caused by:** {}\n", inline(&chain))?;
    }
    if !issue.merged_checks.is_empty() {
        let checks: Vec<String> = issue
            .merged_checks
            .iter()
            .map(|c| format!("`{c}`"))
            .collect();
        writeln!(out, "Also seen by: {}\n", checks.join(", "))?;
    }
    writeln!(
        out,
        "- Check: {} ({}) · fingerprint {}",
        code(issue.check.as_str()),
        issue.category,
        code(&issue.fingerprint.to_string())
    )?;
    if issue.objects.len() > 1 || issue.objects.first() != Some(&issue.root) {
        writeln!(out, "- Affects: {}", objects(&issue.objects, &issue.root))?;
    }
    if !issue.related.is_empty() {
        writeln!(out, "- Related: {}", objects(&issue.related, &issue.root))?;
    }
    if let Some(origin) = &issue.origin {
        writeln!(out, "- File: {}", code(&origin.to_string()))?;
    }
    render_evidence(issue, out)?;
    if let Some(fix) = &issue.fix {
        let fence = fence(fix);
        writeln!(out, "\n**Fix**\n\n{fence}shell\n{fix}\n{fence}")?;
    }
    if let Some(explanation) = &issue.explanation {
        render_explanation(explanation, out)?;
    }
    Ok(())
}

fn render_explanation(explanation: &Explanation, out: &mut dyn Write) -> io::Result<()> {
    let how: Vec<String> = crate::shared::explanation_how(explanation)
        .iter()
        .map(|part| inline(part))
        .collect();
    writeln!(out, "\n**Explanation** ({})", how.join(", "))?;
    if let Some(warning) = crate::shared::ungrounded_warning(explanation) {
        writeln!(out, "\n> **Warning:** {}", inline(&warning))?;
    }
    // The explanation is prose meant to be read as Markdown (lists, emphasis): kept as is.
    writeln!(out, "\n{}", explanation.text.trim_end())?;
    // The commands the text does not already show, as code: a list, not a table, since a
    // command's `|` would split a table's cells.
    let unshown: Vec<_> = explanation
        .structured
        .iter()
        .flat_map(|s| &s.commands)
        .filter(|c| !explanation.text.contains(&c.command))
        .collect();
    if !unshown.is_empty() {
        writeln!(out, "\n**Suggested commands**\n")?;
        for command in unshown {
            let effect = if command.changes {
                "changes the cluster"
            } else {
                "read-only"
            };
            writeln!(out, "- {} ({effect})", code(&command.command))?;
        }
    }
    Ok(())
}

/// Objects as code spans, bounded; namespaced like the root ones name only kind and name.
fn objects(list: &[ObjectRef], root: &ObjectRef) -> String {
    first_and_more(list, MAX_OBJECTS, |o| {
        if o.namespace == root.namespace {
            code(&format!("{}/{}", o.kind, o.name))
        } else {
            code(&qualified(o))
        }
    })
    .join(", ")
}

fn render_evidence(issue: &Issue, out: &mut dyn Write) -> io::Result<()> {
    let evidence = &issue.evidence;
    // A condition whose message the issue already quotes adds nothing.
    let quoted = |m: &str| issue.message.contains(m);
    let conditions: Vec<_> = evidence
        .conditions
        .iter()
        .filter(|c| !c.message.as_deref().is_some_and(quoted))
        .collect();
    let events = &evidence.events[..evidence.events.len().min(MAX_EVENTS)];
    if conditions.is_empty()
        && evidence.containers.is_empty()
        && events.is_empty()
        && evidence.logs.is_empty()
    {
        return Ok(());
    }
    writeln!(out, "\n**Evidence**\n")?;
    for c in conditions {
        let why: Vec<&str> = [c.reason.as_deref(), c.message.as_deref()]
            .into_iter()
            .flatten()
            .collect();
        let condition = format!("{}={}", c.type_, c.status);
        writeln!(
            out,
            "- Condition {} on {}{}",
            code(&condition),
            code(&c.object),
            after_colon(&why.join(": "))
        )?;
    }
    for c in &evidence.containers {
        writeln!(out, "{}", container(c))?;
    }
    for e in events {
        writeln!(
            out,
            "- Event {} ×{} on {}{}",
            code(&e.reason),
            e.count,
            code(&e.object),
            after_colon(&e.message)
        )?;
    }
    for log in &evidence.logs {
        render_log(log, out)?;
    }
    Ok(())
}

fn container(c: &ContainerEvidence) -> String {
    let which = if c.init {
        "Init container"
    } else {
        "Container"
    };
    // A static check names a container of a pod template: no pod runs it yet.
    if c.pod.is_empty() {
        return format!(
            "- {which} {} (as written in the pod spec)",
            code(&c.container)
        );
    }
    let mut state = c.state.clone();
    if let Some(reason) = &c.reason {
        state = format!("{state} ({reason})");
    }
    let mut parts = vec![inline(&state)];
    if let Some(code) = c.exit_code {
        parts.push(format!("exit code {code}"));
    }
    if let Some(last) = &c.last_termination {
        parts.push(format!("last terminated: {}", inline(last)));
    }
    if c.restarts > 0 {
        parts.push(format!("{} restarts", c.restarts));
    }
    if let Some(message) = &c.message {
        parts.push(inline(message));
    }
    format!(
        "- {which} {} of {}: {}",
        code(&c.container),
        code(&format!("Pod/{}", c.pod)),
        parts.join(", ")
    )
}

fn render_log(log: &LogEvidence, out: &mut dyn Write) -> io::Result<()> {
    let which = if log.previous {
        "previous instance"
    } else {
        "current instance"
    };
    let marked = if log.first_error.is_some() {
        "; `>` marks the first error"
    } else {
        ""
    };
    let lines: Vec<String> = log_window(log, MAX_LOG_LINES)
        .map(|(i, line)| {
            let mark = if Some(i) == log.first_error { '>' } else { ' ' };
            format!("{mark} {line}")
        })
        .collect();
    let body = lines.join("\n");
    let fence = fence(&body);
    writeln!(
        out,
        "\nLogs of {} ({which}{marked}):\n\n{fence}text\n{body}\n{fence}",
        code(&format!("{}/{}", log.pod, log.container))
    )
}

/// `: text`, escaped, or nothing when there is no text.
fn after_colon(text: &str) -> String {
    if text.trim().is_empty() {
        String::new()
    } else {
        format!(": {}", inline(text))
    }
}

fn capitalized(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "Critical",
        Severity::Error => "Error",
        Severity::Warning => "Warning",
        Severity::Info => "Info",
    }
}

#[cfg(test)]
mod tests;
