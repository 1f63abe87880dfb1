//! An issue's explanation: the text a reader sees, the structured answer it was made from
//! (the fields the issue prompt asks a model for, and the offline explainer fills in), and how
//! it was made: backend, cache, fallback and its reason, tokens, latency, cost and the objects
//! its commands name that the run never saw.

use serde::{Serialize, Serializer};

/// An LLM's (or the offline catalog's) explanation of an issue.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Explanation {
    /// The explanation, in plain language.
    pub text: String,
    /// The structured answer, when the model gave one (the offline explainer always does).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub structured: Option<StructuredAnswer>,
    /// The backend that produced it.
    pub backend: String,
    /// The model that produced it.
    pub model: String,
    /// True when it came from the cache.
    pub cached: bool,
    /// True when the backend failed and the offline catalog text stands in.
    pub fallback: bool,
    /// Why the offline explanation stands in: `budget`, `429 after 4 attempts`, `timeout`,
    /// `invalid answer`...
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fallback_reason: Option<String>,
    /// Prompt tokens.
    pub tokens_in: u32,
    /// Completion tokens.
    pub tokens_out: u32,
    /// How long the backend took, retries included; none for the cache and the offline
    /// explainer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u64>,
    /// What the call cost, when the profile has a price.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost: Option<Cost>,
    /// Objects the answer's commands name that are neither in the issue nor in the snapshot
    /// (`deployment/foo`, `shop/service/bar`): the model may have made them up.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ungrounded: Vec<String>,
}

/// A price in the profile's currency (usually US dollars), never NaN.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Default)]
pub struct Cost(f64);

impl Cost {
    /// A cost; NaN and negative amounts become zero.
    #[must_use]
    pub fn new(amount: f64) -> Self {
        Self(if amount.is_finite() && amount > 0.0 {
            amount
        } else {
            0.0
        })
    }

    /// The amount.
    #[must_use]
    pub fn amount(self) -> f64 {
        self.0
    }
}

// `new` keeps NaN out, so equality is reflexive.
impl Eq for Cost {}

impl Serialize for Cost {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_f64(self.0)
    }
}

/// How sure the answer is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
}

impl Confidence {
    /// The word: `low`, `medium`, `high`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }
}

/// A command the answer suggests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SuggestedCommand {
    /// The command or YAML change, as written.
    pub command: String,
    /// Whether it modifies the cluster.
    pub changes: bool,
}

/// The fields the issue prompt asks for.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct StructuredAnswer {
    /// What is broken and what it affects.
    pub summary: String,
    /// The most likely cause.
    pub root_cause: String,
    /// The evidence lines that support it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<String>,
    /// The steps of the fix.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fix: Vec<String>,
    /// Exact commands.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub commands: Vec<SuggestedCommand>,
    /// How to check the fix.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub verify: Vec<String>,
    /// How sure the model is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confidence: Option<Confidence>,
}
