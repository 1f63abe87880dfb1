//! The `kubewhy` binary: parses arguments, runs a command, and maps the outcome to an exit code
//! (0 nothing at or above `--fail-on`, 1 issues found, 2 error).

mod analyze;
mod args;
mod commands;
mod eval;
mod llm;
mod serve;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

use crate::args::Cli;

/// mimalloc rather than the system allocator: parsing a large cluster allocates millions of
/// small objects on several threads, and glibc's per-thread arenas then hold hundreds of
/// megabytes they cannot give back (10,000 pods: 1.2 GB of RSS for 0.7 GB of heap).
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = parse_args();
    // kube-rs builds its TLS client on the process-wide provider; pick ring explicitly so that
    // no dependency's feature set can leave it ambiguous.
    let _ = rustls::crypto::ring::default_provider().install_default();
    init_tracing(cli.global.verbose, cli.global.quiet);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let code = match runtime.block_on(commands::run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    };
    // A dropped run stops at its next check; never wait long for blocking work that has not
    // noticed yet (a large file being parsed).
    runtime.shutdown_timeout(std::time::Duration::from_millis(100));
    code
}

/// Parses the command line. Installed as `kubectl-why`, kubewhy is the kubectl plugin
/// `kubectl why`, and its help says so.
fn parse_args() -> Cli {
    let invoked_as = std::env::args_os().next().map(std::path::PathBuf::from);
    let plugin = invoked_as
        .as_deref()
        .and_then(std::path::Path::file_stem)
        .is_some_and(|stem| stem == "kubectl-why");
    let command = Cli::command();
    let command = if plugin {
        command.bin_name("kubectl why")
    } else {
        command
    };
    let matches = command.get_matches();
    Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
}

fn init_tracing(verbose: u8, quiet: bool) {
    let level = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, 2) => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("KUBEWHY_LOG")
        // kube-rs logs every failed connection at ERROR; kubewhy reports those itself.
        .unwrap_or_else(|_| {
            let kube = if verbose >= 2 { level } else { "off" };
            tracing_subscriber::EnvFilter::new(format!("{level},kube_client={kube}"))
        });
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
}
