//! kubewhy's pipeline, shared by every frontend: open a source, collect a snapshot, run the
//! analyzers, group findings into issues by root cause, attach bounded log evidence, and build
//! the report. A run is a cancellable stream of [`Event`]s; frontends only render them.
//!
//! ```no_run
//! # async fn demo() {
//! use kubewhy_engine::{Engine, EventKind, Options, SourceSpec};
//! let mut run = Engine::start(SourceSpec::Demo, Options::default());
//! while let Some(event) = run.next().await {
//!     if let EventKind::Report(report) = event.kind {
//!         println!("{} issues", report.issues.len());
//!     }
//! }
//! # }
//! ```

pub mod assistant;
mod cause;
mod chain;
mod error;
pub mod eval;
mod event;
mod explain;
mod fleet;
mod focus;
mod fold;
mod group;
mod logs;
mod redact;
mod run;
mod scope;
mod settings;
mod spec;

use std::sync::Arc;

use kubewhy_analyzers::Filter;
use kubewhy_model::{ObjectRef, Report};
use kubewhy_source::{Scope, Snapshot, files::InputError};

pub use error::{OpenError, RunError};
pub use event::{Event, EventKind};
pub use explain::{DryRun, ExplainOptions};
pub use kubewhy_model::FocusContext;
pub use run::Run;
pub use settings::{Settings, SettingsError};
pub use spec::{Connection, Opened, SourceSpec};

/// What to analyze and which findings to keep.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Which objects are reported.
    pub scope: Scope,
    /// Which checks and severities.
    pub filter: Filter,
    /// One object to gather context for (`kubewhy explain`): its kind in any form kubectl
    /// accepts (`deploy`, `deployments`, `deployments.apps`), its namespace (the context's when
    /// `None`) and its name. The run then reads only that namespace.
    pub focus: Option<ObjectRef>,
    /// Explain the issues (`--explain`); `None` leaves `Issue::explanation` empty.
    pub explain: Option<ExplainOptions>,
}

/// Starts runs.
#[derive(Debug, Clone)]
pub struct Engine {
    opened: Arc<Opened>,
}

impl Engine {
    /// Opens `spec` and runs once: the source is opened inside the run, so connecting can be
    /// cancelled too, and its failure is a `Failed` event. Must be called within a Tokio
    /// runtime.
    #[must_use]
    pub fn start(spec: SourceSpec, options: Options) -> Run {
        run::start(spec, options)
    }

    /// Opens a source once, for several runs (a TUI refresh, a server's watch).
    pub async fn open(spec: &SourceSpec) -> Result<Self, OpenError> {
        Ok(Self {
            opened: Arc::new(spec.open().await?),
        })
    }

    /// The opened source.
    #[must_use]
    pub fn opened(&self) -> &Opened {
        &self.opened
    }

    /// Starts a run on the opened source. Runs are independent: dropping one, or starting
    /// another while it is in flight, does not disturb the others.
    #[must_use]
    pub fn run(&self, options: Options) -> Run {
        run::start_opened(Arc::clone(&self.opened), options)
    }
}

/// A finished run, folded from its events.
#[derive(Debug)]
pub struct Outcome {
    /// The report, partial when `errors` is not empty.
    pub report: Report,
    /// Inputs that could not be read. The report holds everything else.
    pub errors: Vec<InputError>,
    /// What the run collected, to scrub what is sent elsewhere against.
    pub snapshot: Option<Arc<Snapshot>>,
}

impl Run {
    /// Waits for the run to finish and returns its report, or why there is none.
    pub async fn outcome(mut self) -> Result<Outcome, RunError> {
        let mut errors = Vec::new();
        let mut report = None;
        let mut snapshot = None;
        while let Some(event) = self.next().await {
            match event.kind {
                EventKind::Snapshot(s) => snapshot = Some(s),
                EventKind::InputError(e) => errors.push(e),
                EventKind::Report(r) => report = Some(*r),
                EventKind::Failed(e) => return Err(e),
                _ => {}
            }
        }
        report
            .map(|report| Outcome {
                report,
                errors,
                snapshot,
            })
            .ok_or(RunError::Cancelled)
    }
}
