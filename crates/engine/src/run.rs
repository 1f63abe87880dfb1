//! A run: a task that opens the source, collects, analyzes, groups, fetches log tails and
//! reports, sending [`Event`]s as it goes. Dropping the [`Run`] cancels it: the task stops at
//! its next await, and blocking work (parsing, analysis) stops at its next check.

use std::{
    pin::Pin,
    sync::{Arc, Mutex, OnceLock, PoisonError},
    task::{Context, Poll},
};

use futures::Stream;
use kubewhy_analyzers::Filter;
use kubewhy_model::{Issue, Report};
use kubewhy_source::{Reporter, Snapshot, Source, SourceEvent};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use kubewhy_scrub::Redactor;

use crate::{
    Event, EventKind, Opened, Options, RunError, SourceSpec, chain, explain, focus, group, logs,
    redact,
};

/// A run in flight: a stream of [`Event`]s, ending with `Finished`. Dropping it cancels it.
#[derive(Debug)]
pub struct Run {
    rx: mpsc::UnboundedReceiver<Event>,
    cancel: CancellationToken,
}

impl Run {
    /// The next event; `None` after `Finished`.
    pub async fn next(&mut self) -> Option<Event> {
        self.rx.recv().await
    }

    /// Stops the run. Events already sent are still delivered, then `Finished`.
    pub fn cancel(&self) {
        self.cancel.cancel();
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

impl Stream for Run {
    type Item = Event;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Event>> {
        self.rx.poll_recv(cx)
    }
}

/// Sends events of one run. Work still winding down after a cancel (a list page in flight, the
/// task forwarding the source's progress) may try to send after `Finished`; those events are
/// dropped, so `Finished` is always the last.
#[derive(Clone)]
pub(crate) struct Sender {
    tx: Arc<Mutex<Option<mpsc::UnboundedSender<Event>>>>,
    /// Known once the source is open; every event after that names it.
    cluster: Arc<OnceLock<Option<String>>>,
}

impl Sender {
    pub(crate) fn send(&self, kind: EventKind) {
        self.send_for(self.cluster.get().cloned().flatten(), kind);
    }

    /// Sends an event of another run (one cluster of several), naming its cluster.
    pub(crate) fn send_for(&self, cluster: Option<String>, kind: EventKind) {
        let event = Event { cluster, kind };
        let tx = self.tx.lock().unwrap_or_else(PoisonError::into_inner);
        // A receiver that is gone means the run was dropped; the token stops the work.
        if let Some(tx) = tx.as_ref() {
            let _ = tx.send(event);
        }
    }

    /// Sends `Finished`, the last event: nothing is sent after it.
    fn finish(&self, cancelled: bool) {
        let event = Event {
            cluster: self.cluster.get().cloned().flatten(),
            kind: EventKind::Finished { cancelled },
        };
        let mut tx = self.tx.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(tx) = tx.take() {
            let _ = tx.send(event);
        }
    }
}

/// Starts a run on a spec: the source is opened inside the run, so that even connecting can be
/// cancelled. Must be called within a Tokio runtime.
pub(crate) fn start(spec: SourceSpec, options: Options) -> Run {
    spawn(move |sender, cancel| async move {
        if let SourceSpec::Live {
            kubeconfig,
            contexts,
            connection,
        } = &spec
            && contexts.len() > 1
        {
            let (kubeconfig, contexts) = (kubeconfig.clone(), contexts.clone());
            let connection = connection.clone();
            return crate::fleet::run(kubeconfig, contexts, connection, &options, &sender, &cancel)
                .await;
        }
        match spec.open().await {
            Ok(opened) => pipeline(Arc::new(opened), &options, sender, cancel).await,
            Err(e) => sender.send(EventKind::Failed(e.into())),
        }
    })
}

/// Starts a run on a source already opened (the TUI's refresh, the server's watch).
pub(crate) fn start_opened(opened: Arc<Opened>, options: Options) -> Run {
    spawn(move |sender, cancel| async move {
        pipeline(opened, &options, sender, cancel).await;
    })
}

fn spawn<F, Fut>(body: F) -> Run
where
    F: FnOnce(Sender, CancellationToken) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let (tx, rx) = mpsc::unbounded_channel();
    let cancel = CancellationToken::new();
    let token = cancel.clone();
    tokio::spawn(async move {
        let sender = Sender {
            tx: Arc::new(Mutex::new(Some(tx))),
            cluster: Arc::new(OnceLock::new()),
        };
        sender.send(EventKind::Started);
        let work = body(sender.clone(), token.clone());
        let cancelled = tokio::select! {
            () = work => token.is_cancelled(),
            () = token.cancelled() => true,
        };
        sender.finish(cancelled);
    });
    Run { rx, cancel }
}

async fn pipeline(
    opened: Arc<Opened>,
    options: &Options,
    sender: Sender,
    cancel: CancellationToken,
) {
    let _ = sender.cluster.set(opened.cluster.clone());
    let source = &opened.source;
    let mut scope = options.scope.clone();
    let focus = match options.focus.as_ref().map(|f| focus::resolve(f, &opened)) {
        Some(Ok(focus)) => {
            // `explain` reads only the object's namespace, plus the cluster-scoped kinds.
            scope.namespace.clone_from(&focus.namespace);
            Some(focus)
        }
        Some(Err(e)) => return sender.send(EventKind::Failed(e)),
        None => None,
    };
    let redactor = match redactor(options) {
        Ok(redactor) => redactor,
        Err(e) => return sender.send(EventKind::Failed(e)),
    };
    // Source events are forwarded as they happen, in order, before anything that follows.
    let (source_tx, mut source_rx) = mpsc::unbounded_channel();
    let forward = {
        let sender = sender.clone();
        tokio::spawn(async move {
            while let Some(event) = source_rx.recv().await {
                sender.send(match event {
                    SourceEvent::Progress(p) => EventKind::Progress(p),
                    SourceEvent::Warning(w) => EventKind::Warning(w),
                    SourceEvent::InputError(e) => EventKind::InputError(e),
                });
            }
        })
    };
    let reporter = Reporter::new(source_tx, cancel.clone());
    let collected = source.collect(&scope, &reporter).await;
    drop(reporter);
    let _ = forward.await;
    if cancel.is_cancelled() {
        return;
    }
    let snapshot = Arc::new(collected.snapshot);
    let filter = Filter {
        // Dumps and `kubectl get` output are a cluster's state too: lead with what is broken.
        live: matches!(source, Source::Live(_)) || snapshot.observed(),
        ..options.filter.clone()
    };
    let analyzed = {
        let (snapshot, scope, cancel) = (Arc::clone(&snapshot), scope.clone(), cancel.clone());
        tokio::task::spawn_blocking(move || analyze(&snapshot, &filter, &scope, &cancel)).await
    };
    let (Ok((mut grouped, held)), false) = (analyzed, cancel.is_cancelled()) else {
        return;
    };
    redact_each(&redactor, &mut grouped, redact::issue);
    sender.send(EventKind::Snapshot(Arc::clone(&snapshot)));
    sender.send(EventKind::Issues(issues_of(&grouped)));
    let mut warnings = collected.warnings;
    warnings.extend(kubewhy_analyzers::unjudged(snapshot.listings()));
    let mut focus_context = match &focus {
        Some(f) => match focus::context(&snapshot, f, &grouped) {
            Ok(context) => Some(context),
            Err(e) => return sender.send(EventKind::Failed(e)),
        },
        None => None,
    };
    let on_tail = |fingerprint, log| sender.send(EventKind::LogTail { fingerprint, log });
    warnings.extend(
        logs::attach(
            source,
            &snapshot,
            &mut grouped,
            focus_context.as_mut(),
            &redactor,
            on_tail,
        )
        .await,
    );
    // Later passes read the log tails: causal chains come from what the logs name.
    if chain::link(&snapshot, &mut grouped) {
        redact_each(&redactor, &mut grouped, redact::chain);
        sender.send(EventKind::IssuesUpdated(issues_of(&grouped)));
    }
    let mut issues: Vec<Issue> = grouped
        .into_iter()
        .map(|g| g.issue)
        // A focused run reports the issues about its object only.
        .filter(|i| {
            focus_context
                .as_ref()
                .is_none_or(|f| f.issues.contains(&i.fingerprint))
        })
        .collect();
    if let Some(explain) = &options.explain {
        let emit = |kind| sender.send(kind);
        warnings.extend(explain::explain(Arc::clone(&snapshot), &mut issues, explain, &emit).await);
    }
    let mut report = Report::new(collected.info, issues, warnings, snapshot.objects_scanned());
    report.summary.exempted = held.exempted;
    report.held_back = held.held_back;
    if let Some(context) = focus_context {
        sender.send(EventKind::Focus(Box::new(context.clone())));
        report.focus = Some(context);
    }
    sender.send(EventKind::Report(Box::new(report)));
}

/// What takes the secrets out of the run's output, with the `[scrub]` patterns when explaining.
fn redactor(options: &Options) -> Result<Redactor, RunError> {
    let scrub = options
        .explain
        .as_ref()
        .map(|e| e.scrub.clone())
        .unwrap_or_default();
    Redactor::new(&scrub).map_err(RunError::Redact)
}

/// Redacts `part` of every issue.
fn redact_each(
    redactor: &Redactor,
    grouped: &mut [group::Grouped],
    part: fn(&Redactor, &mut Issue),
) {
    for g in grouped {
        part(redactor, &mut g.issue);
    }
}

/// What a cluster report counts rather than lists: the checks it summarises, and how many
/// system components it left out.
#[derive(Default)]
struct Held {
    held_back: Vec<kubewhy_model::CheckCount>,
    exempted: usize,
}

/// Runs the analyzers, keeps the findings in scope, and groups them into issues. Blocking.
fn analyze(
    snapshot: &Snapshot,
    filter: &Filter,
    scope: &kubewhy_source::Scope,
    cancel: &CancellationToken,
) -> (Vec<group::Grouped>, Held) {
    let reported = crate::scope::Reported::new(scope, snapshot);
    let analysis = kubewhy_analyzers::analyze(snapshot, filter);
    let in_scope = |found: Vec<kubewhy_model::Finding>| -> Vec<_> {
        found.into_iter().filter(|f| reported.includes(f)).collect()
    };
    let held = Held {
        held_back: kubewhy_analyzers::summarize(&in_scope(analysis.held_back)),
        exempted: kubewhy_analyzers::count_objects(&in_scope(analysis.exempted)),
    };
    let findings = in_scope(analysis.findings);
    if cancel.is_cancelled() {
        return (Vec::new(), held);
    }
    let mut grouped = group::issues(snapshot, findings);
    for g in &mut grouped {
        let issue = &mut g.issue;
        issue.origin = std::iter::once(&issue.root)
            .chain(&issue.objects)
            .find_map(|o| snapshot.origin(o))
            .cloned();
    }
    (grouped, held)
}

fn issues_of(grouped: &[group::Grouped]) -> Vec<Issue> {
    let mut issues: Vec<Issue> = grouped.iter().map(|g| g.issue.clone()).collect();
    issues.sort_by(Issue::report_order);
    issues
}
