//! What a run reports, in order: `Started`; `Progress`, `Warning` and `InputError` as they
//! happen; `Snapshot`, then `Issues` as soon as analysis is done; `LogTail` as each tail arrives;
//! `IssuesUpdated` when a later pass changes issues; `Explanation` deltas,
//! `Explained` (or `DryRun`) per issue with `--explain`; `Report`; `Finished`.

use kubewhy_model::{Explanation, Fingerprint, Issue, LogEvidence, Report, Warning};
use std::sync::Arc;

use kubewhy_source::{Progress, Snapshot, files::InputError};

use crate::{DryRun, FocusContext, RunError};

/// One thing a run reports, with the cluster it comes from.
#[derive(Debug)]
pub struct Event {
    /// The kubeconfig context, for live sources.
    pub cluster: Option<String>,
    /// What happened.
    pub kind: EventKind,
}

/// What happened.
#[derive(Debug)]
pub enum EventKind {
    /// The run began.
    Started,
    /// Collection got further.
    Progress(Progress),
    /// Something was skipped; the run goes on.
    Warning(Warning),
    /// An input could not be read, in whole or in part; the run goes on and exits with 2.
    InputError(InputError),
    /// What the run collected, for frontends that scrub what they send (Slack, MCP): their
    /// anonymizer's dictionary is built from it. Sent once, just before `Issues`.
    Snapshot(Arc<Snapshot>),
    /// The issues, grouped by root cause, before log tails are attached.
    Issues(Vec<Issue>),
    /// The log tail of a crashed container, attached to the issue with this fingerprint.
    LogTail {
        /// The issue it belongs to.
        fingerprint: Fingerprint,
        /// The tail.
        log: LogEvidence,
    },
    /// A later pass changed the issues; this is the whole new list.
    IssuesUpdated(Vec<Issue>),
    /// Text of an explanation as it streams, names restored (a word is held back until it is
    /// complete, so a pseudonym split across two chunks is restored whole); after a retry the
    /// text starts over.
    Explanation {
        /// The issue explained.
        fingerprint: Fingerprint,
        /// More text.
        delta: String,
    },
    /// An issue's finished explanation (also in the report).
    Explained {
        /// The issue explained.
        fingerprint: Fingerprint,
        /// The explanation.
        explanation: Box<Explanation>,
    },
    /// `--dry-run`: what would be sent for one issue. Nothing is sent.
    DryRun(Box<DryRun>),
    /// The context of the focused object (`Options::focus`).
    Focus(Box<FocusContext>),
    /// The finished report.
    Report(Box<Report>),
    /// The run could not produce a report.
    Failed(RunError),
    /// The run is over; nothing follows.
    Finished {
        /// True when the run was cancelled before it was done.
        cancelled: bool,
    },
}
