//! The config file's tables that shape a run rather than a backend: `[scrub]` (what the
//! anonymizer also replaces or leaves alone) and `[exemptions]` (the system components whose
//! security findings a cluster report leaves out). The LLM profiles in the same file are
//! `kubewhy_llm::Config`'s; each part reads its own tables and leaves the others alone.
//!
//! ```toml
//! [exemptions]
//! # Added to the built-in list of system components.
//! components = [{ namespace = "monitoring", controller = "DaemonSet", name = "node-exporter" }]
//! # false: only `components` are exempt (an empty list then exempts nothing).
//! builtin = true
//! ```

use std::path::{Path, PathBuf};

use kubewhy_analyzers::{Exemption, system_components};
use kubewhy_scrub::ScrubConfig;
use serde::Deserialize;

/// What the config file says about runs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    /// `[scrub]`.
    pub scrub: ScrubConfig,
    /// The system components to exempt, when the file changes the built-in list.
    pub exemptions: Option<Vec<Exemption>>,
}

/// A config file that could not be used, naming it.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("cannot read the config file {}: {error}", path.display())]
    Read {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("the config file {} is not valid: {error}", path.display())]
    Parse {
        path: PathBuf,
        error: Box<toml::de::Error>,
    },
}

#[derive(Deserialize, Default)]
struct Tables {
    #[serde(default)]
    scrub: ScrubConfig,
    #[serde(default)]
    exemptions: Option<ExemptionTable>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExemptionTable {
    #[serde(default)]
    components: Vec<Exemption>,
    #[serde(default = "yes")]
    builtin: bool,
}

fn yes() -> bool {
    true
}

impl Settings {
    /// Reads the settings from the config file at `path`; `None`, or a file that does not
    /// exist when `must_exist` is false, gives the defaults.
    pub fn load(path: Option<&Path>, must_exist: bool) -> Result<Self, SettingsError> {
        let Some(path) = path else {
            return Ok(Self::default());
        };
        match std::fs::read_to_string(path) {
            Ok(text) => Self::parse(&text, path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !must_exist => {
                Ok(Self::default())
            }
            Err(error) => Err(SettingsError::Read {
                path: path.to_owned(),
                error,
            }),
        }
    }

    /// Parses a config file's text; `path` names it in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Self, SettingsError> {
        let tables: Tables = toml::from_str(text).map_err(|error| SettingsError::Parse {
            path: path.to_owned(),
            error: Box::new(error),
        })?;
        let exemptions = tables.exemptions.map(|table| {
            let mut list = if table.builtin {
                system_components()
            } else {
                Vec::new()
            };
            list.extend(table.components);
            list
        });
        Ok(Self {
            scrub: tables.scrub,
            exemptions,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Settings, SettingsError> {
        Settings::parse(text, Path::new("config.toml"))
    }

    #[test]
    fn exemptions_add_to_the_builtin_list_or_replace_it() {
        let added = parse(
            "[exemptions]\ncomponents = [{ namespace = \"monitoring\", controller = \"DaemonSet\", name = \"node-exporter\" }]\n",
        )
        .unwrap();
        let list = added.exemptions.unwrap();
        assert_eq!(list.len(), system_components().len() + 1);
        assert_eq!(list.last().unwrap().name.as_deref(), Some("node-exporter"));

        let replaced = parse("[exemptions]\nbuiltin = false\n").unwrap();
        assert_eq!(replaced.exemptions, Some(Vec::new()));

        assert_eq!(
            parse("[backends.x]\nkind = \"openai\"\n").unwrap(),
            Settings::default()
        );
    }

    #[test]
    fn a_bad_table_names_the_file_and_the_field() {
        let error = parse("[exemptions]\ncomponents = [{ namespace = \"x\" }]\n")
            .unwrap_err()
            .to_string();
        assert!(error.contains("config.toml"), "{error}");
        assert!(error.contains("controller"), "{error}");
    }
}
