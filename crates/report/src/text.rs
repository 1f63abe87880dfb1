//! The text report: a header, then issues grouped by namespace (cluster-scoped first), worst
//! first within each, with their evidence and fix, then a summary line and the warnings.

use std::io::{self, Write};

use anstyle::{AnsiColor, Style};
use kubewhy_model::{Explanation, Issue, LogEvidence, Report, Severity, SourceKind, WarningKind};

use crate::{
    Renderer,
    shared::{self, first_and_more, log_window},
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
    if report.clusters.is_empty() {
        by_namespace(report.issues.iter().collect(), out)?;
    }
    // A run over several clusters: a section per cluster, in the order they were given.
    for cluster in &report.clusters {
        let server = cluster
            .server
            .as_deref()
            .map_or_else(String::new, |s| format!(" at {s}"));
        writeln!(
            out,
            "\n{BOLD}== cluster {}{server} =={BOLD:#}",
            cluster.context
        )?;
        if let Some(error) = &cluster.error {
            let red = severity_style(Severity::Critical);
            writeln!(out, "{red}not analyzed:{red:#} {error}")?;
            continue;
        }
        let issues: Vec<&Issue> = report
            .issues
            .iter()
            .filter(|i| i.cluster.as_deref() == Some(cluster.context.as_str()))
            .collect();
        if issues.is_empty() {
            writeln!(out, "No issues found.")?;
        }
        by_namespace(issues, out)?;
    }
    footer(report, out)
}

/// Issues under a heading per namespace, cluster-scoped first.
fn by_namespace(mut issues: Vec<&Issue>, out: &mut dyn Write) -> io::Result<()> {
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
    Ok(())
}

