//! `kubewhy serve` and `kubewhy mcp`: chat-ops and tools over the engine. Slack slash commands,
//! events and Socket Mode; notifications from a periodic analysis (`--watch`); MCP over stdio
//! and HTTP; REST; health, readiness and Prometheus metrics. Frontends only: every answer is a
//! run of the engine, shared between identical requests, and everything that leaves for Slack
//! or an MCP client passes the anonymizer first.

mod mcp;
pub mod metrics;
pub mod notify;
mod outbound;
mod rest;
pub mod secrets;
pub mod settings;
pub mod slack;
pub mod work;

use std::{
    net::SocketAddr,
    path::PathBuf,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use anyhow::{Context, Result};
use axum::{
    Router,
    extract::{DefaultBodyLimit, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::{get, post},
};
use kubewhy_engine::{ExplainOptions, Options, SourceSpec, assistant::Assistant};
use kubewhy_scrub::{Policy, ScrubConfig};
use tokio_util::{sync::CancellationToken, task::TaskTracker};
use tracing::{info, warn};

pub use notify::NotifyOptions;

/// MCP's JSON-RPC framing, read without answering: the parser `kubewhy mcp` and `POST /mcp`
/// use, for tests and fuzzing.
pub mod jsonrpc {
    pub use crate::mcp::{Incoming, Parsed, answer_local, parse, read};
}

use crate::{
    metrics::Metrics,
    secrets::Secret,
    settings::SlackSettings,
    slack::{Slack, client::SlackClient, verify::Verifier},
    work::Work,
};

/// The largest request body taken: Slack's are a few kilobytes.
const MAX_BODY: usize = 64 * 1024;
/// How long a shutdown waits for Slack work in flight.
const DRAIN: Duration = Duration::from_secs(25);

/// Everything `serve` and `mcp` need.
#[derive(Debug)]
pub struct ServerOptions {
    /// Where to listen.
    pub listen: SocketAddr,
    /// The source.
    pub spec: SourceSpec,
    /// Scope and filters; no focus, no explain.
    pub options: Options,
    /// The LLM.
    pub explain: ExplainOptions,
    /// `[slack]` settings.
    pub slack: SlackSettings,
    /// The `[scrub]` settings.
    pub scrub: ScrubConfig,
    /// Secrets from the environment.
    pub secrets: Secrets,
    /// `--watch` and its notifications.
    pub notify: Option<NotifyOptions>,
    /// Serve MCP at `/mcp`.
    pub mcp: bool,
    /// `--no-scrub`: MCP results keep real names (secrets are still redacted).
    pub no_scrub: bool,
    /// Where the notification store lives.
    pub state_dir: PathBuf,
    /// Distinct runs in flight at most.
    pub queue: usize,
    /// How long a finished run answers identical requests.
    pub share_for: Duration,
    /// Slack's Web API base URL.
    pub slack_api: String,
}

/// The secrets the server reads.
#[derive(Debug, Default, Clone)]
pub struct Secrets {
    /// `SLACK_SIGNING_SECRET`.
    pub signing_secret: Option<Secret>,
    /// `SLACK_BOT_TOKEN`.
    pub bot_token: Option<Secret>,
    /// `SLACK_APP_TOKEN`, for Socket Mode.
    pub app_token: Option<Secret>,
    /// `KUBEWHY_SLACK_WEBHOOK_URL`.
    pub webhook: Option<Secret>,
    /// `KUBEWHY_API_TOKEN`.
    pub api_token: Option<Secret>,
}

impl Secrets {
    /// Reads every secret from the environment (or the files its `_FILE` variants name).
    pub fn from_env(env: &dyn Fn(&str) -> Option<String>) -> Result<Self, secrets::SecretError> {
        Ok(Self {
            signing_secret: secrets::read("SLACK_SIGNING_SECRET", env)?,
            bot_token: secrets::read("SLACK_BOT_TOKEN", env)?,
            app_token: secrets::read("SLACK_APP_TOKEN", env)?,
            webhook: secrets::read("KUBEWHY_SLACK_WEBHOOK_URL", env)?,
            api_token: secrets::read("KUBEWHY_API_TOKEN", env)?,
        })
    }
}

/// The server's shared state.
#[derive(Debug)]
pub struct App {
    /// Runs.
    pub work: Arc<Work>,
    /// Metrics.
    pub metrics: Arc<Metrics>,
    /// Slack, when any of its secrets is set.
    pub slack: Option<Slack>,
    api_token: Option<Secret>,
    scrub: ScrubConfig,
    assistant: Arc<Assistant>,
    mcp_policy: Policy,
    mcp_sessions: mcp::http::Sessions,
    ready: AtomicBool,
    /// Background work a shutdown waits for.
    pub tasks: TaskTracker,
    /// Cancelled on SIGTERM.
    pub shutdown: CancellationToken,
}

impl App {
    fn new(options: &ServerOptions, http: reqwest::Client) -> Arc<Self> {
        let metrics = Arc::new(Metrics::default());
        describe(&metrics);
        let work = Work::new(
            options.spec.clone(),
            options.options.clone(),
            options.explain.clone(),
            options.share_for,
            options.queue,
            Arc::clone(&metrics),
        );
        let s = &options.secrets;
        let slack = (s.signing_secret.is_some()
            || s.bot_token.is_some()
            || s.app_token.is_some()
            || s.webhook.is_some())
        .then(|| {
            let client = SlackClient::new(
                http,
                options.slack_api.clone(),
                s.bot_token.clone(),
                s.webhook.clone(),
                Arc::clone(&metrics),
            );
            Slack::new(
                s.signing_secret.clone().map(Verifier::new),
                client,
                options.slack.clone(),
            )
        });
        Arc::new(Self {
            work,
            metrics,
            slack,
            api_token: s.api_token.clone(),
            scrub: options.scrub.clone(),
            assistant: Assistant::new(options.explain.clone()),
            mcp_policy: if options.no_scrub {
                Policy::RedactSecrets
            } else {
                Policy::Pseudonymize
            },
            mcp_sessions: mcp::http::Sessions::default(),
            ready: AtomicBool::new(false),
            tasks: TaskTracker::new(),
            shutdown: CancellationToken::new(),
        })
    }
}

fn describe(m: &Metrics) {
    for (name, kind, help) in [
        (
            "kubewhy_issues",
            "gauge",
            "Issues of the last analysis, by severity and check.",
        ),
        (
            "kubewhy_apiserver_up",
            "gauge",
            "Whether the API server answered the last run (1) or not (0).",
        ),
        (
            "kubewhy_run_seconds",
            "histogram",
            "How long runs took, by request.",
        ),
        (
            "kubewhy_apiserver_list_seconds",
            "histogram",
            "From the start of a run until each kind was listed (or each file read).",
        ),
        (
            "kubewhy_requests_coalesced_total",
            "counter",
            "Requests answered by a run another request started.",
        ),
        (
            "kubewhy_requests_shed_total",
            "counter",
            "Requests refused as busy.",
        ),
        (
            "kubewhy_llm_explanations_total",
            "counter",
            "Explanations, by backend.",
        ),
        (
            "kubewhy_llm_cache_hits_total",
            "counter",
            "Explanations read from the cache.",
        ),
        (
            "kubewhy_llm_tokens_total",
            "counter",
            "LLM tokens, in and out.",
        ),
        (
            "kubewhy_llm_latency_seconds",
            "histogram",
            "LLM latency per explanation.",
        ),
        (
            "kubewhy_slack_commands_total",
            "counter",
            "Slash commands received.",
        ),
        (
            "kubewhy_slack_posts_total",
            "counter",
            "Messages posted to Slack, by destination.",
        ),
        (
            "kubewhy_slack_failures_total",
            "counter",
            "Posts Slack refused or that failed.",
        ),
        (
            "kubewhy_slack_rate_limited_total",
            "counter",
            "429 answers from Slack.",
        ),
        (
            "kubewhy_slack_rejected_total",
            "counter",
            "Slack requests refused (bad signature, stale, replayed), by status.",
        ),
        ("kubewhy_watch_cycles_total", "counter", "Watch cycles run."),
    ] {
        m.describe(name, kind, help);
    }
}

/// The HTTP routes.
pub fn router(app: Arc<App>, mcp: bool) -> Router {
    let mut router = Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_text))
        .route("/slack/commands", post(slack::commands))
        .route("/slack/events", post(slack::events))
        .route("/v1/analyze", post(rest::analyze))
        .route("/v1/explain", post(rest::explain));
    if mcp {
        router = router.route(
            "/mcp",
            post(mcp::http::post)
                .get(mcp::http::other)
                .delete(mcp::http::other),
        );
    }
    router
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(app)
}

