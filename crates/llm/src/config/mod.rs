//! Backend profiles from the config file (`[backends.NAME]`), the default backend, and where
//! files live: the config at `--config`, `KUBEWHY_CONFIG` or `$XDG_CONFIG_HOME/kubewhy/config.toml`,
//! the cache under `$XDG_CACHE_HOME/kubewhy/`. Keys are never in the file: a profile says which
//! variable or file holds its key, and the key is read into a [`Secret`].
//!
//! ```toml
//! default_backend = "work"
//!
//! [backends.work]
//! kind = "azure"
//! endpoint = "https://example.openai.azure.com"
//! deployment = "gpt-4o"
//! api_key_env = "AZURE_OPENAI_API_KEY"
//! price = { input = 2.5, output = 10.0 }   # per million tokens
//! ```

mod secret;

use std::{
    collections::BTreeMap,
    ffi::OsString,
    fmt,
    path::{Path, PathBuf},
    str::FromStr,
};

use serde::{Deserialize, Serialize};

pub use secret::{Secret, is_private};

use crate::stream::Usage;

/// Reads an environment variable. [`process_env`] reads the process's; tests pass their own.
pub type Env<'a> = &'a dyn Fn(&str) -> Option<OsString>;

/// The process's environment.
#[must_use]
pub fn process_env(name: &str) -> Option<OsString> {
    std::env::var_os(name)
}

/// The kind of a backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    /// OpenAI's API (or a gateway that speaks it exactly), through async-openai.
    #[serde(rename = "openai")]
    OpenAi,
    /// Azure OpenAI: a deployment, an `api-version`, an `api-key` header.
    Azure,
    /// Ollama's native API.
    Ollama,
    /// Any OpenAI-compatible server: llama.cpp, vLLM, LM Studio, LocalAI.
    Local,
}

impl BackendKind {
    /// The names, as written in the config and on the command line.
    pub const NAMES: [&'static str; 4] = ["openai", "azure", "ollama", "local"];

    /// The variable that holds the key when the profile names none.
    #[must_use]
    pub fn default_key_env(self) -> Option<&'static str> {
        match self {
            Self::OpenAi => Some("OPENAI_API_KEY"),
            Self::Azure => Some("AZURE_OPENAI_API_KEY"),
            Self::Ollama | Self::Local => None,
        }
    }

    /// Whether a request cannot go without a key.
    #[must_use]
    pub fn needs_key(self) -> bool {
        matches!(self, Self::OpenAi | Self::Azure)
    }
}

impl fmt::Display for BackendKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::OpenAi => "openai",
            Self::Azure => "azure",
            Self::Ollama => "ollama",
            Self::Local => "local",
        })
    }
}

impl FromStr for BackendKind {
    type Err = ConfigError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "openai" => Ok(Self::OpenAi),
            "azure" => Ok(Self::Azure),
            "ollama" => Ok(Self::Ollama),
            "local" => Ok(Self::Local),
            other => Err(ConfigError::UnknownKind {
                kind: other.to_owned(),
            }),
        }
    }
}

/// What a model costs, in the user's currency per million tokens.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Price {
    /// Per million prompt tokens.
    pub input: f64,
    /// Per million answer tokens.
    pub output: f64,
}

impl Price {
    /// The cost of one call.
    #[must_use]
    pub fn cost(&self, usage: Usage) -> f64 {
        (f64::from(usage.prompt_tokens) * self.input
            + f64::from(usage.completion_tokens) * self.output)
            / 1_000_000.0
    }
}

/// One `[backends.NAME]` table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// The kind.
    pub kind: BackendKind,
    /// The model (`gpt-4o`, `llama3.2`); for Azure, the deployment's model, for token counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// The API's base URL (`http://127.0.0.1:8080/v1`, `http://127.0.0.1:11434`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    /// Azure: the resource's endpoint (`https://NAME.openai.azure.com`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// Azure: the deployment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment: Option<String>,
    /// Azure: the `api-version` (default `2024-10-21`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
    /// The variable that holds the key (default: `OPENAI_API_KEY`, `AZURE_OPENAI_API_KEY`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key_env: Option<String>,
    /// A file that holds the key; it must not be readable by others, nor by a group other than
    /// kubewhy's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key_file: Option<PathBuf>,
    /// Headers sent with every request (a gateway's routing header, an organisation).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// The context window, in tokens, when the server does not say (or to use less of it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context_window: Option<u32>,
    /// Calls at once (default 4; llama.cpp at most its slots).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_concurrency: Option<usize>,
    /// What the model costs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<Price>,
    /// The endpoint may receive real names (with `--no-scrub`) although it is not on loopback.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub trusted: bool,
    /// Extra CA certificates (PEM) to trust, for a gateway with a private CA.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<PathBuf>,
}

