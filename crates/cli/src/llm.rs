//! The LLM side of the command line: choosing a backend from `--backend` and the config
//! (offline when nothing is configured), the policy checks of `--no-scrub` and `--local-only`,
//! and the `backend` and `cache` commands.

use std::{path::Path, process::ExitCode, sync::Arc, time::Instant};

use anyhow::{Context, Result, bail};
use kubewhy_engine::{ExplainOptions, Settings};
use kubewhy_llm::{
    Backend, BackendKind, ChatRequest, Config, ConfigLocation, Dispatcher, Message, Profile,
    RetryPolicy,
    cache::Cache,
    cache_dir, config_dir, process_env,
    prompt::{Language, Prompts},
};
use kubewhy_scrub::{Policy, Scrubbed, Template};

use crate::args::{BackendAddArgs, BackendCommand, CacheCommand, LlmArgs};

/// The backend `--backend` names (a profile, or a kind configured by the flags), else the
/// config's default; `None` is the offline explainer.
pub(crate) fn backend(
    llm: &LlmArgs,
    config: &Config,
) -> Result<Option<(Arc<dyn Backend>, Profile)>> {
    let chosen = llm.backend.as_deref().or(config.default_backend.as_deref());
    let (name, mut profile) = match chosen {
        None | Some("offline") => return Ok(None),
        Some(name) if config.backends.contains_key(name) => (name, config.profile(name)?.clone()),
        Some(name) => {
            let Ok(kind) = name.parse::<BackendKind>() else {
                let known: Vec<&str> = config.backends.keys().map(String::as_str).collect();
                let known = if known.is_empty() {
                    "none is configured".to_owned()
                } else {
                    known.join(", ")
                };
                bail!(
                    "no backend is called `{name}`: name a profile ({known}) or a kind: openai, \
                     azure, ollama, local, offline; `kubewhy backend add` adds a profile"
                )
            };
            (name, Profile::new(kind))
        }
    };
    if let Some(model) = &llm.model {
        profile.model = Some(model.clone());
    }
    if let Some(url) = &llm.base_url {
        profile.base_url = Some(url.clone());
    }
    let backend = kubewhy_llm::build(name, &profile, &process_env)?;
    Ok(Some((backend, profile)))
}

/// The config file's run settings (`[scrub]`, `[exemptions]`), from the file `--config`,
/// `KUBEWHY_CONFIG` or the XDG config dir names.
pub(crate) fn settings(config_path: Option<&Path>) -> Result<Settings> {
    let location = Config::locate(config_path, &process_env);
    let path = location.as_ref().map(|l| l.path.as_path());
    Ok(Settings::load(
        path,
        location.as_ref().is_some_and(|l| l.explicit),
    )?)
}

/// Everything `--explain` needs, from the flags and the config file.
pub(crate) fn explain_options(llm: &LlmArgs, config_path: Option<&Path>) -> Result<ExplainOptions> {
    let config = Config::load(config_path, &process_env)?;
    let chosen = backend(llm, &config)?;
    if let Some((backend, _)) = &chosen {
        let id = backend.id();
        if llm.local_only && !id.local {
            bail!(
                "--local-only: the backend `{}` at {} is not on loopback; use a local server or drop --local-only",
                id.name,
                id.endpoint
            );
        }
        if llm.no_scrub && !id.may_receive_names() {
            bail!(
                "--no-scrub is refused for `{}` at {}: it is not on loopback. Mark its profile \
                 `trusted = true` if that endpoint may see real names",
                id.name,
                id.endpoint
            );
        }
    }
    let prompts = Prompts::load(
        config_dir(&process_env)
            .map(|d| d.join("prompts"))
            .as_deref(),
    )?;
    let (backend, profile) = chosen.unzip();
    let mut options = ExplainOptions::new(backend, Arc::new(prompts));
    options.scrub = settings(config_path)?.scrub;
    if let Some(language) = &llm.language {
        options.language = Language::new(language)?;
    }
    if !llm.no_cache {
        options.cache = cache_dir(&process_env).map(|dir| Arc::new(Cache::in_dir(&dir)));
    }
    options.policy = if llm.no_scrub {
        Policy::RedactSecrets
    } else {
        Policy::Pseudonymize
    };
    options.max_concurrency = llm
        .max_concurrency
        .or(profile.as_ref().and_then(|p| p.max_concurrency));
    options.max_tokens = llm.max_tokens;
    options.token_budget = llm.token_budget;
    options.stream = !llm.no_stream;
    options.dry_run = llm.dry_run;
    options.audit_log.clone_from(&llm.audit_log);
    options.price = profile.as_ref().and_then(|p| p.price);
    options.context_window = profile.as_ref().and_then(|p| p.context_window);
    Ok(options)
}

