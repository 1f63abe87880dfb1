//! Constructors every analyzer uses, so that a finding's severity always comes from the
//! catalog and its evidence is built the same way everywhere.

use kubewhy_model::{CheckId, Finding, ObjectRef, Severity};
use kubewhy_source::Snapshot;

use crate::evidence;

/// A finding of `check` on `object`, with the severity of the check's catalog entry. Every id
/// an analyzer uses is in its `checks()`, and the catalog test proves each has an entry, so the
/// fallback is never used.
pub(crate) fn finding(
    check: &'static str,
    object: &ObjectRef,
    reason: &str,
    message: String,
) -> Finding {
    let severity = crate::check(check).map_or(Severity::Warning, |c| c.severity);
    Finding::new(CheckId(check), severity, object.clone(), reason, message)
}

/// The same, with the object's warning events as evidence: what live checks show.
pub(crate) fn with_events(
    snapshot: &Snapshot,
    check: &'static str,
    object: &ObjectRef,
    reason: &str,
    message: String,
) -> Finding {
    let mut found = finding(check, object, reason, message);
    found.evidence.events = evidence::events(snapshot, object);
    found
}

/// `3d 4h`, `2h 5m`, `45m`, `30s`: how long something has lasted, for messages.
pub(crate) fn human_duration(seconds: i64) -> String {
    let (d, h, m) = (
        seconds / 86_400,
        seconds % 86_400 / 3600,
        seconds % 3600 / 60,
    );
    match (d, h, m) {
        (0, 0, 0) => format!("{seconds}s"),
        (0, 0, m) => format!("{m}m"),
        (0, h, m) => format!("{h}h {m}m"),
        (d, h, _) => format!("{d}d {h}h"),
    }
}