async fn healthz(State(app): State<Arc<App>>) -> Response {
    let metrics = app.metrics.render();
    let up = metrics
        .lines()
        .find_map(|l| l.strip_prefix("kubewhy_apiserver_up "))
        .unwrap_or("unknown");
    let api = match up {
        "1" => "reachable",
        "0" => "unreachable",
        _ => "not tried yet",
    };
    (
        StatusCode::OK,
        axum::Json(serde_json::json!({ "status": "ok", "apiserver": api })),
    )
        .into_response()
}

async fn readyz(State(app): State<Arc<App>>) -> Response {
    if app.ready.load(Ordering::Acquire) && !app.shutdown.is_cancelled() {
        (StatusCode::OK, "ready").into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "not ready").into_response()
    }
}

async fn metrics_text(State(app): State<Arc<App>>) -> Response {
    (
        [("content-type", "text/plain; version=0.0.4")],
        app.metrics.render(),
    )
        .into_response()
}

fn http_client() -> Result<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .connect_timeout(Duration::from_secs(10))
        .build()
        .context("cannot build the HTTP client")
}

/// `kubewhy serve`: listens until SIGTERM or Ctrl-C, then stops taking work, lets what is in
/// flight finish (at most 25 s), and exits.
pub async fn serve(options: ServerOptions) -> Result<()> {
    let http = http_client()?;
    let app = App::new(&options, http.clone());
    let store = match &options.notify {
        Some(_) => {
            let path = options.state_dir.join("notifications.redb");
            Some(Arc::new(notify::store::Store::open(&path)?))
        }
        None => None,
    };
    if app
        .slack
        .as_ref()
        .is_some_and(|s| s.settings().allowed_channels.is_empty())
    {
        warn!("[slack] allowed_channels is empty: every channel the app is in may use kubewhy");
    }
    let listener = tokio::net::TcpListener::bind(options.listen)
        .await
        .with_context(|| format!("cannot listen on {}", options.listen))?;
    let address = listener.local_addr().unwrap_or(options.listen);
    info!("kubewhy serves on http://{address}");
    if let (Some(token), Some(_)) = (options.secrets.app_token.clone(), app.slack.as_ref()) {
        app.tasks.spawn(slack::socket::run(
            Arc::clone(&app),
            token,
            http,
            options.slack_api.clone(),
        ));
    }
    if let Some(notify) = options.notify.clone() {
        tokio::spawn(notify::watch(Arc::clone(&app), notify, store));
    }
    app.ready.store(true, Ordering::Release);
    let shutdown = Arc::clone(&app);
    axum::serve(listener, router(Arc::clone(&app), options.mcp))
        .with_graceful_shutdown(async move {
            signal().await;
            info!("shutting down: finishing the work in flight");
            shutdown.shutdown.cancel();
        })
        .await
        .context("the server failed")?;
    app.tasks.close();
    if tokio::time::timeout(DRAIN, app.tasks.wait()).await.is_err() {
        warn!(
            "shutdown: some Slack work did not finish within {} s",
            DRAIN.as_secs()
        );
    }
    Ok(())
}

/// `kubewhy mcp`: MCP on stdin and stdout.
pub async fn mcp_stdio(options: ServerOptions) -> Result<()> {
    let app = App::new(&options, http_client()?);
    mcp::stdio(app).await.context("MCP over stdio failed")
}

async fn signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let terminate = tokio::signal::unix::SignalKind::terminate();
        let Ok(mut term) = tokio::signal::unix::signal(terminate) else {
            let _ = ctrl_c.await;
            return;
        };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
