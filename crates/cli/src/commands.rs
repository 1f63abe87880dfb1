//! Runs a parsed command line.

use std::{
    io::{self, Write},
    process::ExitCode,
};

use anyhow::{Context, Result, bail};
use clap::CommandFactory;
use kubewhy_sim::{KubeSim, KubeSimOptions};

use crate::{
    analyze::{analyze, explain},
    args::{AnalyzeArgs, Cli, ColorWhen, Command, SimCommand, SimGenerateArgs, SimServeArgs},
};

pub async fn run(cli: Cli) -> Result<ExitCode> {
    let color = cli.global.color;
    let config = cli.global.config.as_deref();
    match cli.command {
        None if interactive() => tui(AnalyzeArgs::default(), color, config).await,
        None => analyze(AnalyzeArgs::default(), color, config).await,
        Some(Command::Tui(args)) => tui(args, color, config).await,
        Some(Command::Analyze(args)) => analyze(args, color, config).await,
        Some(Command::Demo(mut args)) => {
            args.source.demo = true;
            analyze(args, color, config).await
        }
        Some(Command::Backend(command)) => crate::llm::backend_command(command, config).await,
        Some(Command::Cache(command)) => crate::llm::cache_command(&command),
        Some(Command::Sim(SimCommand::Serve(args))) => sim_serve(args).await,
        Some(Command::Sim(SimCommand::Generate(args))) => sim_generate(&args),
        Some(Command::Explain(args)) => explain(args, color, config).await,
        Some(Command::Eval(args)) => crate::eval::eval(args, color, config).await,
        Some(Command::Serve(args)) => crate::serve::serve(args, config).await,
        Some(Command::Mcp(args)) => crate::serve::mcp(args, config).await,
        Some(Command::Checks { id }) => checks(id.as_deref()),
        Some(Command::Completions { shell }) => {
            let mut command = Cli::command();
            write_quietly(ColorWhen::Never, |out| {
                clap_complete::generate(shell, &mut command, "kubewhy", out);
                Ok(())
            })?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Man) => {
            let man = clap_mangen::Man::new(Cli::command());
            write_quietly(ColorWhen::Never, |out| man.render(out))?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Whether `kubewhy` alone should open the TUI: stdin and stdout are terminals and this is not
/// CI. Piped, it stays `analyze`.
fn interactive() -> bool {
    use std::io::IsTerminal;
    io::stdin().is_terminal() && io::stdout().is_terminal() && std::env::var_os("CI").is_none()
}

/// `kubewhy tui`: the same source, scope, checks and LLM options as `analyze`. With a backend,
/// `x`, `r`, `c` and `P` ask it through the engine's explain pipeline.
async fn tui(
    args: AnalyzeArgs,
    color: ColorWhen,
    config_path: Option<&std::path::Path>,
) -> Result<ExitCode> {
    let options = kubewhy_engine::Options {
        scope: crate::analyze::scope(&args)?,
        filter: crate::analyze::filter(&args, config_path)?,
        focus: None,
        explain: None,
    };
    let mut config = kubewhy_tui::TuiConfig::from_env();
    match color {
        ColorWhen::Always => config.color = true,
        ColorWhen::Never => config.color = false,
        ColorWhen::Auto => {}
    }
    let explain = crate::llm::explain_options(&args.llm, config_path)?;
    if explain.backend.is_some() {
        config.assistant = Some(std::sync::Arc::new(kubewhy_tui::EngineAssistant::new(
            explain,
        )));
    }
    kubewhy_tui::run(crate::analyze::spec(&args)?, options, config).await?;
    Ok(ExitCode::SUCCESS)
}

/// Starts the API simulator on `demo` or on anything the file source reads. JSON files (a
/// file, or those directly in a folder) are served as they are written, `managedFields` and
/// all; everything else as the file source reads it.
async fn start_sim(snapshot: &str, options: KubeSimOptions) -> Result<KubeSim> {
    let loaded = if snapshot == "demo" {
        kubewhy_source::demo::load()
    } else {
        kubewhy_source::files::load(&[snapshot.into()])
    };
    if let Some(first) = loaded.errors.first() {
        bail!("cannot serve {snapshot}: {first}");
    }
    let objects = if snapshot == "demo" {
        Vec::new()
    } else {
        json_objects_in(std::path::Path::new(snapshot))
    };
    // Served as written only when the JSON files hold the whole cluster the file source read;
    // a dump folder keeps most of its objects in subfolders and in YAML.
    if objects.len() == loaded.snapshot.objects_scanned() {
        Ok(KubeSim::start_with_objects(&loaded.snapshot, objects, options).await?)
    } else {
        Ok(KubeSim::start(&loaded.snapshot, options).await?)
    }
}

/// The objects of a `.json` file, or of the `.json` files directly in a folder.
fn json_objects_in(path: &std::path::Path) -> Vec<serde_json::Value> {
    let is_json = |p: &std::path::Path| {
        p.extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"))
    };
    let files: Vec<std::path::PathBuf> = if path.is_dir() {
        let mut files: Vec<_> = std::fs::read_dir(path)
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file() && is_json(p))
            .collect();
        files.sort();
        files
    } else if is_json(path) {
        vec![path.to_owned()]
    } else {
        Vec::new()
    };
    files
        .iter()
        .filter_map(|f| std::fs::read_to_string(f).ok())
        .flat_map(|text| kubewhy_sim::json_objects(&text))
        .collect()
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
    let cluster = kubewhy_sim::generate_cluster(options);
    let format = match args.format {
        crate::args::GenerateFormat::Json => kubewhy_sim::Format::Json,
        crate::args::GenerateFormat::Yaml => kubewhy_sim::Format::Yaml,
    };
    let text = cluster.to_text(format)?;
    match &args.output {
        Some(path) => {
            std::fs::write(path, text)
                .with_context(|| format!("cannot write {}", path.display()))?;
            if !cluster.previous_logs.is_empty() {
                let logs = path.with_file_name("logs-previous.txt");
                std::fs::write(&logs, &cluster.previous_logs)
                    .with_context(|| format!("cannot write {}", logs.display()))?;
            }
        }
        None => write_quietly(ColorWhen::Never, |out| out.write_all(text.as_bytes()))?,
    }
    Ok(ExitCode::SUCCESS)
}

/// `kubewhy checks`: a table of every check, or one check's catalog entry.
fn checks(id: Option<&str>) -> Result<ExitCode> {
    let text = match id {
        Some(id) => kubewhy_report::checks::doc(id)?,
        None => kubewhy_report::checks::table(),
    };
    write_quietly(ColorWhen::Never, |out| out.write_all(text.as_bytes()))?;
    Ok(ExitCode::SUCCESS)
}

/// Writes to stdout, dropping ANSI styles where colour is off. A closed pipe (`| head`) is
/// not an error.
pub(crate) fn write_quietly(
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