impl Profile {
    /// A profile of `kind` with nothing else set, for a backend from command-line flags.
    #[must_use]
    pub fn new(kind: BackendKind) -> Self {
        Self {
            kind,
            model: None,
            base_url: None,
            endpoint: None,
            deployment: None,
            api_version: None,
            api_key_env: None,
            api_key_file: None,
            headers: BTreeMap::new(),
            context_window: None,
            max_concurrency: None,
            price: None,
            trusted: false,
            ca_file: None,
        }
    }

    /// Reads the key: the profile's file, else its variable (or the kind's default variable),
    /// else the file named by that variable with `_FILE` appended. `None` when there is none
    /// and the profile did not name one.
    pub fn api_key(&self, name: &str, env: Env<'_>) -> Result<Option<Secret>, ConfigError> {
        if let Some(path) = &self.api_key_file {
            return secret::read_key_file(name, path).map(Some);
        }
        let Some(var) = self.api_key_env.as_deref().or(self.kind.default_key_env()) else {
            return Ok(None);
        };
        if let Some(value) = env(var) {
            let value = value
                .into_string()
                .map_err(|_| ConfigError::KeyNotUnicode {
                    var: var.to_owned(),
                })?;
            if value.trim().is_empty() {
                return Err(ConfigError::EmptyKey {
                    profile: name.to_owned(),
                    from: var.to_owned(),
                });
            }
            return Ok(Some(Secret::new(value.trim())));
        }
        if let Some(path) = env(&format!("{var}_FILE")) {
            return secret::read_key_file(name, Path::new(&path)).map(Some);
        }
        if self.api_key_env.is_some() {
            return Err(ConfigError::KeyEnvUnset {
                profile: name.to_owned(),
                var: var.to_owned(),
            });
        }
        Ok(None)
    }
}

/// The LLM part of the config file. Other tables (`[scrub]`, `[slack]`) belong to other parts
/// of kubewhy and are left alone.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Config {
    /// The profile used when `--backend` is not given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_backend: Option<String>,
    /// The profiles by name.
    #[serde(default)]
    pub backends: BTreeMap<String, Profile>,
}

/// Where the config file is, and whether it must exist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigLocation {
    /// The path.
    pub path: PathBuf,
    /// Named by `--config` or `KUBEWHY_CONFIG`: a missing file is an error.
    pub explicit: bool,
}

impl Config {
    /// Where the config is: `explicit` (`--config`), else `KUBEWHY_CONFIG`, else
    /// `$XDG_CONFIG_HOME/kubewhy/config.toml` (`~/.config` when unset).
    #[must_use]
    pub fn locate(explicit: Option<&Path>, env: Env<'_>) -> Option<ConfigLocation> {
        if let Some(path) = explicit {
            return Some(ConfigLocation {
                path: path.to_owned(),
                explicit: true,
            });
        }
        if let Some(path) = env("KUBEWHY_CONFIG").filter(|p| !p.is_empty()) {
            return Some(ConfigLocation {
                path: PathBuf::from(path),
                explicit: true,
            });
        }
        config_dir(env).map(|dir| ConfigLocation {
            path: dir.join("config.toml"),
            explicit: false,
        })
    }

    /// Loads the config from where [`Config::locate`] says; an absent default file is an
    /// empty config.
    pub fn load(explicit: Option<&Path>, env: Env<'_>) -> Result<Self, ConfigError> {
        let Some(location) = Self::locate(explicit, env) else {
            return Ok(Self::default());
        };
        match std::fs::read_to_string(&location.path) {
            Ok(text) => Self::parse(&text, &location.path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !location.explicit => {
                Ok(Self::default())
            }
            Err(source) => Err(ConfigError::Read {
                path: location.path,
                source,
            }),
        }
    }

    /// Parses and checks a config file's text; `path` names it in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Self, ConfigError> {
        let parse_error = |source| ConfigError::Parse {
            path: path.to_owned(),
            source: Box::new(source),
        };
        // A key written into a profile gets its own message, before the typed parse would
        // call it an unknown field.
        let table: toml::Table = toml::from_str(text).map_err(parse_error)?;
        let profiles = table.get("backends").and_then(toml::Value::as_table);
        for (name, profile) in profiles.into_iter().flatten() {
            if profile.get("api_key").is_some() {
                return Err(ConfigError::KeyInConfig {
                    path: path.to_owned(),
                    profile: name.clone(),
                });
            }
        }
        let config: Self = toml::from_str(text).map_err(parse_error)?;
        if let Some(default) = &config.default_backend
            && !config.backends.contains_key(default)
        {
            return Err(config.unknown(default));
        }
        Ok(config)
    }

