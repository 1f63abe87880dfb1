//! The report every frontend renders: `kubewhy.report/v1`.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::{CheckId, ClusterVersion, FocusContext, Issue, Severity};

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
    /// The API server's URL, for live sources.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    /// When the snapshot was taken (RFC 3339), when known.
    pub observed_at: Option<String>,
    /// True when `observed_at` is not a clock reading but the newest timestamp found in the
    /// input (files and dumps say nothing of when they were taken): ages measured against it
    /// are lower bounds.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub observed_at_inferred: bool,
    /// The Kubernetes release that release-dependent checks judged against, and where it came
    /// from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kubernetes_version: Option<ClusterVersion>,
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
    /// A cluster of a run over several could not be analyzed; the others were.
    Cluster,
    /// Nothing went wrong; the run says what it did with the input: companion files skipped,
    /// a Helm chart left out, kinds inferred.
    Info,
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
    /// How many system components (kube-system's CNI, CSI and kube-proxy DaemonSets, static
    /// control-plane pods...) had their security findings left out of a cluster report.
    #[serde(skip_serializing_if = "is_zero")]
    pub exempted: usize,
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's `skip_serializing_if` passes a reference.
fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// A check whose findings a cluster report summarises in one line instead of listing them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckCount {
    /// The check.
    pub check: CheckId,
    /// How many objects it fired on.
    pub objects: usize,
    /// In how many namespaces.
    pub namespaces: usize,
}

/// One cluster of a run over several.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClusterReport {
    /// The kubeconfig context.
    pub context: String,
    /// The API server's URL, when it was reached.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    /// Its issues by severity.
    pub summary: Summary,
    /// What its run skipped.
    pub warnings: Vec<Warning>,
    /// Why it could not be analyzed, if it could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
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
    /// Checks summarised in one line each rather than listed: on clusters and dumps, the
    /// static security and configuration checks that do not report one issue per object.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub held_back: Vec<CheckCount>,
    /// The object asked about, with its context (`kubewhy explain`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub focus: Option<FocusContext>,
    /// Each cluster of a run over several: its context, server, summary and warnings.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub clusters: Vec<ClusterReport>,
    /// The severity at which the command fails (`--fail-on`), when a command set one: the text
    /// summary counts the issues at or above it. Machines read the exit code instead.
    #[serde(skip)]
    pub fail_on: Option<Severity>,
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
                exempted: 0,
            },
            issues,
            warnings,
            held_back: Vec::new(),
            focus: None,
            clusters: Vec::new(),
            fail_on: None,
        }
    }

    /// The worst severity among the issues.
    #[must_use]
    pub fn worst(&self) -> Option<Severity> {
        self.issues.iter().map(|issue| issue.severity).max()
    }
}
