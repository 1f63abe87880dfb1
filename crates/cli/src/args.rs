//! The command line, as clap sees it. Doc comments here are the `--help` text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use kubewhy_model::Severity;

/// kubewhy tells you, in plain English, what is broken in a Kubernetes cluster and how to fix it.
#[derive(Debug, Parser)]
#[command(name = "kubewhy", version, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub global: Global,
}

/// Options every command takes.
#[derive(Debug, Args)]
pub struct Global {
    /// More logs on stderr (-v info, -vv debug, -vvv trace).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// Only errors on stderr.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// When to colour the output.
    #[arg(long, value_enum, default_value_t = ColorWhen::Auto, global = true)]
    pub color: ColorWhen,
    /// The config file (default: KUBEWHY_CONFIG, then $XDG_CONFIG_HOME/kubewhy/config.toml).
    #[arg(long, value_name = "PATH", global = true)]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ColorWhen {
    /// Colour on a terminal, unless NO_COLOR is set.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Find what is broken: in the current cluster, in files, or in the demo cluster.
    Analyze(AnalyzeArgs),
    /// Analyze the built-in demo cluster: no cluster and no API key needed. The demo is served
    /// by the Kubernetes API simulator on loopback and read through the live path.
    Demo(AnalyzeArgs),
    /// Explain one object: its context (owners, pods, routes, claims, events, log tails) and
    /// every issue on it, with the fix. `kubewhy explain deploy/checkout -n shop`, or
    /// `kubewhy explain pod web-7d9`. Kinds are accepted as kubectl accepts them.
    Explain(ExplainArgs),
    /// The terminal UI, with k9s's keys: the issues as a list and causal trees, each with its
    /// evidence, chain, fix and explanation (`?` lists every key). `kubewhy` alone opens it on a
    /// terminal. With `--backend`, `x` explains, `c` asks follow-ups and `P` previews the
    /// scrubbed payload. Read-only: a fix is shown and copied, never run.
    Tui(AnalyzeArgs),
    /// Manage LLM backend profiles: `kubewhy backend add work --kind azure --endpoint https://...
    /// --deployment gpt-4o --api-key-env AZURE_OPENAI_API_KEY`. Keys are never stored.
    #[command(subcommand)]
    Backend(BackendCommand),
    /// The cache of LLM answers (under $XDG_CACHE_HOME/kubewhy).
    #[command(subcommand)]
    Cache(CacheCommand),
    /// Score a backend's explanations on the demo's scenarios: the right root cause named, the
    /// expected facts present, commands that name real objects, a valid structure and no
    /// planted secret on the wire. Prints a table per suite with the pass rate, tokens and
    /// latency. `kubewhy eval --backend local --base-url http://127.0.0.1:8080/v1`.
    Eval(EvalArgs),
    /// Chat-ops and tools over HTTP: Slack slash commands (`/slack/commands`), events
    /// (`/slack/events`) and Socket Mode (with SLACK_APP_TOKEN); with `--watch`, new and
    /// resolved issues posted to a channel; REST (`/v1/analyze`, `/v1/explain`) and, with
    /// `--mcp`, MCP at `/mcp` (both need KUBEWHY_API_TOKEN); `/healthz`, `/readyz`, `/metrics`.
    Serve(ServeArgs),
    /// An MCP server on stdin and stdout, for Claude Desktop, Cursor and other MCP clients.
    /// Tools: analyze, list_issues, get_issue, explain, list_checks, get_check. Results use
    /// pseudonyms; `--no-scrub` keeps real names (secrets are redacted either way).
    Mcp(AnalyzeArgs),
    /// List the checks, or print one check's documentation.
    Checks {
        /// A check id; without it, every check is listed.
        id: Option<String>,
    },
    /// Simulators for testing and demos.
    #[command(subcommand)]
    Sim(SimCommand),
    /// Print shell completions: `kubewhy completions bash > /etc/bash_completion.d/kubewhy`.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff): `kubewhy man > kubewhy.1`.
    Man,
}

