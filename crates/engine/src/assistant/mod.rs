//! Explanations on demand, for interactive frontends (the TUI): one issue at a time, through the
//! same explain pipeline as `--explain` (scrub, prompt, budget, cache, backend, unscrub), with
//! the answer streamed back with its names restored as it arrives; the payload a request
//! would send (`--dry-run`'s); and follow-up questions about an issue, every turn scrubbed
//! with the issue's pseudonyms and the conversation fitted to the model's context.
//!
//! Each request is a stream of [`Reply`]s from a task of its own; dropping the stream cancels
//! the request. The snapshot the anonymizer's dictionary is built from (the issue's namespace
//! and the cluster-scoped objects, as `kubewhy explain` reads them) is collected once and kept
//! for a while, so that asking about several issues does not read the cluster each time.

mod chat;

use std::{
    collections::HashMap,
    fmt::Write as _,
    sync::{
        Arc, Mutex, PoisonError,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use futures::{StreamExt, stream::BoxStream};
use kubewhy_model::{Explanation, Issue};
use kubewhy_scrub::{Entry, PseudonymTable};
use kubewhy_source::{Reporter, Scope, Snapshot};
use tokio::sync::mpsc::{self, UnboundedSender};
use tokio_util::sync::CancellationToken;

pub use chat::{Conversation, Speaker};

use crate::{DryRun, Engine, EventKind, ExplainOptions, explain};

/// How long a collected snapshot serves the anonymizer before it is read again.
const SNAPSHOT_TTL: Duration = Duration::from_mins(2);

/// What a request reports, in order: `Delta`s, then `Done` or `Failed`; a preview answers with
/// one `Preview` (or `Failed`).
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// More of the answer, names restored. After a retry the text may start over; `Done`
    /// carries the whole answer.
    Delta(String),
    /// The answer is complete.
    Done(Answered),
    /// No answer from the backend: why, and the offline explanation that stands in, if any.
    Failed {
        /// What went wrong.
        error: String,
        /// The offline explanation.
        offline: Option<String>,
    },
    /// What would be sent, as `--dry-run` prints it. Nothing was sent.
    Preview(String),
}

/// A complete answer and what it took.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Answered {
    /// The answer, names restored, as the user reads it.
    pub text: String,
    /// Prompt tokens.
    pub tokens_in: u32,
    /// Completion tokens.
    pub tokens_out: u32,
    /// From the request to the last token.
    pub latency_ms: Option<u64>,
    /// In US dollars, when the profile has a price.
    pub cost: Option<f64>,
    /// Read from the answer cache.
    pub cached: bool,
    /// The offline explainer's: nothing was sent.
    pub offline: bool,
}

impl Answered {
    fn of(explanation: &Explanation) -> Self {
        Self {
            text: explanation.text.clone(),
            tokens_in: explanation.tokens_in,
            tokens_out: explanation.tokens_out,
            latency_ms: explanation.latency_ms,
            cost: explanation.cost.map(kubewhy_model::Cost::amount),
            cached: explanation.cached,
            offline: explanation.backend == kubewhy_llm::offline::BACKEND,
        }
    }
}

/// Why a request could not even be prepared.
#[derive(Debug, thiserror::Error)]
pub enum AssistError {
    /// Asked before the frontend attached an opened source.
    #[error("the source is not open yet; try again in a moment")]
    NotOpen,
    /// The anonymizer failed: nothing was sent.
    #[error("nothing was sent: {0}")]
    Scrub(#[from] kubewhy_scrub::ScrubError),
    /// A prompt template failed: nothing was sent.
    #[error("nothing was sent: {0}")]
    Prompt(#[from] kubewhy_llm::prompt::PromptError),
    /// The backend failed.
    #[error(transparent)]
    Llm(#[from] kubewhy_llm::LlmError),
    /// The session's `--token-budget` would be exceeded.
    #[error("the token budget ({limit} tokens) is used up; restart with a larger --token-budget")]
    Budget {
        /// The budget.
        limit: u64,
    },
    /// The pipeline prepared nothing for the issue.
    #[error("nothing to send for this issue: {0}")]
    Unprepared(String),
}

/// A collected snapshot and when it was collected.
type Kept = (Instant, Arc<Snapshot>);

/// Explains issues of an opened source on demand.
pub struct Assistant {
    options: ExplainOptions,
    engine: Mutex<Option<Engine>>,
    /// Per namespace of the issues asked about, with when it was collected.
    snapshots: tokio::sync::Mutex<HashMap<Option<String>, Kept>>,
    used: AtomicU64,
}

impl std::fmt::Debug for Assistant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Assistant")
            .field("backend", &self.backend_name())
            .finish_non_exhaustive()
    }
}

impl Assistant {
    /// An assistant with these LLM options; it answers once a source is [attached](Self::attach).
    #[must_use]
    pub fn new(options: ExplainOptions) -> Arc<Self> {
        Arc::new(Self {
            options,
            engine: Mutex::new(None),
            snapshots: tokio::sync::Mutex::new(HashMap::new()),
            used: AtomicU64::new(0),
        })
    }

