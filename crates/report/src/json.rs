//! `kubewhy.report/v1` for machines, as JSON and as YAML: the report's own serialization, so both
//! carry exactly the same fields.

use std::io;

use kubewhy_model::Report;

use crate::Renderer;

/// Pretty-printed JSON, ending with a newline.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json;

impl Renderer for Json {
    fn render(&self, report: &Report, out: &mut dyn io::Write) -> io::Result<()> {
        // `From` keeps the writer's own error (a broken pipe stays a broken pipe).
        serde_json::to_writer_pretty(&mut *out, report).map_err(io::Error::from)?;
        writeln!(out)
    }
}

/// YAML.
#[derive(Debug, Clone, Copy, Default)]
pub struct Yaml;

impl Renderer for Yaml {
    fn render(&self, report: &Report, out: &mut dyn io::Write) -> io::Result<()> {
        let yaml = serde_yaml_ng::to_string(report).map_err(io::Error::other)?;
        out.write_all(yaml.as_bytes())
    }
}