/// Options of `serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Where to listen.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub listen: std::net::SocketAddr,
    /// Analyze every INTERVAL (`5m`, `30s`) and post new and resolved issues.
    #[arg(long, value_name = "INTERVAL", help_heading = "Notifications")]
    pub watch: Option<humantime::Duration>,
    /// The channel notifications go to (needs SLACK_BOT_TOKEN; an incoming webhook posts to
    /// its own channel).
    #[arg(long, value_name = "CHANNEL", help_heading = "Notifications")]
    pub notify_channel: Option<String>,
    /// Post issues at or above this severity.
    #[arg(long, value_name = "SEVERITY", value_parser = parse_severity, default_value = "error", help_heading = "Notifications")]
    pub notify_min_severity: Severity,
    /// Post issues of this namespace only. Repeatable.
    #[arg(long, value_name = "NS", help_heading = "Notifications")]
    pub notify_namespace: Vec<String>,
    /// Serve MCP at `/mcp` (streamable HTTP; bearer token and Origin checked).
    #[arg(long)]
    pub mcp: bool,
    /// Where the store of posted notifications lives [default: $XDG_STATE_HOME/kubewhy].
    #[arg(long, value_name = "DIR", env = "KUBEWHY_STATE_DIR")]
    pub state_dir: Option<std::path::PathBuf>,
    /// Distinct analyses in flight at most; beyond, commands are answered "busy".
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub queue: usize,
    #[command(flatten)]
    pub analyze: AnalyzeArgs,
}

/// Options of `explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// `KIND/NAME`, or `KIND` followed by `NAME`.
    #[arg(value_name = "KIND/NAME")]
    pub object: String,
    /// The name, when the kind is given alone (`kubewhy explain pod web-7d9`).
    #[arg(value_name = "NAME")]
    pub name: Option<String>,
    #[command(flatten)]
    pub analyze: AnalyzeArgs,
}

impl ExplainArgs {
    /// The kind and name asked for.
    pub fn target(&self) -> anyhow::Result<(String, String)> {
        match (self.object.split_once('/'), &self.name) {
            (Some((kind, name)), None) if !kind.is_empty() && !name.is_empty() => {
                Ok((kind.to_owned(), name.to_owned()))
            }
            (None, Some(name)) => Ok((self.object.clone(), name.clone())),
            _ => anyhow::bail!(
                "expected KIND/NAME or KIND NAME (for example deploy/checkout, or pod web-7d9), got `{}`",
                [Some(self.object.as_str()), self.name.as_deref()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
        }
    }
}

/// Options of `eval`.
#[derive(Debug, Args)]
pub struct EvalArgs {
    /// Also score the archive fixtures (support bundle, sonobuoy results, kind-less and legacy
    /// trees): the repository's `tests/fixtures/archives` folder. Reported separately.
    #[arg(long, value_name = "DIR")]
    pub fixtures: Option<PathBuf>,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = EvalFormat::Text)]
    pub output: EvalFormat,
    /// Exit with 1 when the demo's pass rate is below this percentage (0 to 100).
    #[arg(long, value_name = "PERCENT", value_parser = parse_percent)]
    pub min_pass_rate: Option<f64>,
    #[command(flatten)]
    pub llm: LlmArgs,
}

/// The formats of `eval`.
#[derive(Debug, Clone, Copy, Default, ValueEnum)]
pub enum EvalFormat {
    /// Tables.
    #[default]
    Text,
    /// `kubewhy.eval/v1`.
    Json,
}

fn parse_percent(s: &str) -> Result<f64, String> {
    match s.trim_end_matches('%').parse::<f64>() {
        Ok(p) if (0.0..=100.0).contains(&p) => Ok(p),
        _ => Err(format!(
            "invalid percentage `{s}`: expected a number from 0 to 100"
        )),
    }
}

#[derive(Debug, Subcommand)]
pub enum SimCommand {
    /// Serve a snapshot as a Kubernetes API server that kubectl, k9s and kubewhy can read.
    Serve(SimServeArgs),
    /// Write a large generated cluster (YAML) for benchmarks and load tests.
    Generate(SimGenerateArgs),
}

