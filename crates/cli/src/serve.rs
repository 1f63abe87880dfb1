//! `kubewhy serve` and `kubewhy mcp`: the server's options from the command line, the config
//! file and the environment. The server itself is `kubewhy-server`.

use std::{path::Path, process::ExitCode, time::Duration};

use anyhow::{Context, Result};
use kubewhy_engine::Options;
use kubewhy_server::{NotifyOptions, Secrets, ServerOptions, settings::SlackSettings};

use crate::args::{AnalyzeArgs, ServeArgs};

/// Slack's Web API, unless `KUBEWHY_SLACK_API_URL` names another (a proxy, a test server).
const SLACK_API: &str = "https://slack.com/api/";

pub(crate) async fn serve(args: ServeArgs, config: Option<&Path>) -> Result<ExitCode> {
    let mut options = options(&args.analyze, config)?;
    options.listen = args.listen;
    options.mcp = args.mcp;
    options.queue = args.queue;
    options.state_dir = args.state_dir.unwrap_or_else(state_dir);
    if let Some(interval) = args.watch {
        let interval: Duration = *interval;
        options.share_for = interval;
        options.notify = Some(NotifyOptions {
            interval,
            channel: args.notify_channel,
            min_severity: args.notify_min_severity,
            namespaces: args.notify_namespace,
        });
    }
    kubewhy_server::serve(options).await?;
    Ok(ExitCode::SUCCESS)
}

pub(crate) async fn mcp(args: AnalyzeArgs, config: Option<&Path>) -> Result<ExitCode> {
    if args.llm.no_scrub {
        tracing::warn!("--no-scrub: MCP results carry real names (secrets are still redacted)");
    }
    kubewhy_server::mcp_stdio(options(&args, config)?).await?;
    Ok(ExitCode::SUCCESS)
}

fn options(args: &AnalyzeArgs, config: Option<&Path>) -> Result<ServerOptions> {
    let location = kubewhy_llm::Config::locate(config, &kubewhy_llm::process_env);
    let slack = SlackSettings::load(location.as_ref().map(|l| l.path.as_path()))?;
    let env = |name: &str| std::env::var(name).ok();
    Ok(ServerOptions {
        listen: std::net::SocketAddr::from(([127, 0, 0, 1], 8080)),
        spec: crate::analyze::spec(args)?,
        options: Options {
            scope: crate::analyze::scope(args)?,
            filter: crate::analyze::filter(args, config)?,
            focus: None,
            explain: None,
        },
        explain: crate::analyze::llm_options(args, config)?,
        slack,
        scrub: crate::llm::settings(config)?.scrub,
        secrets: Secrets::from_env(&env).context("reading the server's secrets")?,
        notify: None,
        mcp: false,
        no_scrub: args.llm.no_scrub,
        state_dir: state_dir(),
        queue: 100,
        share_for: Duration::from_secs(30),
        slack_api: std::env::var("KUBEWHY_SLACK_API_URL").unwrap_or_else(|_| SLACK_API.to_owned()),
    })
}

/// `$XDG_STATE_HOME/kubewhy`, else `~/.local/state/kubewhy`.
fn state_dir() -> std::path::PathBuf {
    std::env::var_os("XDG_STATE_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|h| std::path::PathBuf::from(h).join(".local/state"))
        })
        .unwrap_or_else(|| std::path::PathBuf::from("."))
        .join("kubewhy")
}
