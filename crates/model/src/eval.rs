//! The scores of `kubewhy eval`: how one backend's explanations do on scenarios whose right
//! answers are known, one row per scenario and a pass rate per suite.

use serde::Serialize;

/// The scores of one eval run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EvalReport {
    /// The backend scored (`offline`, a profile's name).
    pub backend: String,
    /// Its model.
    pub model: String,
    /// The suites: the demo's scenarios first, then the archive fixtures when they were run.
    pub suites: Vec<Suite>,
}

/// One set of scenarios on one or more inputs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Suite {
    /// `demo`, `archives`.
    pub name: String,
    /// Where its inputs come from, in a few words.
    pub about: String,
    /// One score per scenario, in the data file's order.
    pub scenarios: Vec<Score>,
}

impl Suite {
    /// How many scenarios passed.
    #[must_use]
    pub fn passed(&self) -> usize {
        self.scenarios.iter().filter(|s| s.passed).count()
    }

    /// The share that passed, from 0 to 1 (1 for an empty suite).
    #[must_use]
    pub fn pass_rate(&self) -> f64 {
        if self.scenarios.is_empty() {
            return 1.0;
        }
        #[allow(clippy::cast_precision_loss)] // A handful of scenarios.
        let rate = self.passed() as f64 / self.scenarios.len() as f64;
        rate
    }

    /// Prompt tokens, completion tokens and milliseconds of every call of the suite.
    #[must_use]
    pub fn totals(&self) -> (u64, u64, u64) {
        self.scenarios.iter().fold((0, 0, 0), |(i, o, ms), s| {
            (
                i + u64::from(s.tokens_in),
                o + u64::from(s.tokens_out),
                ms + s.latency_ms.unwrap_or(0),
            )
        })
    }
}

/// How one scenario's explanation did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
// One verdict per criterion, as the table shows them: not a state.
#[allow(clippy::struct_excessive_bools)]
pub struct Score {
    /// The scenario's id (`demo-1`).
    pub id: String,
    /// Its title (`CrashLoopBackOff`).
    pub title: String,
    /// The issue that was scored, as `check on Kind/name`; none when no issue was found.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issue: Option<String>,
    /// The expected root cause is named.
    pub root_cause: bool,
    /// Expected facts found.
    pub facts_found: usize,
    /// Expected facts.
    pub facts: usize,
    /// Every command names objects that exist.
    pub grounded: bool,
    /// The answer was a structured one, with a summary, a root cause and a fix.
    pub structured: bool,
    /// No planted secret was sent to the backend.
    pub wire_clean: bool,
    /// Passed: everything above holds, with more than half of the facts.
    pub passed: bool,
    /// Why it did not pass, one reason each; empty when it passed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub misses: Vec<String>,
    /// The backend's reason for falling back to the offline explanation, if it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fallback_reason: Option<String>,
    /// Prompt tokens of its call.
    pub tokens_in: u32,
    /// Completion tokens of its call.
    pub tokens_out: u32,
    /// Its call's latency.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u64>,
}