#[derive(Debug, Args)]
pub struct SimGenerateArgs {
    /// How many pods.
    #[arg(long)]
    pub pods: usize,
    /// The fraction of pods that fail (0 to 1).
    #[arg(long, default_value_t = 0.1, value_parser = parse_fraction)]
    pub failing: f64,
    /// The seed: the same seed gives the same cluster.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Write here instead of stdout. The previous logs of crashed containers go beside it, in
    /// `logs-previous.txt`: read the folder with `-f` to include them.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// The format: one JSON `List`, as `kubectl get -o json` writes it, or a YAML stream.
    #[arg(long, value_enum, default_value_t = GenerateFormat::Json)]
    pub format: GenerateFormat,
}

/// How `kubewhy sim generate` writes the cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum GenerateFormat {
    /// One `kind: List` in JSON.
    Json,
    /// A multi-document YAML stream.
    Yaml,
}

fn parse_fraction(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(f) if (0.0..=1.0).contains(&f) => Ok(f),
        _ => Err(format!(
            "invalid fraction `{s}`: expected a number from 0 to 1"
        )),
    }
}

#[derive(Debug, Args)]
pub struct SimServeArgs {
    /// `demo`, or anything `-f` reads (a manifest, a `kubectl get -o json` list, a dump folder).
    #[arg(long, value_name = "demo|PATH")]
    pub snapshot: String,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:0")]
    pub listen: std::net::SocketAddr,
    /// Write a kubeconfig for the simulator here.
    #[arg(long, value_name = "PATH")]
    pub kubeconfig_out: Option<PathBuf>,
    /// Serve plain HTTP without a token instead of HTTPS.
    #[arg(long)]
    pub plain_http: bool,
    /// Inject a fault: RESOURCE=403|404|410|500|delay:250ms|429|429:N|truncate|garbage|reset|flood
    /// (e.g. `secrets=403`; `429:N` throttles the first N requests, `reset` drops the connection
    /// on continue, `pods=flood` answers every log request with one 1 GiB line). Repeatable.
    #[arg(long = "fault", value_name = "RESOURCE=FAULT", value_parser = parse_fault)]
    pub faults: Vec<(String, kubewhy_sim::Fault)>,
}

fn parse_fault(s: &str) -> Result<(String, kubewhy_sim::Fault), String> {
    let (resource, fault) = s
        .split_once('=')
        .ok_or_else(|| format!("invalid fault `{s}`: expected RESOURCE=FAULT"))?;
    Ok((resource.to_owned(), fault.parse()?))
}

/// Where objects come from.
#[derive(Debug, Args, Default)]
pub struct SourceArgs {
    /// Read manifests, `kubectl get -o json|yaml` output, `kubectl cluster-info dump` folders,
    /// support bundles, sonobuoy results or must-gathers instead of a cluster, as folders or as
    /// archives (.tar.gz, .tgz, .tar, .gz). Repeatable; `-` reads stdin; folders are read
    /// recursively.
    #[arg(
        short = 'f',
        long = "file",
        value_name = "PATH",
        help_heading = "Source"
    )]
    pub files: Vec<PathBuf>,
    /// Analyze the built-in demo cluster.
    #[arg(long, conflicts_with = "files", help_heading = "Source")]
    pub demo: bool,
    /// The kubeconfig to use (default: KUBECONFIG, then ~/.kube/config, then in-cluster).
    #[arg(long, value_name = "PATH", help_heading = "Source")]
    pub kubeconfig: Option<PathBuf>,
    /// The kubeconfig context to use (default: the current context).
    /// Repeat it to analyze several clusters in one run, concurrently.
    #[arg(long = "context", value_name = "NAME", help_heading = "Source")]
    pub contexts: Vec<String>,
    /// Analyze every context of the kubeconfig, concurrently.
    #[arg(long, conflicts_with = "contexts", help_heading = "Source")]
    pub all_contexts: bool,
    /// How long one request may take, as kubectl's flag (`30s`, `2m`; a bare number is
    /// seconds). An exec credential plugin that takes longer is killed; an LLM server that
    /// takes longer to start answering is retried, then the offline explainer stands in.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, help_heading = "Source")]
    pub request_timeout: Option<humantime::Duration>,
    /// Impersonate this user, as kubectl's `--as`.
    #[arg(long = "as", value_name = "USER", help_heading = "Source")]
    pub as_user: Option<String>,
    /// Impersonate this group, as kubectl's `--as-group`. Repeatable.
    #[arg(long = "as-group", value_name = "GROUP", help_heading = "Source")]
    pub as_groups: Vec<String>,
    /// The Kubernetes release the files come from (`1.25`, `v1.25.3`), for checks that depend
    /// on it (removed API versions). Used when the input does not record it, as support bundles
    /// do; the default is the latest release.
    #[arg(long, value_name = "V", value_parser = parse_kubernetes_version, help_heading = "Source")]
    pub kubernetes_version: Option<kubewhy_model::KubernetesVersion>,
}

