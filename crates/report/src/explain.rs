//! `kubewhy explain` in text: the object's context (owners, pods, containers, routes, claims,
//! events, log tails), then each issue on it with the catalog's explanation and fix.

use std::io::{self, Write};

use anstyle::Style;
use kubewhy_model::{FocusContext, Issue, ObjectRef, Report};

use crate::text::{header, render_issue, render_log};

const BOLD: Style = Style::new().bold();
const DIM: Style = Style::new().dimmed();

/// Writes the focused object's context and its issues; a report without a focus is written as
/// the plain text report.
pub fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let Some(focus) = &report.focus else {
        return crate::render(report, crate::Format::Text, out);
    };
    header(report, out)?;
    context(focus, out)?;
    let issues: Vec<&Issue> = report
        .issues
        .iter()
        .filter(|i| focus.issues.contains(&i.fingerprint))
        .collect();
    if issues.is_empty() {
        writeln!(out, "\nNo issue found on {}.", name(&focus.object))?;
        return Ok(());
    }
    for issue in issues {
        writeln!(out)?;
        render_issue(issue, out)?;
        if let Some(info) = kubewhy_analyzers::check(issue.check.as_str()) {
            writeln!(
                out,
                "\n{BOLD}{} — what it means and how to fix it{BOLD:#}",
                info.title
            )?;
            for line in explanation(info.doc).lines() {
                writeln!(out, "    {line}")?;
            }
        }
    }
    Ok(())
}

fn name(object: &ObjectRef) -> String {
    match &object.namespace {
        Some(ns) => format!("{}/{} in namespace {ns}", object.kind, object.name),
        None => format!("{}/{}", object.kind, object.name),
    }
}

fn context(focus: &FocusContext, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "\n{BOLD}{}{BOLD:#}", name(&focus.object))?;
    if !focus.owners.is_empty() {
        let owners: Vec<String> = focus
            .owners
            .iter()
            .map(|o| format!("{}/{}", o.kind, o.name))
            .collect();
        writeln!(out, "  {DIM}owned by:{DIM:#} {}", owners.join(" → "))?;
    }
    if !focus.pods.is_empty() {
        let more = focus.pod_count.saturating_sub(focus.pods.len());
        writeln!(out, "  {DIM}pods ({}):{DIM:#}", focus.pod_count)?;
        for pod in &focus.pods {
            let node = pod
                .node
                .as_deref()
                .map_or_else(String::new, |n| format!(" on {n}"));
            writeln!(
                out,
                "    {} {} ready {} restarts {}{node}",
                pod.name, pod.phase, pod.ready, pod.restarts
            )?;
        }
        if more > 0 {
            writeln!(out, "    and {more} more")?;
        }
    }
    for c in &focus.conditions {
        let why = c.message.as_deref().or(c.reason.as_deref()).unwrap_or("");
        writeln!(
            out,
            "  {DIM}condition:{DIM:#} {} {}={} {why}",
            c.object, c.type_, c.status
        )?;
    }
    for c in &focus.containers {
        let reason = c.reason.as_deref().unwrap_or("");
        let last = c
            .last_termination
            .as_deref()
            .map_or_else(String::new, |t| format!(", last terminated: {t}"));
        writeln!(
            out,
            "  {DIM}container:{DIM:#} {}/{} {} {reason} (restarts {}{last})",
            c.pod, c.container, c.state, c.restarts
        )?;
    }
    for (label, objects) in [("routed by", &focus.routes), ("mounts", &focus.claims)] {
        if !objects.is_empty() {
            let names: Vec<String> = objects
                .iter()
                .map(|o| format!("{}/{}", o.kind, o.name))
                .collect();
            writeln!(out, "  {DIM}{label}:{DIM:#} {}", names.join(", "))?;
        }
    }
    for e in &focus.events {
        writeln!(
            out,
            "  {DIM}event:{DIM:#} {} {} ×{} {}",
            e.object, e.reason, e.count, e.message
        )?;
    }
    for log in &focus.logs {
        render_log(log, out)?;
    }
    Ok(())
}

/// The parts of a catalog entry that explain: what it means, why it matters, how to fix.
fn explanation(doc: &str) -> String {
    let mut keep = false;
    let mut text = String::new();
    for line in doc.lines() {
        if let Some(title) = line.strip_prefix("## ") {
            keep = matches!(title, "What it means" | "Why it matters" | "How to fix");
        }
        if keep {
            text.push_str(line);
            text.push('\n');
        }
    }
    text.trim_end().to_owned()
}
