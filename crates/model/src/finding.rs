//! A finding: one check that fired on one object.

use std::fmt;

use serde::Serialize;

use crate::{Evidence, ObjectRef, Severity};

/// A check's stable, kebab-case id that names the problem, such as `pod-crash-looping`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct CheckId(pub &'static str);

impl CheckId {
    /// The id as a string.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        self.0
    }
}

impl fmt::Display for CheckId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// A container whose log would help explain a finding. Logs are fetched only for these.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LogTarget {
    /// The pod's namespace.
    pub namespace: String,
    /// The pod's name.
    pub pod: String,
    /// The container's name.
    pub container: String,
    /// Whether the previous instance's log is the one that tells what happened.
    pub previous: bool,
}

/// One check that fired on one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The check that fired.
    pub check: CheckId,
    /// How bad it is.
    pub severity: Severity,
    /// The object it fired on.
    pub object: ObjectRef,
    /// The container it is about, for checks of one container of a pod or pod template.
    pub container: Option<String>,
    /// What is wrong, in one sentence that names the problem (not the fix).
    pub message: String,
    /// A short, stable reason (`CrashLoopBackOff`, `OOMKilled`) that is part of the
    /// fingerprint: the same check on the same root for another reason is another issue.
    pub reason: String,
    /// What proves it.
    pub evidence: Evidence,
    /// Other objects involved (the missing Secret, the Service without endpoints).
    pub related: Vec<ObjectRef>,
    /// Containers whose logs would explain it.
    pub logs: Vec<LogTarget>,
}

impl Finding {
    /// A finding with no evidence yet.
    pub fn new(
        check: CheckId,
        severity: Severity,
        object: ObjectRef,
        reason: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            check,
            severity,
            object,
            container: None,
            reason: reason.into(),
            message: message.into(),
            evidence: Evidence::default(),
            related: Vec::new(),
            logs: Vec::new(),
        }
    }

    /// The same finding, about one container.
    #[must_use]
    pub fn in_container(mut self, container: impl Into<String>) -> Self {
        self.container = Some(container.into());
        self
    }
}
