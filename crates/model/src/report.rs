//! The report every frontend renders: `kubewhy.report/v1`.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::{FocusContext, Issue, Severity};

/// The schema id written into JSON and YAML reports.
pub const SCHEMA: &str = "kubewhy.report/v1";

/// Where the objects came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    /// A cluster, through the kubeconfig.
    Live,
    /// Manifests and dumps.
    Files,
    /// The built-in demo cluster.
    Demo,
}

/// Describes the source of a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceInfo {
    /// See [`SourceKind`].
    pub kind: SourceKind,
    /// The kubeconfig context, for live sources.
    pub context: Option<String>,
    /// When the snapshot was taken (RFC 3339), when known.
    pub observed_at: Option<String>,
}

/// What kind of thing a warning is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum WarningKind {
    /// A kind could not be listed (forbidden, missing, timed out); its checks saw nothing.
    SkippedKind,
    /// An input was read only in part.
    Input,
    /// A container log could not be fetched.
    Logs,
    /// An explanation could not be produced.
    Explain,
}

/// Something the run could not do; it went on without it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Warning {
    /// See [`WarningKind`].
    pub kind: WarningKind,
    /// What was skipped, where, and why.
    pub message: String,
}

impl Warning {
    /// A warning of `kind`.
    pub fn new(kind: WarningKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }
}

/// Counts for the report's header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// How many issues.
    pub issues: usize,
    /// Issues per severity; every severity is present, zero or not.
    pub by_severity: BTreeMap<Severity, usize>,
    /// How many objects the analyzers looked at.
    pub objects_scanned: usize,
}

/// A whole run's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// Always [`SCHEMA`].
    pub schema: &'static str,
    /// See [`SourceInfo`].
    pub source: SourceInfo,
    /// See [`Summary`].
    pub summary: Summary,
    /// Sorted by [`Issue::report_order`].
    pub issues: Vec<Issue>,
    /// What the run skipped.
    pub warnings: Vec<Warning>,
    /// The object asked about, with its context (`kubewhy explain`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub focus: Option<FocusContext>,
}

impl Report {
    /// Builds a report, sorting issues and warnings and counting severities.
    #[must_use]
    pub fn new(
        source: SourceInfo,
        mut issues: Vec<Issue>,
        mut warnings: Vec<Warning>,
        objects_scanned: usize,
    ) -> Self {
        issues.sort_by(Issue::report_order);
        warnings.sort();
        warnings.dedup();
        let mut by_severity: BTreeMap<Severity, usize> =
            Severity::ALL.into_iter().map(|sev| (sev, 0)).collect();
        for issue in &issues {
            *by_severity.entry(issue.severity).or_default() += 1;
        }
        Self {
            schema: SCHEMA,
            source,
            summary: Summary {
                issues: issues.len(),
                by_severity,
                objects_scanned,
            },
            issues,
            warnings,
            focus: None,
        }
    }

    /// The worst severity among the issues.
    #[must_use]
    pub fn worst(&self) -> Option<Severity> {
        self.issues.iter().map(|issue| issue.severity).max()
    }
}
