//! `kubewhy analyze`, `demo` and `explain`: a fold over the engine's events. Progress is drawn
//! on stderr from `Progress` events (a terminal only); errors print as they happen; the report
//! is rendered at the end. Ctrl-C drops the run, which cancels it.

use std::{io::IsTerminal, process::ExitCode, time::Duration};

use anyhow::{Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use kubewhy_analyzers::Filter;
use kubewhy_engine::{Connection, Engine, EventKind, Options, SourceSpec};
use kubewhy_model::{ObjectRef, Report, Severity};
use kubewhy_source::{LabelSelector, Scope};

use crate::{
    args::{AnalyzeArgs, ColorWhen, ExplainArgs},
    commands::write_quietly,
};

/// The exit code of an interrupted run, as shells report SIGINT.
const INTERRUPTED: u8 = 130;

pub(crate) fn filter(args: &AnalyzeArgs) -> Result<Filter> {
    let filter = Filter {
        only: args.filters.checks.clone(),
        skip: args.filters.skips.clone(),
        min_severity: args.filters.min_severity,
        ..Filter::default()
    };
    if let Some(name) = filter.unknown_names().first() {
        bail!("unknown check or category `{name}`; `kubewhy checks` lists them");
    }
    Ok(filter)
}

fn scope(args: &AnalyzeArgs) -> Result<Scope> {
    if let Some(selector) = &args.scope.selector {
        LabelSelector::parse(selector)?;
    }
    Ok(Scope {
        namespace: args.scope.namespace.clone(),
        selector: args.scope.selector.clone(),
        exclude_namespaces: args.scope.exclude_namespaces.clone(),
    })
}

pub(crate) fn spec(args: &AnalyzeArgs) -> SourceSpec {
    let source = &args.source;
    if source.demo {
        SourceSpec::Demo
    } else if !source.files.is_empty() {
        SourceSpec::Files(source.files.clone())
    } else {
        SourceSpec::Live {
            kubeconfig: source.kubeconfig.clone(),
            contexts: source.contexts.clone(),
            connection: Connection {
                request_timeout: source.request_timeout.map(|d| *d),
                impersonate: source.as_user.clone(),
                impersonate_groups: source.as_groups.clone(),
            },
        }
    }
}

pub(crate) async fn analyze(args: AnalyzeArgs, color: ColorWhen) -> Result<ExitCode> {
    let options = Options {
        scope: scope(&args)?,
        filter: filter(&args)?,
        focus: None,
    };
    let Some((report, failed_inputs)) = fold(spec(&args), options).await? else {
        return Ok(ExitCode::from(INTERRUPTED));
    };
    let format = args.output;
    write_quietly(color, |out| kubewhy_report::render(&report, format, out))?;
    Ok(exit_code(&report, failed_inputs, args.fail_on))
}

pub(crate) async fn explain(args: ExplainArgs, color: ColorWhen) -> Result<ExitCode> {
    let (kind, name) = args.target()?;
    let namespace = args.analyze.scope.namespace.clone();
    let options = Options {
        scope: scope(&args.analyze)?,
        filter: filter(&args.analyze)?,
        focus: Some(ObjectRef::new("", kind, namespace.as_deref(), name)),
    };
    let Some((report, failed_inputs)) = fold(spec(&args.analyze), options).await? else {
        return Ok(ExitCode::from(INTERRUPTED));
    };
    let format = args.analyze.output;
    write_quietly(color, |out| match format {
        kubewhy_report::Format::Text => kubewhy_report::explain::render(&report, out),
        other => kubewhy_report::render(&report, other, out),
    })?;
    Ok(exit_code(&report, failed_inputs, args.analyze.fail_on))
}

fn exit_code(report: &Report, failed_inputs: bool, fail_on: Option<Severity>) -> ExitCode {
    let fail_on = fail_on.unwrap_or(Severity::Error);
    if failed_inputs {
        ExitCode::from(2)
    } else if report.worst().is_some_and(|worst| worst >= fail_on) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// Runs to the end, drawing progress and printing input errors as they come. Returns the
/// report and whether some input could not be read; `None` when interrupted.
async fn fold(spec: SourceSpec, options: Options) -> Result<Option<(Report, bool)>> {
    let mut run = Engine::start(spec, options);
    let bar = progress_bar();
    let mut failed_inputs = false;
    let mut report = None;
    loop {
        let event = tokio::select! {
            event = run.next() => event,
            _ = tokio::signal::ctrl_c() => {
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
            EventKind::Report(r) => report = Some(*r),
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
