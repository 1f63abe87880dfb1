//! `kubewhy analyze`, `demo` and `explain`: a fold over the engine's events. Progress is drawn
//! on stderr from `Progress` events (a terminal only); errors print as they happen; the report
//! is rendered at the end. Ctrl-C drops the run, which cancels it.

use std::{io::IsTerminal, path::Path, process::ExitCode, time::Duration};

use anyhow::{Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use kubewhy_analyzers::Filter;
use kubewhy_engine::{Connection, DryRun, Engine, EventKind, ExplainOptions, Options, SourceSpec};
use kubewhy_model::{ObjectRef, Report, Severity};
use kubewhy_source::{LabelSelector, Scope};

use crate::{
    args::{AnalyzeArgs, ColorWhen, ExplainArgs},
    commands::write_quietly,
};

/// The exit code of an interrupted run, as shells report SIGINT.
const INTERRUPTED: u8 = 130;

pub(crate) fn filter(args: &AnalyzeArgs, config: Option<&Path>) -> Result<Filter> {
    let filter = Filter {
        only: args.filters.checks.clone(),
        skip: args.filters.skips.clone(),
        min_severity: args.filters.min_severity,
        exempt: crate::llm::settings(config)?.exemptions,
        ..Filter::default()
    };
    if let Some(name) = filter.unknown_names().first() {
        bail!("unknown check or category `{name}`; `kubewhy checks` lists them");
    }
    Ok(filter)
}

pub(crate) fn scope(args: &AnalyzeArgs) -> Result<Scope> {
    if let Some(selector) = &args.scope.selector {
        LabelSelector::parse(selector)?;
    }
    Ok(Scope {
        namespace: args.scope.namespace.clone(),
        selector: args.scope.selector.clone(),
        exclude_namespaces: args.scope.exclude_namespaces.clone(),
    })
}

pub(crate) fn spec(args: &AnalyzeArgs) -> Result<SourceSpec> {
    let source = &args.source;
    Ok(if source.demo {
        SourceSpec::Demo
    } else if !source.files.is_empty() {
        SourceSpec::Files {
            paths: source.files.clone(),
            kubernetes_version: source.kubernetes_version,
        }
    } else {
        let contexts = if source.all_contexts {
            let all = kubewhy_source::live::contexts(source.kubeconfig.as_deref())?;
            if all.is_empty() {
                bail!("--all-contexts: the kubeconfig has no context");
            }
            all
        } else {
            source.contexts.clone()
        };
        SourceSpec::Live {
            kubeconfig: source.kubeconfig.clone(),
            contexts,
            connection: Connection {
                request_timeout: source.request_timeout.map(|d| *d),
                impersonate: source.as_user.clone(),
                impersonate_groups: source.as_groups.clone(),
            },
        }
    })
}

pub(crate) async fn analyze(
    args: AnalyzeArgs,
    color: ColorWhen,
    config: Option<&Path>,
) -> Result<ExitCode> {
    let explain = explain_options(&args, args.explain, config)?;
    let dry_run = args.llm.dry_run;
    let options = Options {
        scope: scope(&args)?,
        filter: filter(&args, config)?,
        focus: None,
        explain,
    };
    let Some((mut report, failed_inputs)) = fold(spec(&args)?, options, false).await? else {
        return Ok(ExitCode::from(INTERRUPTED));
    };
    if dry_run {
        return Ok(exit_code(&report, failed_inputs, args.fail_on));
    }
    report.fail_on = Some(args.fail_on.unwrap_or(Severity::Error));
    let format = args.output;
    write_quietly(color, |out| kubewhy_report::render(&report, format, out))?;
    Ok(exit_code(&report, failed_inputs, args.fail_on))
}

pub(crate) async fn explain(
    args: ExplainArgs,
    color: ColorWhen,
    config: Option<&Path>,
) -> Result<ExitCode> {
    let (kind, name) = args.target()?;
    let namespace = args.analyze.scope.namespace.clone();
    let explain = explain_options(&args.analyze, true, config)?;
    let dry_run = args.analyze.llm.dry_run;
    let options = Options {
        scope: scope(&args.analyze)?,
        filter: filter(&args.analyze, config)?,
        focus: Some(ObjectRef::new("", kind, namespace.as_deref(), name)),
        explain,
    };
    let stream = std::io::stderr().is_terminal() && !args.analyze.llm.no_stream;
    let Some((mut report, failed_inputs)) = fold(spec(&args.analyze)?, options, stream).await?
    else {
        return Ok(ExitCode::from(INTERRUPTED));
    };
    if dry_run {
        return Ok(exit_code(&report, failed_inputs, args.analyze.fail_on));
    }
    report.fail_on = Some(args.analyze.fail_on.unwrap_or(Severity::Error));
    let format = args.analyze.output;
    write_quietly(color, |out| match format {
        kubewhy_report::Format::Text => kubewhy_report::explain::render(&report, out),
        other => kubewhy_report::render(&report, other, out),
    })?;
    Ok(exit_code(&report, failed_inputs, args.analyze.fail_on))
}

/// The explain settings when explaining was asked for, either way (`--explain`, or any LLM
/// flag that only makes sense with it, such as `--dry-run`).
fn explain_options(
    args: &AnalyzeArgs,
    explain: bool,
    config: Option<&Path>,
) -> Result<Option<ExplainOptions>> {
    if !explain && !args.llm.dry_run {
        return Ok(None);
    }
    llm_options(args, config).map(Some)
}

/// The LLM options of `args`; `--request-timeout` also bounds how long an LLM server may take
/// to start answering.
pub(crate) fn llm_options(args: &AnalyzeArgs, config: Option<&Path>) -> Result<ExplainOptions> {
    let mut options = crate::llm::explain_options(&args.llm, config)?;
    if let Some(timeout) = args.source.request_timeout {
        options.retry.request_timeout = *timeout;
    }
    Ok(options)
}

/// 2 when an input, or one cluster of several, could not be read (what could be read is
/// printed first); 1 for issues at or above `--fail-on`; else 0.
fn exit_code(report: &Report, failed_inputs: bool, fail_on: Option<Severity>) -> ExitCode {
    let fail_on = fail_on.unwrap_or(Severity::Error);
    if failed_inputs || report.clusters.iter().any(|c| c.error.is_some()) {
        ExitCode::from(2)
    } else if report.worst().is_some_and(|worst| worst >= fail_on) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// Runs to the end, drawing progress and printing input errors as they come. Returns the
/// report and whether some input could not be read; `None` when interrupted.
async fn fold(spec: SourceSpec, options: Options, stream: bool) -> Result<Option<(Report, bool)>> {
    // One listener for the whole run: a SIGINT between two events is not lost.
    let interrupted = tokio::signal::ctrl_c();
    tokio::pin!(interrupted);
    let mut run = Engine::start(spec, options);
    let bar = progress_bar();
    let mut failed_inputs = false;
    let mut report = None;
    loop {
        let event = tokio::select! {
            event = run.next() => event,
            _ = &mut interrupted => {
                bar.finish_and_clear();
                eprintln!("interrupted");
                return Ok(None);
            }
        };
        let Some(event) = event else { break };
        match event.kind {
            EventKind::Progress(p) => {
                let cluster = event.cluster.as_deref().unwrap_or("files");
                bar.set_message(format!(
                    "reading {cluster}: {}/{} ({}, {} objects)",
                    p.steps_done, p.steps, p.what, p.items
                ));
            }
            EventKind::InputError(e) => {
                failed_inputs = true;
                bar.suspend(|| eprintln!("error: {e}"));
            }
            EventKind::Issues(issues) => {
                bar.set_message(format!("{} issues; fetching log tails", issues.len()));
            }
            EventKind::Explanation { delta, .. } if stream => {
                bar.suspend(|| eprint!("{delta}"));
            }
            EventKind::Explained { explanation, .. } => {
                if stream {
                    eprintln!();
                }
                bar.set_message(format!("explained with {}", explanation.backend));
            }
            EventKind::DryRun(dry) => bar.suspend(|| print_dry_run(&dry)),
            EventKind::Report(r) => {
                explain_summary(&r);
                report = Some(*r);
            }
            EventKind::Failed(e) => {
                bar.finish_and_clear();
                return Err(e.into());
            }
            _ => {}
        }
    }
    bar.finish_and_clear();
    report.map_or_else(
        || bail!("the run ended without a report"),
        |r| Ok(Some((r, failed_inputs))),
    )
}

/// One request of `--dry-run`: exactly the text that would be sent on stdout, and on stderr
/// (the user's terminal, never a pipe's file) the pseudonyms and what they stand for.
fn print_dry_run(dry: &DryRun) {
    println!(
        "=== issue {} → {} (model {}), about {} prompt tokens; nothing was sent",
        dry.fingerprint, dry.endpoint, dry.model, dry.estimated_tokens
    );
    for (role, content) in &dry.messages {
        println!("--- {}", role.as_str());
        println!("{content}");
    }
    if std::io::stderr().is_terminal() {
        eprintln!("pseudonyms of issue {}:", dry.fingerprint);
        for entry in &dry.table {
            let real = entry.real.as_deref().unwrap_or("(a secret: never kept)");
            eprintln!("  {:<28} {real}", entry.pseudonym);
        }
    }
}

/// Tokens and calls of the run's explanations, on stderr at info level.
fn explain_summary(report: &Report) {
    let explained: Vec<_> = report
        .issues
        .iter()
        .filter_map(|i| i.explanation.as_ref())
        .collect();
    if explained.is_empty() {
        return;
    }
    let tokens_in: u64 = explained.iter().map(|e| u64::from(e.tokens_in)).sum();
    let tokens_out: u64 = explained.iter().map(|e| u64::from(e.tokens_out)).sum();
    let cached = explained.iter().filter(|e| e.cached).count();
    let fallbacks = explained.iter().filter(|e| e.fallback).count();
    tracing::info!(
        "explained {} issues: {tokens_in} tokens in, {tokens_out} out, {cached} from the cache, {fallbacks} offline fallbacks",
        explained.len()
    );
}

/// A spinner on stderr, drawn only on a terminal.
fn progress_bar() -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner();
    if let Ok(style) = ProgressStyle::with_template("{spinner} {msg}") {
        bar.set_style(style);
    }
    bar.enable_steady_tick(Duration::from_millis(100));
    bar
}
