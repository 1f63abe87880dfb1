//! Renderers for the report, one module per format: human text (grouped by namespace and
//! severity, coloured when the terminal allows), JSON and YAML for machines
//! (`kubewhy.report/v1`), Markdown for tickets and pull requests, and SARIF 2.1.0 for code
//! scanning. Also the listing of the check catalog that `kubewhy checks` prints, and the scores
//! that `kubewhy eval` prints.

pub mod checks;
pub mod eval;
pub mod explain;
#[cfg(test)]
mod explanation_tests;
mod json;
mod markdown;
mod sarif;
mod shared;
pub mod slack;
#[cfg(test)]
mod test_support;
mod text;

use std::{fmt, io, str::FromStr};

use clap::ValueEnum;
use kubewhy_model::Report;

pub use json::{Json, Yaml};
pub use markdown::Markdown;
pub use sarif::Sarif;
pub use text::Text;

/// Writes a whole report in one format.
pub trait Renderer {
    /// Writes `report` to `out`. Formats that style their output (text) write ANSI styles;
    /// wrap `out` in an `anstream::AutoStream` to drop them where colour is off.
    fn render(&self, report: &Report, out: &mut dyn io::Write) -> io::Result<()>;
}

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum Format {
    /// For people: grouped by namespace and severity.
    #[default]
    Text,
    /// `kubewhy.report/v1` as JSON.
    Json,
    /// `kubewhy.report/v1` as YAML.
    Yaml,
    /// Markdown, to paste into a ticket or a pull request.
    Markdown,
    /// SARIF 2.1.0, for code scanning (GitHub, Azure DevOps, IDEs).
    Sarif,
}

impl Format {
    /// The name `-o` takes.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Json => "json",
            Self::Yaml => "yaml",
            Self::Markdown => "markdown",
            Self::Sarif => "sarif",
        }
    }

    /// The renderer for this format. SARIF locations are written relative to the current
    /// working directory.
    #[must_use]
    pub fn renderer(self) -> Box<dyn Renderer> {
        match self {
            Self::Text => Box::new(Text),
            Self::Json => Box::new(Json),
            Self::Yaml => Box::new(Yaml),
            Self::Markdown => Box::new(Markdown),
            Self::Sarif => Box::new(Sarif::relative_to_current_dir()),
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A format name that is not one of ours.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown output format `{name}`: expected text, json, yaml, markdown or sarif")]
pub struct FormatError {
    /// The name as given.
    pub name: String,
}

impl FromStr for Format {
    type Err = FormatError;

    /// Accepts the same names as `-o`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        <Self as ValueEnum>::from_str(s, false).map_err(|_| FormatError { name: s.to_owned() })
    }
}

/// Writes `report` in `format`. Text carries ANSI styles; wrap `out` in an
/// `anstream::AutoStream` to drop them where colour is off.
pub fn render(report: &Report, format: Format, out: &mut dyn io::Write) -> io::Result<()> {
    format.renderer().render(report, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_format_parses_from_its_own_name() {
        for format in Format::value_variants() {
            assert_eq!(format.as_str().parse::<Format>(), Ok(*format));
        }
        let err = "html".parse::<Format>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown output format `html`: expected text, json, yaml, markdown or sarif"
        );
    }
}
