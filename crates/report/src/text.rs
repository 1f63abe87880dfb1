//! The text report: a header, then issues grouped by namespace (cluster-scoped first), worst
//! first within each, with their evidence and fix, then a summary line and the warnings.

use std::io::{self, Write};

use anstyle::{AnsiColor, Style};
use kubewhy_model::{Issue, LogEvidence, Report, Severity, SourceKind};

use crate::{
    Renderer,
    shared::{first_and_more, log_window},
};

const BOLD: Style = Style::new().bold();
const DIM: Style = Style::new().dimmed();
const MAX_OBJECTS: usize = 5;
const MAX_EVENTS: usize = 3;
const MAX_LOG_LINES: usize = 10;
const PAD: &str = "           ";

/// The text report. It always writes ANSI styles; the caller strips them where colour is off.
#[derive(Debug, Clone, Copy, Default)]
pub struct Text;

impl Renderer for Text {
    fn render(&self, report: &Report, out: &mut dyn Write) -> io::Result<()> {
        render(report, out)
    }
}

fn severity_style(severity: Severity) -> Style {
    let color = match severity {
        Severity::Critical => AnsiColor::BrightRed,
        Severity::Error => AnsiColor::Red,
        Severity::Warning => AnsiColor::Yellow,
        Severity::Info => AnsiColor::Blue,
    };
    Style::new().fg_color(Some(color.into())).bold()
}

fn render(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    header(report, out)?;
    let mut issues: Vec<&Issue> = report.issues.iter().collect();
    // Stable: within a namespace the report's severity order stays.
    issues.sort_by(|a, b| a.root.namespace.cmp(&b.root.namespace));
    let mut current: Option<Option<&str>> = None;
    for issue in issues {
        let namespace = issue.root.namespace.as_deref();
        if current != Some(namespace) {
            current = Some(namespace);
            let title = namespace.map_or_else(
                || "cluster-scoped".to_owned(),
                |ns| format!("namespace {ns}"),
            );
            writeln!(out, "\n{BOLD}{title}{BOLD:#}")?;
        }
        render_issue(issue, out)?;
    }
    footer(report, out)
}

pub(crate) fn header(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let source = match report.source.kind {
        SourceKind::Live => format!(
            "cluster {}",
            report
                .source
                .context
                .as_deref()
                .unwrap_or("(current context)")
        ),
        SourceKind::Files => "files".to_owned(),
        SourceKind::Demo => "demo cluster".to_owned(),
    };
    let observed = report
        .source
        .observed_at
        .as_deref()
        .map_or_else(String::new, |t| format!(" · observed {t}"));
    writeln!(
        out,
        "{DIM}kubewhy · {source}{observed} · {} objects scanned{DIM:#}",
        report.summary.objects_scanned
    )
}

pub(crate) fn render_issue(issue: &Issue, out: &mut dyn Write) -> io::Result<()> {
    let style = severity_style(issue.severity);
    let label = issue.severity.as_str().to_uppercase();
    writeln!(
        out,
        "  {style}{label:<8}{style:#} {BOLD}{}/{}{BOLD:#} {DIM}{} · {}{DIM:#}",
        issue.root.kind, issue.root.name, issue.check, issue.fingerprint
    )?;
    writeln!(out, "{PAD}{}", issue.message)?;
    if issue.objects.len() > 1 || issue.objects.first() != Some(&issue.root) {
        let names = first_and_more(&issue.objects, MAX_OBJECTS, |o| {
            format!("{}/{}", o.kind, o.name)
        });
        writeln!(out, "{PAD}{DIM}affects:{DIM:#} {}", names.join(", "))?;
    }
    if let Some(origin) = &issue.origin {
        writeln!(out, "{PAD}{DIM}file:{DIM:#} {origin}")?;
    }
    render_evidence(issue, out)?;
    if let Some(fix) = &issue.fix {
        writeln!(out, "{PAD}{DIM}fix: {fix}{DIM:#}")?;
    }
    Ok(())
}

fn render_evidence(issue: &Issue, out: &mut dyn Write) -> io::Result<()> {
    // A condition whose message the issue already quotes adds nothing.
    let quoted = |m: &str| issue.message.contains(m);
    for c in issue
        .evidence
        .conditions
        .iter()
        .filter(|c| !c.message.as_deref().is_some_and(quoted))
    {
        let why = c.message.as_deref().or(c.reason.as_deref()).unwrap_or("");
        writeln!(
            out,
            "{PAD}{DIM}condition:{DIM:#} {}={} {why}",
            c.type_, c.status
        )?;
    }
    for e in issue.evidence.events.iter().take(MAX_EVENTS) {
        writeln!(
            out,
            "{PAD}{DIM}event:{DIM:#} {} ×{} {}",
            e.reason, e.count, e.message
        )?;
    }
    for log in &issue.evidence.logs {
        render_log(log, out)?;
    }
    Ok(())
}

pub(crate) fn render_log(log: &LogEvidence, out: &mut dyn Write) -> io::Result<()> {
    let which = if log.previous {
        "previous instance"
    } else {
        "current"
    };
    writeln!(
        out,
        "{PAD}{DIM}logs:{DIM:#} {}/{} ({which})",
        log.pod, log.container
    )?;
    for (i, line) in log_window(log, MAX_LOG_LINES) {
        if Some(i) == log.first_error {
            let red = severity_style(Severity::Error);
            writeln!(out, "             {red}> {line}{red:#}")?;
        } else {
            writeln!(out, "             {DIM}│{DIM:#} {line}")?;
        }
    }
    Ok(())
}

fn footer(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let summary = &report.summary;
    if summary.issues == 0 {
        writeln!(out, "\nNo issues found.")?;
    } else {
        let counts: Vec<String> = Severity::ALL
            .iter()
            .filter_map(|sev| {
                let n = summary.by_severity.get(sev).copied().unwrap_or(0);
                (n > 0).then(|| format!("{n} {sev}"))
            })
            .collect();
        let noun = if summary.issues == 1 {
            "issue"
        } else {
            "issues"
        };
        writeln!(
            out,
            "\n{BOLD}{} {noun}{BOLD:#}: {}",
            summary.issues,
            counts.join(", ")
        )?;
    }
    for warning in &report.warnings {
        let yellow = severity_style(Severity::Warning);
        writeln!(out, "{yellow}warning:{yellow:#} {}", warning.message)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{crash_loop, report};

    #[test]
    fn an_issue_shows_its_file_and_fix() {
        let mut out = Vec::new();
        Text.render(&report(vec![crash_loop()]), &mut out).unwrap();
        let text = anstream::adapter::strip_str(std::str::from_utf8(&out).unwrap()).to_string();
        assert!(
            text.contains(&format!("{PAD}file: deploy/shop.yaml:12\n")),
            "{text}"
        );
        assert!(
            text.contains(&format!(
                "{PAD}fix: kubectl logs -n shop deploy/checkout --previous\n"
            )),
            "{text}"
        );
        // The fix comes last, after the log tail.
        assert!(text.find("fix:") > text.find("OperationalError"), "{text}");
    }
}
