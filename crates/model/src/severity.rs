//! How bad a problem is, and which family of problems it belongs to.

use std::{fmt, str::FromStr};

use serde::Serialize;

/// Severity, ordered from least to most severe so that `>=` reads as "at least as bad".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; nothing is broken.
    Info,
    /// Likely to break, or degraded.
    Warning,
    /// Broken: a workload or object does not do its job.
    Error,
    /// Broken in a way that takes down more than itself (a node, the API's write path).
    Critical,
}

impl Severity {
    /// Every severity, most severe first: the order reports list them in.
    pub const ALL: [Self; 4] = [Self::Critical, Self::Error, Self::Warning, Self::Info];

    /// The lowercase name used in flags and output.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Warning => "warning",
            Self::Error => "error",
            Self::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|sev| sev.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                format!("unknown severity `{s}`: expected critical, error, warning or info")
            })
    }
}

/// The family a check belongs to; `--check` and `--skip` accept these names too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    /// Workloads that crash, hang or cannot start.
    Reliability,
    /// Settings that widen the blast radius of a compromise.
    Security,
    /// Objects that refer to things that do not exist, or are set up wrong.
    Configuration,
    /// Problems specific to GPU, training and model-serving workloads.
    AiWorkload,
}

impl Category {
    /// Every category.
    pub const ALL: [Self; 4] = [
        Self::Reliability,
        Self::Security,
        Self::Configuration,
        Self::AiWorkload,
    ];

    /// The kebab-case name used in flags and output.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Reliability => "reliability",
            Self::Security => "security",
            Self::Configuration => "configuration",
            Self::AiWorkload => "ai-workload",
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severities_order_from_info_to_critical() {
        assert!(Severity::Critical > Severity::Error);
        assert!(Severity::Warning > Severity::Info);
        assert_eq!("ERROR".parse::<Severity>(), Ok(Severity::Error));
        assert!(
            "fatal"
                .parse::<Severity>()
                .unwrap_err()
                .contains("expected critical")
        );
    }
}
