//! Runs a parsed command line.

use std::{
    io::{self, Write},
    process::ExitCode,
};

use anyhow::{Context, Result, bail};
use kubewhy_analyzers::{Applies, Filter};
use kubewhy_engine::Options;
use kubewhy_model::{Severity, SourceKind};
use kubewhy_report::Format;
use kubewhy_sim::{KubeSim, KubeSimOptions};
use kubewhy_source::{
    LabelSelector, Scope, Source,
    live::{LiveOptions, LiveSource},
};

use crate::args::{
    AnalyzeArgs, Cli, ColorWhen, Command, OutputFormat, SimCommand, SimGenerateArgs, SimServeArgs,
};

pub async fn run(cli: Cli) -> Result<ExitCode> {
    let color = cli.global.color;
    match cli.command {
        None => analyze(AnalyzeArgs::default(), color).await,
        Some(Command::Analyze(args)) => analyze(args, color).await,
        Some(Command::Demo(mut args)) => {
            args.source.demo = true;
            analyze(args, color).await
        }
        Some(Command::Sim(SimCommand::Serve(args))) => sim_serve(args).await,
        Some(Command::Sim(SimCommand::Generate(args))) => sim_generate(&args),
        Some(Command::Checks { id }) => checks(id.as_deref()),
    }
}

fn filter(args: &AnalyzeArgs) -> Result<Filter> {
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
        LabelSelector::parse(selector).map_err(anyhow::Error::msg)?;
    }
    Ok(Scope {
        namespace: args.scope.namespace.clone(),
        selector: args.scope.selector.clone(),
        exclude_namespaces: args.scope.exclude_namespaces.clone(),
    })
}