    /// The profile called `name`.
    pub fn profile(&self, name: &str) -> Result<&Profile, ConfigError> {
        self.backends.get(name).ok_or_else(|| self.unknown(name))
    }

    /// The default profile: `default_backend`, or the only profile there is.
    #[must_use]
    pub fn default_profile(&self) -> Option<(&str, &Profile)> {
        match &self.default_backend {
            Some(name) => self
                .backends
                .get_key_value(name)
                .map(|(n, p)| (n.as_str(), p)),
            None if self.backends.len() == 1 => {
                self.backends.iter().next().map(|(n, p)| (n.as_str(), p))
            }
            None => None,
        }
    }

    /// The config as TOML, to write back (never with a key).
    pub fn to_toml(&self) -> Result<String, ConfigError> {
        toml::to_string_pretty(self).map_err(|e| ConfigError::Write {
            reason: e.to_string(),
        })
    }

    fn unknown(&self, name: &str) -> ConfigError {
        let known = if self.backends.is_empty() {
            "none is configured".to_owned()
        } else {
            let names: Vec<&str> = self.backends.keys().map(String::as_str).collect();
            format!("configured: {}", names.join(", "))
        };
        ConfigError::UnknownBackend {
            name: name.to_owned(),
            known,
        }
    }
}

/// `$XDG_CONFIG_HOME/kubewhy` (default `~/.config/kubewhy`): the config file and prompt
/// overrides (`prompts/`).
#[must_use]
pub fn config_dir(env: Env<'_>) -> Option<PathBuf> {
    xdg_dir(env, "XDG_CONFIG_HOME", ".config")
}

/// `$XDG_CACHE_HOME/kubewhy` (default `~/.cache/kubewhy`): the answer cache.
#[must_use]
pub fn cache_dir(env: Env<'_>) -> Option<PathBuf> {
    xdg_dir(env, "XDG_CACHE_HOME", ".cache")
}

fn xdg_dir(env: Env<'_>, var: &str, fallback: &str) -> Option<PathBuf> {
    // The XDG spec ignores relative values.
    let base = env(var)
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| env("HOME").map(|home| PathBuf::from(home).join(fallback)))?;
    Some(base.join("kubewhy"))
}

/// A problem with the config file or a key.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read the config file {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid TOML, or a setting has the wrong type or name. The message gives
    /// the line and column.
    #[error("invalid config file {}: {source}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// What the parser said, with the line.
        #[source]
        source: Box<toml::de::Error>,
    },
    /// A profile holds an `api_key`.
    #[error(
        "{}: backend `{profile}` has an api_key; keys are never stored in the config file: \
         remove it and set api_key_env (a variable's name) or api_key_file (a file only you can \
         read) instead",
        path.display()
    )]
    KeyInConfig {
        /// The file.
        path: PathBuf,
        /// The profile.
        profile: String,
    },
    /// No profile has that name.
    #[error("no backend is called `{name}` ({known}); add one with `kubewhy backend add`")]
    UnknownBackend {
        /// The name asked for.
        name: String,
        /// The names there are.
        known: String,
    },
    /// A kind that does not exist.
    #[error("unknown backend kind `{kind}`: use openai, azure, ollama or local")]
    UnknownKind {
        /// The kind as written.
        kind: String,
    },
    /// The key file could not be read.
    #[error("backend `{profile}`: cannot read the key file {}: {source}", path.display())]
    KeyFile {
        /// The profile.
        profile: String,
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// Others may read or write the key file, or a group that is not kubewhy's.
    #[error(
        "backend `{profile}`: refusing the key file {} because others, or a group other than \
         kubewhy's, can access it (mode {mode:04o}); run `chmod 600 {}`",
        path.display(),
        path.display()
    )]
    KeyFileOpen {
        /// The profile.
        profile: String,
        /// The file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The variable the profile names is not set.
    #[error("backend `{profile}`: api_key_env names {var}, which is not set")]
    KeyEnvUnset {
        /// The profile.
        profile: String,
        /// The variable.
        var: String,
    },
    /// The key's variable is not valid UTF-8.
    #[error("the key in {var} is not valid text")]
    KeyNotUnicode {
        /// The variable.
        var: String,
    },
    /// The key is empty.
    #[error("backend `{profile}`: the key in {from} is empty")]
    EmptyKey {
        /// The profile.
        profile: String,
        /// The variable or file.
        from: String,
    },
    /// The config could not be turned back into TOML.
    #[error("cannot write the config: {reason}")]
    Write {
        /// Why.
        reason: String,
    },
}

#[cfg(test)]
mod tests;
