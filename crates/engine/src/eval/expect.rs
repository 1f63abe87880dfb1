//! The eval's expectations, kept as data (`eval/*.toml` in this crate, embedded at build time):
//! per scenario, the object it is about, the quotes that name its root cause, and the facts a
//! right answer states, all taken from the scenario's description.

use serde::Deserialize;

/// The demo's scenarios.
const DEMO: &str = include_str!("../../eval/demo.toml");
/// The archive fixtures' scenarios.
const ARCHIVES: &str = include_str!("../../eval/archives.toml");

/// One suite's data file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Expectations {
    /// Where the inputs come from, in a few words.
    pub about: String,
    /// Values that must never be sent to a backend.
    #[serde(default)]
    pub secrets: Vec<String>,
    /// The scenarios.
    #[serde(rename = "scenario")]
    pub scenarios: Vec<Scenario>,
}

/// One scenario.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Scenario {
    /// A stable id (`demo-1`).
    pub id: String,
    /// A title.
    pub title: String,
    /// The input folder, for suites with several inputs.
    #[serde(default)]
    pub input: Option<String>,
    /// `Kind/name`.
    pub object: String,
    /// Its namespace; none for cluster-scoped objects.
    #[serde(default)]
    pub namespace: Option<String>,
    /// The check of the issue to score, when several are rooted at the object.
    #[serde(default)]
    pub check: Option<String>,
    /// Quotes that together name the root cause; `a|b` accepts either.
    #[serde(default)]
    pub root_cause: Vec<String>,
    /// Quotes a right answer states; more than half must be there.
    #[serde(default)]
    pub facts: Vec<String>,
    /// The object is not broken.
    #[serde(default)]
    pub healthy: bool,
}

/// Why an embedded data file does not parse (a test parses both, so only an edit can break
/// one).
#[derive(Debug, thiserror::Error)]
#[error("the eval data file {file} is invalid: {source}")]
pub struct ExpectationsError {
    /// The file.
    file: &'static str,
    /// The parser's message, with the line.
    #[source]
    source: toml::de::Error,
}

/// Parses one embedded data file.
fn parse(file: &'static str, text: &str) -> Result<Expectations, ExpectationsError> {
    toml::from_str(text).map_err(|source| ExpectationsError { file, source })
}

/// The demo's expectations.
pub(crate) fn demo() -> Result<Expectations, ExpectationsError> {
    parse("demo.toml", DEMO)
}

/// The archive fixtures' expectations.
pub(crate) fn archives() -> Result<Expectations, ExpectationsError> {
    parse("archives.toml", ARCHIVES)
}