async fn analyze(args: AnalyzeArgs, color: ColorWhen) -> Result<ExitCode> {
    let options = Options {
        scope: scope(&args)?,
        filter: filter(&args)?,
    };
    // The demo's simulator must outlive the analysis.
    let mut _demo_sim = None;
    let source = if args.source.demo {
        let sim = start_sim("demo", KubeSimOptions::default()).await?;
        let live = LiveOptions {
            kubeconfig_yaml: Some(sim.kubeconfig()),
            observed_at: kubewhy_source::demo::OBSERVED_AT.parse().ok(),
            kind: Some(SourceKind::Demo),
            ..LiveOptions::default()
        };
        _demo_sim = Some(sim);
        Source::Live(Box::new(LiveSource::connect(live).await?))
    } else if !args.source.files.is_empty() {
        Source::Files(args.source.files)
    } else {
        let live = LiveOptions {
            kubeconfig: args.source.kubeconfig,
            context: args.source.context,
            ..LiveOptions::default()
        };
        Source::Live(Box::new(LiveSource::connect(live).await?))
    };
    let outcome = kubewhy_engine::analyze(&source, &options).await;
    for error in &outcome.errors {
        eprintln!("error: {error}");
    }
    let format = match args.output {
        OutputFormat::Text => Format::Text,
        OutputFormat::Json => Format::Json,
        OutputFormat::Yaml => Format::Yaml,
    };
    write_quietly(color, |out| {
        kubewhy_report::render(&outcome.report, format, out)
    })?;
    let fail_on = args.fail_on.unwrap_or(Severity::Error);
    Ok(if !outcome.errors.is_empty() {
        ExitCode::from(2)
    } else if outcome.report.worst().is_some_and(|worst| worst >= fail_on) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Starts the API simulator on `demo` or on anything the file source reads.
async fn start_sim(snapshot: &str, options: KubeSimOptions) -> Result<KubeSim> {
    let loaded = if snapshot == "demo" {
        kubewhy_source::demo::load()
    } else {
        kubewhy_source::files::load(&[snapshot.into()])
    };
    if let Some(first) = loaded.errors.first() {
        bail!("cannot serve {snapshot}: {first}");
    }
    Ok(KubeSim::start(&loaded.snapshot, options).await?)
}

async fn sim_serve(args: SimServeArgs) -> Result<ExitCode> {
    let options = KubeSimOptions {
        listen: args.listen,
        tls: !args.plain_http,
        faults: args.faults.into_iter().collect(),
    };
    let sim = start_sim(&args.snapshot, options).await?;
    if let Some(path) = &args.kubeconfig_out {
        write_private(path, &sim.kubeconfig())
            .with_context(|| format!("cannot write the kubeconfig to {}", path.display()))?;
    }
    println!(
        "Kubernetes API simulator serving {} at {}",
        args.snapshot,
        sim.url()
    );
    if let Some(path) = &args.kubeconfig_out {
        println!(
            "kubeconfig written to {}; try: KUBECONFIG={} kubectl get pods -A",
            path.display(),
            path.display()
        );
    }
    println!("Press Ctrl-C to stop.");
    io::stdout().flush()?;
    tokio::signal::ctrl_c()
        .await
        .context("cannot wait for Ctrl-C")?;
    eprintln!("stopped after {} requests", sim.requests().len());
    Ok(ExitCode::SUCCESS)
}

fn sim_generate(args: &SimGenerateArgs) -> Result<ExitCode> {
    let options = kubewhy_sim::GenerateOptions {
        pods: args.pods,
        failing: args.failing,
        seed: args.seed,
    };
    let text = kubewhy_sim::generate(options);
    match &args.output {
        Some(path) => std::fs::write(path, text)
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => write_quietly(ColorWhen::Never, |out| out.write_all(text.as_bytes()))?,
    }
    Ok(ExitCode::SUCCESS)
}

/// `kubewhy checks`: a table of every check, or one check's catalog entry.
fn checks(id: Option<&str>) -> Result<ExitCode> {
    let text = if let Some(id) = id {
        check_doc(id)?
    } else {
        check_table()
    };
    write_quietly(ColorWhen::Never, |out| out.write_all(text.as_bytes()))?;
    Ok(ExitCode::SUCCESS)
}

fn check_doc(id: &str) -> Result<String> {
    let Some(info) = kubewhy_analyzers::check(id) else {
        bail!("unknown check `{id}`; `kubewhy checks` lists them");
    };
    let applies = match info.applies {
        Applies::Live => "live state",
        Applies::Static => "manifests (static)",
    };
    let default = if info.default_on {
        "on by default"
    } else {
        "off unless named with --check"
    };
    Ok(format!(
        "{id}: {}\nseverity {} · category {} · applies to {applies} · {default}\n\n{}",
        info.title, info.severity, info.category, info.doc
    ))
}

fn check_table() -> String {
    use std::fmt::Write as _;
    let mut rows: Vec<_> = kubewhy_analyzers::all_checks().collect();
    rows.sort_by_key(|info| (info.category, info.id));
    let mut text = format!(
        "{:<44} {:<9} {:<14} {:<7} TITLE\n",
        "CHECK", "SEVERITY", "CATEGORY", "APPLIES"
    );
    for info in rows {
        let off = if info.default_on {
            ""
        } else {
            " (off by default)"
        };
        let _ = writeln!(
            text,
            "{:<44} {:<9} {:<14} {:<7} {}{off}",
            info.id.as_str(),
            info.severity.as_str(),
            info.category.as_str(),
            info.applies.as_str(),
            info.title
        );
    }
    text
}

/// Writes to stdout, dropping ANSI styles where colour is off. A closed pipe (`| head`) is
/// not an error.
fn write_quietly(
    color: ColorWhen,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<()> {
    let choice = match color {
        ColorWhen::Auto => anstream::ColorChoice::Auto,
        ColorWhen::Always => anstream::ColorChoice::Always,
        ColorWhen::Never => anstream::ColorChoice::Never,
    };
    let mut out = io::BufWriter::new(anstream::AutoStream::new(io::stdout().lock(), choice));
    match write(&mut out).and_then(|()| out.flush()) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

/// Writes a file only its owner can read: it holds a bearer token.
fn write_private(path: &std::path::Path, text: &str) -> io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(text.as_bytes())
}
