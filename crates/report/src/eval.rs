//! `kubewhy eval`'s output: per suite, a table of the scenarios (did the answer name the root
//! cause, state the facts, name real objects, keep its structure and the wire clean), the pass
//! rate, tokens and latency, then every miss with its reasons. JSON for machines.

use std::io::{self, Write};

use anstyle::{AnsiColor, Style};
use kubewhy_model::{EvalReport, Score, Suite};
use serde::Serialize;

const BOLD: Style = Style::new().bold();
const DIM: Style = Style::new().dimmed();
const PASS: Style = Style::new().fg_color(Some(anstyle::Color::Ansi(AnsiColor::Green)));
const FAIL: Style = Style::new()
    .fg_color(Some(anstyle::Color::Ansi(AnsiColor::Red)))
    .bold();

/// The eval's schema tag in JSON.
pub const EVAL_SCHEMA: &str = "kubewhy.eval/v1";

/// Writes the eval as text tables, or as JSON when `json` is set.
pub fn render(report: &EvalReport, json: bool, out: &mut dyn Write) -> io::Result<()> {
    if json {
        let value = Json {
            schema: EVAL_SCHEMA,
            backend: &report.backend,
            model: &report.model,
            suites: report.suites.iter().map(SuiteJson::of).collect(),
        };
        serde_json::to_writer_pretty(&mut *out, &value)?;
        return writeln!(out);
    }
    writeln!(
        out,
        "{BOLD}kubewhy eval{BOLD:#}: {} ({})",
        report.backend, report.model
    )?;
    for suite in &report.suites {
        render_suite(suite, out)?;
    }
    Ok(())
}

fn render_suite(suite: &Suite, out: &mut dyn Write) -> io::Result<()> {
    writeln!(
        out,
        "\n{BOLD}{}{BOLD:#} {DIM}({}){DIM:#}",
        suite.name, suite.about
    )?;
    let id_width = suite
        .scenarios
        .iter()
        .map(|s| s.id.len())
        .max()
        .unwrap_or(0)
        .max("SCENARIO".len());
    writeln!(
        out,
        "  {DIM}{:<id_width$}  RESULT  CAUSE  FACTS  OBJECTS  STRUCTURE  WIRE   TOKENS IN/OUT  LATENCY  TITLE{DIM:#}",
        "SCENARIO"
    )?;
    for score in &suite.scenarios {
        row(score, id_width, out)?;
    }
    let (tokens_in, tokens_out, ms) = suite.totals();
    writeln!(
        out,
        "  {BOLD}passed {} of {} ({:.0}%){BOLD:#}; tokens {tokens_in} in, {tokens_out} out; latency {ms} ms",
        suite.passed(),
        suite.scenarios.len(),
        suite.pass_rate() * 100.0
    )?;
    let misses: Vec<&Score> = suite.scenarios.iter().filter(|s| !s.passed).collect();
    if !misses.is_empty() {
        writeln!(out, "  misses:")?;
        for score in misses {
            writeln!(
                out,
                "    {} {}: {}",
                score.id,
                score.title,
                score.misses.join("; ")
            )?;
        }
    }
    Ok(())
}

fn row(score: &Score, id_width: usize, out: &mut dyn Write) -> io::Result<()> {
    let yes = |ok: bool| if ok { "yes" } else { "no" };
    let result = if score.passed {
        format!("{PASS}pass{PASS:#}  ")
    } else {
        format!("{FAIL}FAIL{FAIL:#}  ")
    };
    let latency = score
        .latency_ms
        .map_or_else(|| "-".to_owned(), |ms| format!("{ms} ms"));
    let title = match &score.fallback_reason {
        Some(reason) => format!("{} {DIM}(fallback: {reason}){DIM:#}", score.title),
        None => score.title.clone(),
    };
    writeln!(
        out,
        "  {:<id_width$}  {result}  {:<5}  {:<5}  {:<7}  {:<9}  {:<5}  {:>13}  {latency:>7}  {title}",
        score.id,
        yes(score.root_cause),
        format!("{}/{}", score.facts_found, score.facts),
        yes(score.grounded),
        yes(score.structured),
        if score.wire_clean { "clean" } else { "LEAK" },
        format!("{}/{}", score.tokens_in, score.tokens_out),
    )
}

#[derive(Serialize)]
struct Json<'a> {
    schema: &'static str,
    backend: &'a str,
    model: &'a str,
    suites: Vec<SuiteJson<'a>>,
}

#[derive(Serialize)]
struct SuiteJson<'a> {
    name: &'a str,
    about: &'a str,
    passed: usize,
    total: usize,
    pass_rate: f64,
    tokens_in: u64,
    tokens_out: u64,
    latency_ms: u64,
    scenarios: &'a [Score],
}

impl<'a> SuiteJson<'a> {
    fn of(suite: &'a Suite) -> Self {
        let (tokens_in, tokens_out, latency_ms) = suite.totals();
        Self {
            name: &suite.name,
            about: &suite.about,
            passed: suite.passed(),
            total: suite.scenarios.len(),
            pass_rate: suite.pass_rate(),
            tokens_in,
            tokens_out,
            latency_ms,
            scenarios: &suite.scenarios,
        }
    }
}