    /// The backend's name (`offline` without one).
    #[must_use]
    pub fn backend_name(&self) -> &str {
        self.options
            .backend
            .as_ref()
            .map_or(kubewhy_llm::offline::BACKEND, |b| b.id().name.as_str())
    }

    /// The model.
    #[must_use]
    pub fn model(&self) -> &str {
        self.options
            .backend
            .as_ref()
            .map_or("signatures", |b| b.id().model.as_str())
    }

    /// The opened source the issues come from; a new one (`:ctx`) replaces it.
    pub fn attach(&self, engine: &Engine) {
        *self.engine.lock().unwrap_or_else(PoisonError::into_inner) = Some(engine.clone());
        if let Ok(mut snapshots) = self.snapshots.try_lock() {
            snapshots.clear();
        }
    }

    /// Explains `issue`; `fresh` skips the cache (and does not store the new answer).
    #[must_use]
    pub fn explain(self: &Arc<Self>, issue: Issue, fresh: bool) -> BoxStream<'static, Reply> {
        let this = Arc::clone(self);
        spawn(move |tx| async move { this.explain_task(issue, fresh, &tx).await })
    }

    /// What an explanation of `issue` would send.
    #[must_use]
    pub fn preview(self: &Arc<Self>, issue: Issue) -> BoxStream<'static, Reply> {
        let this = Arc::clone(self);
        spawn(move |tx| async move {
            let reply = match this.dry_run(&issue).await {
                Ok((dry, _)) => Reply::Preview(preview_text(&dry)),
                Err(error) => Reply::Failed {
                    error: error.to_string(),
                    offline: None,
                },
            };
            let _ = tx.send(reply);
        })
    }

    /// Answers a follow-up question.
    #[must_use]
    pub fn chat(self: &Arc<Self>, conversation: Conversation) -> BoxStream<'static, Reply> {
        let this = Arc::clone(self);
        spawn(move |tx| async move {
            if let Err(error) = this.chat_task(conversation, &tx).await {
                let _ = tx.send(Reply::Failed {
                    error: error.to_string(),
                    offline: None,
                });
            }
        })
    }

    async fn explain_task(&self, issue: Issue, fresh: bool, tx: &UnboundedSender<Reply>) {
        let snapshot = match self.snapshot(&issue).await {
            Ok(snapshot) => snapshot,
            Err(error) => return fail(tx, &error),
        };
        let mut options = self.options.clone();
        options.dry_run = false;
        if fresh {
            options.cache = None;
        }
        if let Some(limit) = options.token_budget {
            options.token_budget = Some(limit.saturating_sub(self.used.load(Ordering::Relaxed)));
        }
        let mut explained = None;
        let (etx, mut erx) = mpsc::unbounded_channel();
        let work = async move {
            let emit = move |kind| {
                let _ = etx.send(kind);
            };
            let mut issues = vec![issue];
            explain::explain(snapshot, &mut issues, &options, &emit).await;
        };
        let read = async {
            while let Some(kind) = erx.recv().await {
                match kind {
                    // The pipeline restores names as the answer streams.
                    EventKind::Explanation { delta, .. } => {
                        let _ = tx.send(Reply::Delta(delta));
                    }
                    EventKind::Explained { explanation, .. } => explained = Some(explanation),
                    _ => {}
                }
            }
        };
        futures::join!(work, read);
        let Some(explanation) = explained else {
            return fail(
                tx,
                &AssistError::Unprepared("no explanation came back".into()),
            );
        };
        let answered = Answered::of(&explanation);
        self.count(u64::from(answered.tokens_in) + u64::from(answered.tokens_out));
        let _ = tx.send(if explanation.fallback {
            Reply::Failed {
                error: explanation
                    .fallback_reason
                    .clone()
                    .unwrap_or_else(|| "the backend did not answer".to_owned()),
                offline: Some(answered.text),
            }
        } else {
            Reply::Done(answered)
        });
    }

    /// The request an explanation of `issue` would send, and the snapshot it was scrubbed
    /// against.
    async fn dry_run(&self, issue: &Issue) -> Result<(DryRun, Arc<Snapshot>), AssistError> {
        let snapshot = self.snapshot(issue).await?;
        let mut options = self.options.clone();
        options.dry_run = true;
        let dry = Mutex::new(None);
        let emit = |kind| {
            if let EventKind::DryRun(d) = kind {
                *dry.lock().unwrap_or_else(PoisonError::into_inner) = Some(d);
            }
        };
        let mut issues = vec![issue.clone()];
        explain::explain(Arc::clone(&snapshot), &mut issues, &options, &emit).await;
        let reason = issues
            .first()
            .and_then(|i| i.explanation.as_ref())
            .and_then(|e| e.fallback_reason.clone())
            .unwrap_or_else(|| "no LLM backend is configured".to_owned());
        match dry.into_inner().unwrap_or_else(PoisonError::into_inner) {
            Some(dry) => Ok((*dry, snapshot)),
            None => Err(AssistError::Unprepared(reason)),
        }
    }

    /// The objects of the issue's namespace and the cluster-scoped ones, as `kubewhy explain`
    /// reads them, collected at most every [`SNAPSHOT_TTL`].
    async fn snapshot(&self, issue: &Issue) -> Result<Arc<Snapshot>, AssistError> {
        let namespace = issue.root.namespace.clone();
        let mut kept = self.snapshots.lock().await;
        if let Some((at, snapshot)) = kept.get(&namespace)
            && at.elapsed() < SNAPSHOT_TTL
        {
            return Ok(Arc::clone(snapshot));
        }
        let engine = self
            .engine
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
            .ok_or(AssistError::NotOpen)?;
        // Progress is not shown: the frontend's run reports the source's state.
        let (tx, _rx) = mpsc::unbounded_channel();
        let reporter = Reporter::new(tx, CancellationToken::new());
        let scope = Scope {
            namespace: namespace.clone(),
            ..Scope::default()
        };
        let collected = engine.opened().source.collect(&scope, &reporter).await;
        let snapshot = Arc::new(collected.snapshot);
        kept.insert(namespace, (Instant::now(), Arc::clone(&snapshot)));
        Ok(snapshot)
    }

    fn count(&self, tokens: u64) {
        self.used.fetch_add(tokens, Ordering::Relaxed);
    }
}