/// `kubewhy backend ...`.
pub(crate) async fn backend_command(
    command: BackendCommand,
    config_path: Option<&Path>,
) -> Result<ExitCode> {
    let mut config = Config::load(config_path, &process_env)?;
    match command {
        BackendCommand::List => {
            list(&config);
            return Ok(ExitCode::SUCCESS);
        }
        BackendCommand::Test { name, mut llm } => {
            llm.backend = Some(name);
            return test(&llm, &config).await;
        }
        BackendCommand::Add(args) => {
            let name = args.name.clone();
            let make_default = args.default;
            config.backends.insert(name.clone(), profile_of(args)?);
            if make_default || config.default_backend.is_none() {
                config.default_backend = Some(name.clone());
            }
            eprintln!("added backend `{name}`");
        }
        BackendCommand::Default { name } => {
            config.profile(&name)?;
            config.default_backend = Some(name.clone());
            eprintln!("the default backend is now `{name}`");
        }
        BackendCommand::Remove { name } => {
            if config.backends.remove(&name).is_none() {
                config.profile(&name)?;
            }
            if config.default_backend.as_deref() == Some(name.as_str()) {
                config.default_backend = None;
            }
            eprintln!("removed backend `{name}`");
        }
    }
    save(&config, config_path)?;
    Ok(ExitCode::SUCCESS)
}

fn profile_of(args: BackendAddArgs) -> Result<Profile> {
    let mut profile = Profile::new(args.kind.parse()?);
    profile.model = args.model;
    profile.base_url = args.base_url;
    profile.endpoint = args.endpoint;
    profile.deployment = args.deployment;
    profile.api_version = args.api_version;
    profile.api_key_env = args.api_key_env;
    profile.api_key_file = args.api_key_file;
    profile.context_window = args.context_window;
    profile.trusted = args.trusted;
    Ok(profile)
}

fn list(config: &Config) {
    if config.backends.is_empty() {
        println!("no backend is configured: explanations are offline (`kubewhy backend add`)");
        return;
    }
    for (name, profile) in &config.backends {
        let default = if config.default_backend.as_deref() == Some(name.as_str()) {
            "*"
        } else {
            " "
        };
        let at = profile
            .base_url
            .as_deref()
            .or(profile.endpoint.as_deref())
            .unwrap_or("(the kind's default)");
        let model = profile
            .model
            .as_deref()
            .or(profile.deployment.as_deref())
            .unwrap_or("-");
        // Only where the key comes from, never the key.
        let key = match (&profile.api_key_file, &profile.api_key_env) {
            (Some(file), _) => format!("key from file {}", file.display()),
            (None, Some(var)) => format!("key from ${var}"),
            (None, None) => profile
                .kind
                .default_key_env()
                .map_or_else(|| "no key".to_owned(), |var| format!("key from ${var}")),
        };
        println!("{default} {name}\t{}\t{model}\t{at}\t{key}", profile.kind);
    }
}

/// Writes the LLM tables back, keeping every other table of the file.
fn save(config: &Config, explicit: Option<&Path>) -> Result<()> {
    let Some(ConfigLocation { path, .. }) = Config::locate(explicit, &process_env) else {
        bail!(
            "cannot tell where the config file goes: set XDG_CONFIG_HOME or HOME, or pass --config"
        );
    };
    let mut file: toml::Table = match std::fs::read_to_string(&path) {
        Ok(text) => text
            .parse()
            .with_context(|| format!("cannot read {} as TOML", path.display()))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => toml::Table::new(),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let ours: toml::Table = config.to_toml()?.parse()?;
    file.remove("default_backend");
    file.remove("backends");
    file.extend(ours);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    std::fs::write(&path, toml::to_string_pretty(&file)?)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// `kubewhy backend test`: one tiny request.
async fn test(llm: &LlmArgs, config: &Config) -> Result<ExitCode> {
    const PING: Template = kubewhy_scrub::template!("Reply with the single word: ok");
    let Some((backend, _)) = backend(llm, config)? else {
        println!("offline: nothing to reach; explanations come from the catalog");
        return Ok(ExitCode::SUCCESS);
    };
    let message = Message::user(Scrubbed::from_template(PING, Policy::Pseudonymize));
    let request = ChatRequest::new(vec![message]).with_max_tokens(8);
    let info = backend.server_info().await.unwrap_or_default();
    let id = backend.id().clone();
    let policy = RetryPolicy {
        max_attempts: 1,
        ..RetryPolicy::default()
    };
    let dispatcher = Dispatcher::new(backend, policy, 1);
    let started = Instant::now();
    match dispatcher.complete(&request, |_| {}).await {
        Ok(answer) => {
            println!("{id}: ok in {} ms", started.elapsed().as_millis());
            if let Some(window) = info.context_window {
                println!("context window: {window} tokens");
            }
            if let Some(usage) = answer.usage {
                println!(
                    "tokens: {} in, {} out",
                    usage.prompt_tokens, usage.completion_tokens
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => bail!("{id}: {error}"),
    }
}

/// `kubewhy cache ...`.
pub(crate) fn cache_command(command: &CacheCommand) -> Result<ExitCode> {
    let Some(dir) = cache_dir(&process_env) else {
        bail!("cannot tell where the cache is: set XDG_CACHE_HOME or HOME");
    };
    let cache = Cache::in_dir(&dir);
    match command {
        CacheCommand::Stats => {
            let stats = cache.stats()?;
            println!(
                "{}: {} answers ({} expired), {} bytes",
                stats.path.display(),
                stats.entries,
                stats.expired,
                stats.bytes
            );
        }
        CacheCommand::Clear => {
            let removed = cache.clear()?;
            println!(
                "removed {removed} cached answers from {}",
                cache.path().display()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
