//! Renderers for the report: human text (grouped by namespace and severity, coloured when the
//! terminal allows), and JSON and YAML for machines (`kubewhy.report/v1`).

mod text;

use std::{io, str::FromStr};

use kubewhy_model::Report;

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// For people.
    #[default]
    Text,
    /// `kubewhy.report/v1` as JSON.
    Json,
    /// `kubewhy.report/v1` as YAML.
    Yaml,
}

impl FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "text" => Ok(Self::Text),
            "json" => Ok(Self::Json),
            "yaml" => Ok(Self::Yaml),
            other => Err(format!(
                "unknown output format `{other}`: expected text, json or yaml"
            )),
        }
    }
}

/// Writes `report` in `format`. Text carries ANSI styles; wrap `out` in an
/// `anstream::AutoStream` to drop them where colour is off.
pub fn render(report: &Report, format: Format, out: &mut dyn io::Write) -> io::Result<()> {
    match format {
        Format::Text => text::render(report, out),
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, report).map_err(io::Error::other)?;
            writeln!(out)
        }
        Format::Yaml => {
            let yaml = serde_yaml_ng::to_string(report).map_err(io::Error::other)?;
            out.write_all(yaml.as_bytes())
        }
    }
}
