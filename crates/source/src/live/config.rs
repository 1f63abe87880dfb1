//! Loading the kubeconfig as kubectl does, with kubectl's connection flags: the request
//! timeout, impersonation, and exec credential plugins that are killed when they hang.

use std::{collections::HashMap, time::Duration};

use kube::{
    Config,
    config::{KubeConfigOptions, Kubeconfig},
};
use serde::Deserialize;

use super::{LiveError, LiveOptions};

/// How long a request may take when `--request-timeout` is not given.
pub(super) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Every context of the kubeconfig at `path` (or of `KUBECONFIG`, then `~/.kube/config`), in
/// the file's order: what `--all-contexts` analyzes.
pub fn contexts(path: Option<&std::path::Path>) -> Result<Vec<String>, LiveError> {
    let kc_error = |source| LiveError::Kubeconfig {
        context: None,
        source,
    };
    let kubeconfig = match path {
        Some(path) => Kubeconfig::read_from(path).map_err(kc_error)?,
        None => Kubeconfig::read().map_err(kc_error)?,
    };
    Ok(kubeconfig.contexts.into_iter().map(|c| c.name).collect())
}

/// Loads the config for `options`, returning it with the context name in use.
pub(super) async fn load(options: &LiveOptions) -> Result<(Config, String), LiveError> {
    let kc_error = |source| LiveError::Kubeconfig {
        context: options.context.clone(),
        source,
    };
    let kubeconfig = if let Some(yaml) = &options.kubeconfig_yaml {
        Some(Kubeconfig::from_yaml(yaml).map_err(kc_error)?)
    } else if let Some(path) = &options.kubeconfig {
        Some(Kubeconfig::read_from(path).map_err(kc_error)?)
    } else {
        match Kubeconfig::read() {
            Ok(kc) => Some(kc),
            Err(e) if options.context.is_some() => return Err(kc_error(e)),
            Err(_) => None,
        }
    };
    let (mut config, context) = if let Some(kc) = kubeconfig {
        let context = options
            .context
            .clone()
            .or_else(|| kc.current_context.clone())
            .unwrap_or_default();
        let opts = KubeConfigOptions {
            context: options.context.clone(),
            ..KubeConfigOptions::default()
        };
        let config = Config::from_custom_kubeconfig(kc, &opts)
            .await
            .map_err(kc_error)?;
        (config, context)
    } else {
        let config = Config::incluster().map_err(|source| LiveError::NoConfig { source })?;
        (config, "in-cluster".to_owned())
    };
    let timeout = options.request_timeout.unwrap_or(DEFAULT_TIMEOUT);
    config.connect_timeout = Some(timeout.min(Duration::from_secs(5)));
    config.read_timeout = Some(timeout);
    // kube retries 429/503/504 for minutes by default; a diagnosis tool should say so instead.
    config.default_retry = false;
    if let Some(user) = &options.impersonate {
        config.auth_info.impersonate = Some(user.clone());
    }
    if !options.impersonate_groups.is_empty() {
        config.auth_info.impersonate_groups = Some(options.impersonate_groups.clone());
    }
    if let Some(exec) = config.auth_info.exec.take() {
        let credential = run_exec(&exec, timeout)
            .await
            .map_err(|cause| LiveError::ExecPlugin {
                context: context.clone(),
                command: exec.command.clone().unwrap_or_default(),
                cause,
            })?;
        if let Some(token) = credential.token {
            config.auth_info.token = Some(token.into());
        }
        if let (Some(cert), Some(key)) = (
            credential.client_certificate_data,
            credential.client_key_data,
        ) {
            config.auth_info.client_certificate_data = Some(base64_pem(&cert));
            config.auth_info.client_key_data = Some(base64_pem(&key).into());
        }
    }
    Ok((config, context))
}

/// Why an exec credential plugin gave no credential.
#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    /// The kubeconfig names no command.
    #[error("the kubeconfig's exec section names no command")]
    NoCommand,
    /// The command could not be started.
    #[error("cannot start it: {0}")]
    Spawn(#[source] std::io::Error),
    /// The command did not finish in time and was killed.
    #[error("it did not answer within {}s and was killed", .0.as_secs())]
    Timeout(Duration),
    /// The command failed.
    #[error("it exited with {status}: {stderr}")]
    Failed {
        /// The exit status.
        status: std::process::ExitStatus,
        /// What it wrote to stderr, trimmed.
        stderr: String,
    },
    /// Its output is not an ExecCredential.
    #[error("its output is not an ExecCredential: {0}")]
    Output(#[source] serde_json::Error),
    /// The ExecCredential carries neither a token nor a client certificate.
    #[error("its ExecCredential has neither a token nor a client certificate")]
    Empty,
}

#[derive(Debug, Deserialize)]
struct ExecCredential {
    status: Option<ExecStatus>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ExecStatus {
    token: Option<String>,
    client_certificate_data: Option<String>,
    client_key_data: Option<String>,
}

/// Runs an exec credential plugin as kubectl does, but kills it after `timeout`: a plugin
/// waiting for a browser login or a dead SSO endpoint must not hang the run.
async fn run_exec(
    exec: &kube::config::ExecConfig,
    timeout: Duration,
) -> Result<ExecStatus, ExecError> {
    let command = exec.command.as_deref().ok_or(ExecError::NoCommand)?;
    let mut cmd = tokio::process::Command::new(command);
    cmd.args(exec.args.iter().flatten())
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true);
    for env in exec.env.iter().flatten() {
        if let (Some(name), Some(value)) = (env.get("name"), env.get("value")) {
            cmd.env(name, value);
        }
    }
    for name in exec.drop_env.iter().flatten() {
        cmd.env_remove(name);
    }
    let api_version = exec
        .api_version
        .clone()
        .unwrap_or_else(|| "client.authentication.k8s.io/v1".to_owned());
    let info: HashMap<&str, serde_json::Value> = HashMap::from([
        ("apiVersion", api_version.into()),
        ("kind", "ExecCredential".into()),
        ("spec", serde_json::json!({ "interactive": false })),
    ]);
    cmd.env(
        "KUBERNETES_EXEC_INFO",
        serde_json::to_string(&info).unwrap_or_default(),
    );
    let output = tokio::time::timeout(timeout, cmd.output())
        .await
        .map_err(|_| ExecError::Timeout(timeout))?
        .map_err(ExecError::Spawn)?;
    if !output.status.success() {
        return Err(ExecError::Failed {
            status: output.status,
            stderr: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
        });
    }
    let credential: ExecCredential =
        serde_json::from_slice(&output.stdout).map_err(ExecError::Output)?;
    let status = credential.status.unwrap_or_default();
    if status.token.is_none() && status.client_certificate_data.is_none() {
        return Err(ExecError::Empty);
    }
    Ok(status)
}

/// kube's config wants certificate data base64-encoded, as in a kubeconfig; plugins return PEM.
fn base64_pem(pem: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(pem)
}