pub(crate) fn header(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let source = match report.source.kind {
        SourceKind::Live if !report.clusters.is_empty() => {
            format!("{} clusters", report.clusters.len())
        }
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
        .map_or_else(String::new, |t| {
            if report.source.observed_at_inferred {
                format!(" · observed at or after {t} (the newest time in the input)")
            } else {
                format!(" · observed {t}")
            }
        });
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
    if let Some(chain) = shared::chain_line(issue) {
        writeln!(out, "{PAD}{DIM}caused by:{DIM:#} {chain}")?;
    }
    if !issue.merged_checks.is_empty() {
        let checks: Vec<&str> = issue.merged_checks.iter().map(|c| c.as_str()).collect();
        writeln!(out, "{PAD}{DIM}also seen by:{DIM:#} {}", checks.join(", "))?;
    }
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
    if let Some(explanation) = &issue.explanation {
        render_explanation(explanation, out)?;
    }
    Ok(())
}

/// The explanation under its issue: who wrote it and how, a warning when its commands name
/// objects nobody saw, then its text (the structured answer, as prose), indented.
fn render_explanation(explanation: &Explanation, out: &mut dyn Write) -> io::Result<()> {
    let how = shared::explanation_how(explanation);
    writeln!(
        out,
        "{PAD}{BOLD}explanation{BOLD:#} {DIM}({}){DIM:#}",
        how.join(", ")
    )?;
    if let Some(warning) = shared::ungrounded_warning(explanation) {
        let yellow = severity_style(Severity::Warning);
        writeln!(out, "{PAD}  {yellow}warning:{yellow:#} {warning}")?;
    }
    for line in explanation.text.trim_end().lines() {
        if line.trim().is_empty() {
            writeln!(out)?;
        } else {
            writeln!(out, "{PAD}  {line}")?;
        }
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
    let unreadable = report
        .warnings
        .iter()
        .filter(|w| w.kind == WarningKind::Input)
        .count();
    if summary.issues == 0 && summary.objects_scanned == 0 {
        // Saying "No issues found" about nothing would pass for a clean bill of health.
        let why = if unreadable > 0 {
            "no Kubernetes object could be read from the input; each problem is listed below"
        } else if report.warnings.is_empty() {
            "the input holds no Kubernetes objects"
        } else {
            "the input holds no Kubernetes objects; what was skipped is listed below"
        };
        writeln!(out, "\n{BOLD}Nothing could be analysed{BOLD:#}: {why}.")?;
    } else if summary.issues == 0 {
        let partial = if unreadable > 0 {
            " in what could be read"
        } else {
            ""
        };
        writeln!(out, "\nNo issues found{partial}.")?;
    } else {
        summary_line(report, unreadable, out)?;
    }
    held_back(report, out)?;
    for warning in &report.warnings {
        if warning.kind == WarningKind::Info {
            let blue = severity_style(Severity::Info);
            writeln!(out, "{blue}note:{blue:#} {}", warning.message)?;
        } else {
            let yellow = severity_style(Severity::Warning);
            writeln!(out, "{yellow}warning:{yellow:#} {}", warning.message)?;
        }
    }
    Ok(())
}

/// The checks a cluster report counts instead of listing, one line each, and how many system
/// components the security checks left out.
fn held_back(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    if !report.held_back.is_empty() {
        writeln!(
            out,
            "{BOLD}Not listed on clusters{BOLD:#} (static checks for manifests):"
        )?;
    }
    for count in &report.held_back {
        let (objects, namespaces) = (count.objects, count.namespaces);
        let objects = if objects == 1 {
            "1 object".to_owned()
        } else {
            format!("{objects} objects")
        };
        let namespaces = if namespaces == 1 {
            "1 namespace".to_owned()
        } else {
            format!("{namespaces} namespaces")
        };
        writeln!(
            out,
            "  {}: {objects} in {namespaces} {DIM}— run with --check {} to list them{DIM:#}",
            count.check, count.check
        )?;
    }
    let exempted = report.summary.exempted;
    if exempted > 0 {
        let blue = severity_style(Severity::Info);
        let what = if exempted == 1 {
            "1 system component was"
        } else {
            &format!("{exempted} system components were")
        };
        writeln!(
            out,
            "{blue}note:{blue:#} {what} exempted from the security checks (the cluster's network, storage and device DaemonSets and its static control-plane pods)"
        )?;
    }
    Ok(())
}

/// `3 issues: 1 critical, 2 error`, and, when some input could not be read (the exit code is 2
/// then, whatever was found), how many issues reach `--fail-on` in what could.
fn summary_line(report: &Report, unreadable: usize, out: &mut dyn Write) -> io::Result<()> {
    let summary = &report.summary;
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
    let failing = report.fail_on.filter(|_| unreadable > 0).map(|fail_on| {
        let n: usize = summary
            .by_severity
            .iter()
            .filter(|(sev, _)| **sev >= fail_on)
            .map(|(_, n)| n)
            .sum();
        let inputs = if unreadable == 1 {
            "1 input".to_owned()
        } else {
            format!("{unreadable} inputs")
        };
        format!(
            " · {n} at or above --fail-on {fail_on} in what could be read; {inputs} could not be read"
        )
    });
    writeln!(
        out,
        "\n{BOLD}{} {noun}{BOLD:#}: {}{}",
        summary.issues,
        counts.join(", "),
        failing.unwrap_or_default()
    )
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

    fn render_text(report: &Report) -> String {
        let mut out = Vec::new();
        Text.render(report, &mut out).unwrap();
        anstream::adapter::strip_str(std::str::from_utf8(&out).unwrap()).to_string()
    }

    #[test]
    fn a_cluster_report_counts_what_it_does_not_list() {
        let mut report = report(vec![crash_loop()]);
        report.held_back = vec![kubewhy_model::CheckCount {
            check: kubewhy_model::CheckId("container-runs-as-root"),
            objects: 41,
            namespaces: 7,
        }];
        report.summary.exempted = 6;
        let text = render_text(&report);
        assert!(
            text.contains("container-runs-as-root: 41 objects in 7 namespaces"),
            "{text}"
        );
        assert!(text.contains("--check container-runs-as-root"), "{text}");
        assert!(text.contains("6 system components were exempted"), "{text}");
    }

    #[test]
    fn the_summary_says_what_was_found_when_some_input_was_unreadable() {
        let mut report = report(vec![crash_loop()]);
        report.warnings.push(kubewhy_model::Warning::new(
            WarningKind::Input,
            "pods.json:3: invalid JSON",
        ));
        report.fail_on = Some(Severity::Error);
        let text = render_text(&report);
        assert!(
            text.contains(
                "1 issue: 1 error · 1 at or above --fail-on error in what could be read; 1 input could not be read\n"
            ),
            "{text}"
        );
    }

    #[test]
    fn nothing_read_is_not_a_clean_bill_of_health() {
        let mut report = report(Vec::new());
        report.summary.objects_scanned = 0;
        report.warnings = vec![kubewhy_model::Warning::new(
            WarningKind::Info,
            "chart: skipped a Helm chart",
        )];
        let text = render_text(&report);
        assert!(!text.contains("No issues found"), "{text}");
        assert!(
            text.contains("Nothing could be analysed: the input holds no Kubernetes objects"),
            "{text}"
        );
        assert!(text.contains("note: chart: skipped a Helm chart"), "{text}");
    }
}