fn parse_kubernetes_version(s: &str) -> Result<kubewhy_model::KubernetesVersion, String> {
    s.parse()
        .map_err(|e: kubewhy_model::VersionError| e.to_string())
}

fn parse_duration(s: &str) -> Result<humantime::Duration, String> {
    if let Ok(seconds) = s.parse::<u64>() {
        return Ok(std::time::Duration::from_secs(seconds).into());
    }
    s.parse::<humantime::Duration>()
        .map_err(|e| format!("invalid duration `{s}`: {e} (expected e.g. 30s or 2m)"))
}

/// Which objects.
#[derive(Debug, Args, Default)]
pub struct ScopeArgs {
    /// Only this namespace.
    #[arg(short, long, help_heading = "Scope")]
    pub namespace: Option<String>,
    /// All namespaces (the default).
    #[arg(
        short = 'A',
        long,
        conflicts_with = "namespace",
        help_heading = "Scope"
    )]
    pub all_namespaces: bool,
    /// Only objects matching this label selector (`app=web,tier!=cache`).
    #[arg(short = 'l', long, help_heading = "Scope")]
    pub selector: Option<String>,
    /// Leave this namespace out. Repeatable.
    #[arg(long = "exclude-namespace", value_name = "NS", help_heading = "Scope")]
    pub exclude_namespaces: Vec<String>,
}

/// Which checks and findings.
#[derive(Debug, Args, Default)]
pub struct FilterArgs {
    /// Run only this check or category (reliability, security, configuration, ai-workload).
    /// Repeatable.
    #[arg(long = "check", value_name = "ID|CATEGORY", help_heading = "Filters")]
    pub checks: Vec<String>,
    /// Skip this check or category. Repeatable.
    #[arg(long = "skip", value_name = "ID|CATEGORY", help_heading = "Filters")]
    pub skips: Vec<String>,
    /// Drop findings below this severity.
    #[arg(long, value_name = "SEVERITY", value_parser = parse_severity, help_heading = "Filters")]
    pub min_severity: Option<Severity>,
}

/// Options of `analyze` and `demo`.
#[derive(Debug, Args, Default)]
pub struct AnalyzeArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    #[command(flatten)]
    pub scope: ScopeArgs,
    #[command(flatten)]
    pub filters: FilterArgs,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = kubewhy_report::Format::Text)]
    pub output: kubewhy_report::Format,
    /// Exit with 1 when an issue at or above this severity is found [default: error].
    #[arg(long, value_name = "SEVERITY", value_parser = parse_severity)]
    pub fail_on: Option<Severity>,
    /// Explain each issue (one LLM call per root cause; the offline explainer when no backend
    /// is configured).
    #[arg(long, help_heading = "LLM")]
    pub explain: bool,
    #[command(flatten)]
    pub llm: LlmArgs,
}

