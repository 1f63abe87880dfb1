//! The one way analyzers make findings: [`finding`] takes the check's id (an [`ids`](crate::ids)
//! constant) and gives the finding the severity of the check's catalog entry; the [`Build`]
//! methods add what proves it, so that evidence is built the same way everywhere.
//!
//! ```text
//! finding(ids::PVC_PENDING, &object, "StorageClassNotFound", message)
//!     .events(cx)
//!     .related(class)
//! ```

use kubewhy_model::{
    CheckId, ConditionEvidence, ContainerEvidence, EventEvidence, Finding, LogTarget, ObjectRef,
    Severity,
};
use kubewhy_source::Snapshot;

use crate::evidence;

/// A finding of `check` on `object`, with the severity of the check's catalog entry. Every id
/// is an [`ids`](crate::ids) constant generated from the catalog, so the entry exists and the
/// fallback is never used.
pub(crate) fn finding(
    check: CheckId,
    object: &ObjectRef,
    reason: impl Into<String>,
    message: impl Into<String>,
) -> Finding {
    let severity = crate::check(check.as_str()).map_or(Severity::Warning, |c| c.severity);
    Finding::new(check, severity, object.clone(), reason, message)
}

/// What a finding is built up with, after [`finding`].
pub(crate) trait Build: Sized {
    /// The object's most recent warning events as evidence: what live checks show.
    #[must_use]
    fn events(self, snapshot: &Snapshot) -> Self;
    /// These events as evidence, at most [`evidence::MAX_EVENTS`].
    #[must_use]
    fn with_events(self, events: Vec<EventEvidence>) -> Self;
    /// A condition as evidence.
    #[must_use]
    fn condition(self, condition: ConditionEvidence) -> Self;
    /// A container's state as evidence; the finding is about that container.
    #[must_use]
    fn container_state(self, state: ContainerEvidence) -> Self;
    /// The container of a pod template the finding is about, named in its evidence too, so
    /// that a fix's `{container}` fills in.
    #[must_use]
    fn container(self, name: &str, init: bool) -> Self;
    /// Another object involved (the missing Secret, the Service without endpoints).
    #[must_use]
    fn related(self, object: ObjectRef) -> Self;
    /// Other objects involved.
    #[must_use]
    fn related_all(self, objects: impl IntoIterator<Item = ObjectRef>) -> Self;
    /// A severity other than the catalog's, for a finding worse or milder than usual.
    #[must_use]
    fn severity(self, severity: Severity) -> Self;
    /// A container whose log would explain the finding.
    #[must_use]
    fn log(self, target: LogTarget) -> Self;
}

impl Build for Finding {
    fn events(self, snapshot: &Snapshot) -> Self {
        let events = evidence::events(snapshot, &self.object);
        self.with_events(events)
    }

    fn with_events(mut self, mut events: Vec<EventEvidence>) -> Self {
        events.truncate(evidence::MAX_EVENTS);
        self.evidence.events = events;
        self
    }

    fn condition(mut self, condition: ConditionEvidence) -> Self {
        self.evidence.conditions.push(condition);
        self
    }

    fn container_state(mut self, state: ContainerEvidence) -> Self {
        self.container
            .get_or_insert_with(|| state.container.clone());
        self.evidence.containers.push(state);
        self
    }

    fn container(self, name: &str, init: bool) -> Self {
        self.container_state(evidence::template_container(name, init))
    }

    fn related(mut self, object: ObjectRef) -> Self {
        self.related.push(object);
        self
    }

    fn related_all(mut self, objects: impl IntoIterator<Item = ObjectRef>) -> Self {
        self.related.extend(objects);
        self
    }

    fn severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }

    fn log(mut self, target: LogTarget) -> Self {
        self.logs.push(target);
        self
    }
}
