//! How a source tells the run what it is doing while it works: progress, warnings and input
//! errors as they happen, and whether the run was cancelled. Library code never prints; a
//! frontend renders these.

use kubewhy_model::Warning;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::files::InputError;

/// How far one step of collection has got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    /// What is being read: a kind's plural (`pods`) or a file.
    pub what: String,
    /// Objects read so far.
    pub items: usize,
    /// Pages (list requests) or documents read so far.
    pub pages: usize,
    /// Bytes read so far.
    pub bytes: u64,
    /// True when this step is finished.
    pub done: bool,
    /// Steps finished so far, across the whole collection.
    pub steps_done: usize,
    /// Steps in the whole collection, when known.
    pub steps: usize,
}

/// Something a source reports while it works.
#[derive(Debug, Clone)]
pub enum SourceEvent {
    /// See [`Progress`].
    Progress(Progress),
    /// Something was skipped; collection goes on.
    Warning(Warning),
    /// An input could not be read, in whole or in part.
    InputError(InputError),
}

/// Where a source sends its [`SourceEvent`]s, and how it learns that the run was cancelled.
/// The default reporter sends nowhere and is never cancelled.
#[derive(Debug, Clone, Default)]
pub struct Reporter {
    tx: Option<mpsc::UnboundedSender<SourceEvent>>,
    cancel: CancellationToken,
}

impl Reporter {
    /// A reporter that sends to `tx` and stops when `cancel` is cancelled.
    #[must_use]
    pub fn new(tx: mpsc::UnboundedSender<SourceEvent>, cancel: CancellationToken) -> Self {
        Self {
            tx: Some(tx),
            cancel,
        }
    }

    /// Reports an event. A receiver that has gone away means nobody is listening any more.
    pub fn send(&self, event: SourceEvent) {
        if let Some(tx) = &self.tx {
            let _ = tx.send(event);
        }
    }

    /// Whether the run was cancelled: long loops check this between pages and objects.
    #[must_use]
    pub fn is_cancelled(&self) -> bool {
        self.cancel.is_cancelled()
    }

    /// The run's cancellation token.
    #[must_use]
    pub fn token(&self) -> &CancellationToken {
        &self.cancel
    }
}
