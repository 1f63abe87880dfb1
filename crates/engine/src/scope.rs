//! Scope applied once, for every source: which findings a run reports. `-n`,
//! `--exclude-namespace` and `-l` select what is reported, never what is looked up, so a file
//! run and a live run of the same objects report the same issues.

use kubewhy_model::{Finding, ObjectRef};
use kubewhy_source::{LabelSelector, Scope, Snapshot};

/// Decides which findings are in scope.
pub(crate) struct Reported<'a> {
    scope: &'a Scope,
    selector: Option<LabelSelector>,
    snapshot: &'a Snapshot,
}

impl<'a> Reported<'a> {
    pub(crate) fn new(scope: &'a Scope, snapshot: &'a Snapshot) -> Self {
        Self {
            scope,
            // The CLI rejects a bad selector up front; one that still fails to parse selects
            // nothing rather than everything.
            selector: scope
                .selector
                .as_deref()
                .map(|s| LabelSelector::parse(s).unwrap_or_else(|_| LabelSelector::nothing())),
            snapshot,
        }
    }

    /// Whether `finding` is reported: its object's namespace is in scope, and with `-l`, its
    /// object or that object's top owner carries matching labels.
    pub(crate) fn includes(&self, finding: &Finding) -> bool {
        let object = &finding.object;
        if !self.scope.includes_namespace(object.namespace.as_deref()) {
            return false;
        }
        let Some(selector) = &self.selector else {
            return true;
        };
        self.matches(selector, object) || self.matches(selector, &self.snapshot.root_of(object))
    }

    fn matches(&self, selector: &LabelSelector, object: &ObjectRef) -> bool {
        self.snapshot
            .labels_of(object)
            .is_some_and(|labels| selector.matches(labels))
    }
}