fn fail(tx: &UnboundedSender<Reply>, error: &AssistError) {
    let _ = tx.send(Reply::Failed {
        error: error.to_string(),
        offline: None,
    });
}

/// A table read back from a dry run's entries, to restore names in the deltas.
fn table_of(entries: &[Entry]) -> PseudonymTable {
    serde_json::from_value(serde_json::json!({ "entries": entries })).unwrap_or_default()
}

/// A dry run as `--dry-run` prints it, with the pseudonyms for the user's eyes.
fn preview_text(dry: &DryRun) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = writeln!(
        out,
        "=== issue {} → {} (model {}), about {} prompt tokens; nothing was sent",
        dry.fingerprint, dry.endpoint, dry.model, dry.estimated_tokens
    );
    for (role, content) in &dry.messages {
        let _ = writeln!(out, "--- {}\n{content}", role.as_str());
    }
    let _ = writeln!(out, "--- pseudonyms (never sent)");
    for entry in &dry.table {
        let real = entry.real.as_deref().unwrap_or("(a secret: never kept)");
        let _ = writeln!(out, "  {:<28} {real}", entry.pseudonym);
    }
    out
}

/// Runs `work` on a task of its own; its replies are the stream, and dropping the stream
/// aborts the task.
fn spawn<F, Fut>(work: F) -> BoxStream<'static, Reply>
where
    F: FnOnce(UnboundedSender<Reply>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    struct Abort(tokio::task::JoinHandle<()>);
    impl Drop for Abort {
        fn drop(&mut self) {
            self.0.abort();
        }
    }
    let (tx, rx) = mpsc::unbounded_channel();
    let task = Abort(tokio::spawn(work(tx)));
    futures::stream::unfold((rx, task), |(mut rx, task)| async move {
        rx.recv().await.map(|reply| (reply, (rx, task)))
    })
    .boxed()
}

#[cfg(test)]
mod tests;