/// Which LLM explains, and how.
#[derive(Debug, Args, Default)]
// Independent command-line switches, not a state.
#[allow(clippy::struct_excessive_bools)]
pub struct LlmArgs {
    /// A configured profile, or a kind: openai, azure, ollama, local, offline [default: the
    /// config's default backend, else offline].
    #[arg(long, value_name = "NAME", help_heading = "LLM")]
    pub backend: Option<String>,
    /// The model (or, for Azure, the deployment's model).
    #[arg(long, value_name = "M", help_heading = "LLM")]
    pub model: Option<String>,
    /// The API's base URL (`http://127.0.0.1:8080/v1` for llama.cpp, `http://127.0.0.1:11434`
    /// for Ollama).
    #[arg(long, value_name = "URL", help_heading = "LLM")]
    pub base_url: Option<String>,
    /// The language of the answers [default: English].
    #[arg(long, value_name = "L", help_heading = "LLM")]
    pub language: Option<String>,
    /// Neither read nor write the answer cache.
    #[arg(long, help_heading = "LLM")]
    pub no_cache: bool,
    /// Keep real names (secrets are still replaced). Refused for a backend that is not on
    /// loopback, unless its profile marks it trusted.
    #[arg(long, help_heading = "LLM")]
    pub no_scrub: bool,
    /// Refuse any backend that is not on loopback.
    #[arg(long, help_heading = "LLM")]
    pub local_only: bool,
    /// LLM calls at once [default: 4; llama.cpp at most its slots].
    #[arg(long, value_name = "N", help_heading = "LLM")]
    pub max_concurrency: Option<usize>,
    /// The most tokens one answer may take.
    #[arg(long, value_name = "N", help_heading = "LLM")]
    pub max_tokens: Option<u32>,
    /// The most tokens the whole run may take; issues past it get the offline explanation.
    #[arg(long, value_name = "N", help_heading = "LLM")]
    pub token_budget: Option<u64>,
    /// Wait for each whole answer instead of streaming it.
    #[arg(long, help_heading = "LLM")]
    pub no_stream: bool,
    /// Print exactly what would be sent, the pseudonym table (on stderr), the estimated tokens
    /// and the endpoint; send nothing.
    #[arg(long, help_heading = "LLM")]
    pub dry_run: bool,
    /// Append one JSON line per LLM request: time, endpoint, model, byte and token counts and
    /// a hash of what was sent, never the content.
    #[arg(long, value_name = "PATH", help_heading = "LLM")]
    pub audit_log: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum BackendCommand {
    /// Add (or replace) a profile.
    Add(BackendAddArgs),
    /// List the profiles; keys are never shown, only where they come from.
    List,
    /// Make a profile the default backend.
    Default {
        /// The profile.
        name: String,
    },
    /// Send one tiny request and report latency, context size and streaming, or the failure.
    Test {
        /// The profile, or a kind with --model and --base-url.
        name: String,
        #[command(flatten)]
        llm: LlmArgs,
    },
    /// Remove a profile.
    Remove {
        /// The profile.
        name: String,
    },
}

/// Options of `backend add`.
#[derive(Debug, Args)]
pub struct BackendAddArgs {
    /// The profile's name.
    pub name: String,
    /// openai, azure, ollama or local.
    #[arg(long)]
    pub kind: String,
    /// The model.
    #[arg(long)]
    pub model: Option<String>,
    /// The base URL.
    #[arg(long)]
    pub base_url: Option<String>,
    /// Azure: the resource's endpoint.
    #[arg(long)]
    pub endpoint: Option<String>,
    /// Azure: the deployment.
    #[arg(long)]
    pub deployment: Option<String>,
    /// Azure: the api-version.
    #[arg(long)]
    pub api_version: Option<String>,
    /// The environment variable that holds the key.
    #[arg(long, value_name = "VAR")]
    pub api_key_env: Option<String>,
    /// A file that holds the key (readable by its owner only).
    #[arg(long, value_name = "PATH")]
    pub api_key_file: Option<PathBuf>,
    /// The context window, when the server does not say.
    #[arg(long, value_name = "TOKENS")]
    pub context_window: Option<u32>,
    /// The endpoint may receive real names with --no-scrub although it is not on loopback.
    #[arg(long)]
    pub trusted: bool,
    /// Also make it the default backend.
    #[arg(long)]
    pub default: bool,
}

#[derive(Debug, Subcommand)]
pub enum CacheCommand {
    /// The cache's file, entries and size.
    Stats,
    /// Delete every cached answer.
    Clear,
}

fn parse_severity(s: &str) -> Result<Severity, String> {
    s.parse()
}
