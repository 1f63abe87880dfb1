//! Runs a parsed command line.

use std::{
    io::{self, Write},
    process::ExitCode,
};

use anyhow::{Result, bail};
use kubewhy_analyzers::Filter;
use kubewhy_engine::Options;
use kubewhy_model::Severity;
use kubewhy_report::Format;
use kubewhy_source::{Scope, Source};

use crate::args::{AnalyzeArgs, Cli, ColorWhen, Command, OutputFormat};

pub async fn run(cli: Cli) -> Result<ExitCode> {
    let color = cli.global.color;
    match cli.command {
        None => analyze(AnalyzeArgs::default(), color).await,
        Some(Command::Analyze(args)) => analyze(args, color).await,
        Some(Command::Demo(mut args)) => {
            args.source.demo = true;
            analyze(args, color).await
        }
    }
}

async fn analyze(args: AnalyzeArgs, color: ColorWhen) -> Result<ExitCode> {
    let filter = Filter {
        only: args.filters.checks,
        skip: args.filters.skips,
        min_severity: args.filters.min_severity,
    };
    if let Some(name) = filter.unknown_names().first() {
        bail!("unknown check or category `{name}`; `kubewhy checks` lists them");
    }
    let source = if args.source.demo {
        Source::Demo
    } else if !args.source.files.is_empty() {
        Source::Files(args.source.files)
    } else {
        bail!(
            "no source given: use -f PATH for files, or --demo (`kubewhy demo`) for the demo cluster"
        );
    };
    let scope = Scope {
        namespace: args.scope.namespace,
        selector: args.scope.selector,
        exclude_namespaces: args.scope.exclude_namespaces,
    };
    let outcome = kubewhy_engine::analyze(&source, &Options { scope, filter }).await;
    for error in &outcome.errors {
        eprintln!("error: {error}");
    }
    let format = match args.output {
        OutputFormat::Text => Format::Text,
        OutputFormat::Json => Format::Json,
        OutputFormat::Yaml => Format::Yaml,
    };
    write_report(&outcome.report, format, color)?;
    Ok(if !outcome.errors.is_empty() {
        ExitCode::from(2)
    } else if outcome
        .report
        .worst()
        .is_some_and(|worst| worst >= args.fail_on.unwrap_or(Severity::Error))
    {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Writes the report to stdout. A closed pipe (`| head`) is not an error.
fn write_report(report: &kubewhy_model::Report, format: Format, color: ColorWhen) -> Result<()> {
    let choice = match color {
        ColorWhen::Auto => anstream::ColorChoice::Auto,
        ColorWhen::Always => anstream::ColorChoice::Always,
        ColorWhen::Never => anstream::ColorChoice::Never,
    };
    let mut out = io::BufWriter::new(anstream::AutoStream::new(io::stdout().lock(), choice));
    let result = kubewhy_report::render(report, format, &mut out).and_then(|()| out.flush());
    match result {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}
