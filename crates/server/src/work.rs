//! The analyses and explanations that Slack, REST and MCP ask for. Identical requests within one
//! interval share one run (and so one explanation); at most `capacity` distinct runs are in
//! flight, and beyond that a request is refused as busy with an estimate of when to retry. The
//! source is opened lazily and again after a failure, so an API server that is down when the
//! server starts, or blips later, costs an answer, not the server.

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex, OnceLock, PoisonError,
        atomic::{AtomicU64, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use futures::{
    FutureExt,
    future::{BoxFuture, Shared},
};
use kubewhy_engine::{Engine, EventKind, ExplainOptions, Options, Outcome, SourceSpec};
use kubewhy_model::{ObjectRef, Report};
use kubewhy_scrub::{Category, Dictionary};
use kubewhy_source::Snapshot;

use crate::metrics::Metrics;

/// What a frontend asks for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Request {
    /// Analyze the server's scope, or one namespace of it.
    Analyze {
        /// The namespace, if narrowed.
        namespace: Option<String>,
    },
    /// Explain one object and its issues.
    Explain {
        /// Its kind, as kubectl takes it (`deploy`, `pod`).
        kind: String,
        /// Its name.
        name: String,
        /// Its namespace; the context's when `None`.
        namespace: Option<String>,
    },
}

/// A finished run.
#[derive(Debug)]
pub struct Analysis {
    /// The report; secrets already redacted by the engine.
    pub report: Report,
    /// What it was collected from, for the anonymizer's dictionary.
    pub snapshot: Option<Arc<Snapshot>>,
    /// Inputs that could not be read.
    pub errors: Vec<String>,
    dictionary: OnceLock<Result<Arc<Dictionary>, String>>,
}

/// The names of every object and namespace an analysis's issues are about, with the anonymizer's
/// category for each: ordinary words among them (`cart`) are names wherever they stand.
fn issue_names(report: &Report) -> Vec<(String, Category)> {
    let mut names = std::collections::BTreeMap::new();
    for issue in &report.issues {
        let objects = std::iter::once(&issue.root)
            .chain(&issue.objects)
            .chain(&issue.related)
            .chain(issue.chain.iter().map(|l| &l.object));
        for o in objects {
            names
                .entry(o.name.clone())
                .or_insert_with(|| Category::of_kind(&o.kind));
            if let Some(ns) = &o.namespace {
                names.entry(ns.clone()).or_insert(Category::Namespace);
            }
        }
    }
    names.into_iter().filter(|(n, _)| !n.is_empty()).collect()
}

impl Analysis {
    /// The names its issues are about.
    #[must_use]
    pub fn names(&self) -> Vec<(String, Category)> {
        issue_names(&self.report)
    }

    /// The anonymizer's dictionary of this run's names, built once.
    pub fn dictionary(&self) -> Result<Arc<Dictionary>, String> {
        let built = self.dictionary.get_or_init(|| match &self.snapshot {
            Some(snapshot) => Dictionary::from_snapshot(snapshot)
                .map(Arc::new)
                .map_err(|e| e.to_string()),
            None => Ok(Arc::new(Dictionary::default())),
        });
        built.clone()
    }
}

/// Why there is no analysis.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorkError {
    /// Too many runs are in flight.
    #[error("kubewhy is busy; retry in {} s", retry_in.as_secs().max(1))]
    Busy {
        /// When a slot is likely to be free.
        retry_in: Duration,
    },
    /// The cluster could not be reached.
    #[error("the cluster is unreachable: {0}")]
    Unreachable(String),
    /// The request cannot be answered (an unknown object, a namespace outside the scope).
    #[error("{0}")]
    Refused(String),
    /// The server is shutting down.
    #[error("kubewhy is shutting down; ask again in a minute")]
    ShuttingDown,
}

type Pending = Shared<BoxFuture<'static, Result<Arc<Analysis>, WorkError>>>;

/// Runs, shared and bounded.
pub struct Work {
    spec: SourceSpec,
    engine: tokio::sync::Mutex<Option<Engine>>,
    base: Options,
    explain: ExplainOptions,
    /// How long a finished run answers identical requests.
    ttl: Duration,
    capacity: usize,
    in_flight: AtomicUsize,
    /// Recent run time, in milliseconds, for the busy estimate.
    typical_ms: AtomicU64,
    runs: Mutex<HashMap<Request, (Instant, Pending)>>,
    metrics: Arc<Metrics>,
}

impl std::fmt::Debug for Work {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Work")
            .field("capacity", &self.capacity)
            .finish_non_exhaustive()
    }
}

impl Work {
    /// Work over `spec`, with the server's scope and filters in `base` and its LLM in `explain`.
    #[must_use]
    pub fn new(
        spec: SourceSpec,
        base: Options,
        explain: ExplainOptions,
        ttl: Duration,
        capacity: usize,
        metrics: Arc<Metrics>,
    ) -> Arc<Self> {
        Arc::new(Self {
            spec,
            engine: tokio::sync::Mutex::new(None),
            base,
            explain,
            ttl,
            capacity: capacity.max(1),
            in_flight: AtomicUsize::new(0),
            typical_ms: AtomicU64::new(1_000),
            runs: Mutex::new(HashMap::new()),
            metrics,
        })
    }

    /// The LLM options, for the frontends' own chats.
    #[must_use]
    pub fn explain_options(&self) -> &ExplainOptions {
        &self.explain
    }

    /// The opened source, opening it if need be.
    pub async fn engine(&self) -> Result<Engine, WorkError> {
        let mut engine = self.engine.lock().await;
        if let Some(engine) = engine.as_ref() {
            return Ok(engine.clone());
        }
        match Engine::open(&self.spec).await {
            Ok(opened) => {
                self.metrics.set("kubewhy_apiserver_up", &[], 1.0);
                *engine = Some(opened.clone());
                Ok(opened)
            }
            Err(e) => {
                self.metrics.set("kubewhy_apiserver_up", &[], 0.0);
                Err(WorkError::Unreachable(e.to_string()))
            }
        }
    }

    /// Admits `request`: joins an identical run in flight or recent, or starts one if there is
    /// room. The returned future resolves to the analysis.
    pub fn admit(self: &Arc<Self>, request: &Request) -> Result<Pending, WorkError> {
        let mut runs = self.runs.lock().unwrap_or_else(PoisonError::into_inner);
        runs.retain(|_, (at, pending)| pending.peek().is_none() || at.elapsed() < self.ttl);
        if let Some((_, pending)) = runs.get(request) {
            self.metrics.inc("kubewhy_requests_coalesced_total", &[]);
            return Ok(pending.clone());
        }
        if self.in_flight.load(Ordering::Acquire) >= self.capacity {
            self.metrics.inc("kubewhy_requests_shed_total", &[]);
            return Err(WorkError::Busy {
                retry_in: Duration::from_millis(self.typical_ms.load(Ordering::Relaxed)),
            });
        }
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        let this = Arc::clone(self);
        let owned = request.clone();
        let handle = tokio::spawn(async move {
            let started = Instant::now();
            let result = this.run(&owned).await;
            this.in_flight.fetch_sub(1, Ordering::AcqRel);
            let took = started.elapsed();
            this.typical_ms.store(
                u64::try_from(took.as_millis())
                    .unwrap_or(u64::MAX)
                    .max(1_000),
                Ordering::Relaxed,
            );
            this.metrics
                .observe("kubewhy_run_seconds", &[("request", owned.label())], took);
            result
        });
        let pending = async move {
            handle
                .await
                .unwrap_or_else(|_| Err(WorkError::ShuttingDown))
        }
        .boxed()
        .shared();
        runs.insert(request.clone(), (Instant::now(), pending.clone()));
        Ok(pending)
    }

    /// The analysis for `request`: admitted, then awaited.
    pub async fn answer(self: &Arc<Self>, request: &Request) -> Result<Arc<Analysis>, WorkError> {
        self.admit(request)?.await
    }

    /// A new run of `request`, which later identical requests share: the watch's cycle.
    pub async fn refresh(self: &Arc<Self>, request: &Request) -> Result<Arc<Analysis>, WorkError> {
        self.runs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(request);
        self.answer(request).await
    }

    /// Whether the source is several clusters, read afresh by each run.
    fn fleet(&self) -> bool {
        matches!(&self.spec, SourceSpec::Live { contexts, .. } if contexts.len() > 1)
    }

    async fn run(&self, request: &Request) -> Result<Arc<Analysis>, WorkError> {
        let mut options = self.base.clone();
        match request {
            Request::Analyze { namespace } => {
                if let Some(ns) = namespace {
                    self.narrow(&mut options, ns)?;
                }
            }
            Request::Explain {
                kind,
                name,
                namespace,
            } => {
                if let Some(ns) = namespace {
                    self.narrow(&mut options, ns)?;
                }
                options.focus = Some(ObjectRef::new(
                    "",
                    kind.clone(),
                    namespace.as_deref(),
                    name.clone(),
                ));
                options.explain = Some(self.explain.clone());
            }
        }
        let run = if self.fleet() {
            if options.focus.is_some() {
                return Err(WorkError::Refused(
                    "explain reads one cluster, and this kubewhy watches several: ask the kubewhy of that cluster, or run `kubewhy explain` with its --context".to_owned(),
                ));
            }
            Engine::start(self.spec.clone(), options)
        } else {
            self.engine().await?.run(options)
        };
        let outcome = match self.timed(run).await {
            Ok(outcome) => outcome,
            Err(kubewhy_engine::RunError::Open(e)) => {
                // Open again next time: the connection may come back.
                *self.engine.lock().await = None;
                self.metrics.set("kubewhy_apiserver_up", &[], 0.0);
                return Err(WorkError::Unreachable(e.to_string()));
            }
            Err(e) => return Err(WorkError::Refused(e.to_string())),
        };
        let report = outcome.report;
        let unreachable = report.summary.objects_scanned == 0
            && !report.warnings.is_empty()
            && matches!(self.spec, SourceSpec::Live { .. });
        self.metrics.set(
            "kubewhy_apiserver_up",
            &[],
            if unreachable { 0.0 } else { 1.0 },
        );
        if unreachable {
            *self.engine.lock().await = None;
            let why = report
                .warnings
                .first()
                .map(|w| w.message.clone())
                .unwrap_or_default();
            return Err(WorkError::Unreachable(why));
        }
        self.record(&report);
        Ok(Arc::new(Analysis {
            report,
            snapshot: outcome.snapshot,
            errors: outcome.errors.iter().map(ToString::to_string).collect(),
            dictionary: OnceLock::new(),
        }))
    }

    /// Waits for a run's outcome, recording how long each kind took to list.
    async fn timed(
        &self,
        mut run: kubewhy_engine::Run,
    ) -> Result<Outcome, kubewhy_engine::RunError> {
        let started = Instant::now();
        let (mut errors, mut snapshot) = (Vec::new(), None);
        while let Some(event) = run.next().await {
            match event.kind {
                EventKind::Progress(p) if p.done => {
                    let kind = p.what.as_str();
                    self.metrics.observe(
                        "kubewhy_apiserver_list_seconds",
                        &[("kind", kind)],
                        started.elapsed(),
                    );
                }
                EventKind::InputError(e) => errors.push(e),
                EventKind::Snapshot(s) => snapshot = Some(s),
                EventKind::Report(report) => {
                    return Ok(Outcome {
                        report: *report,
                        errors,
                        snapshot,
                    });
                }
                EventKind::Failed(e) => return Err(e),
                _ => {}
            }
        }
        Err(kubewhy_engine::RunError::Cancelled)
    }

    fn narrow(&self, options: &mut Options, namespace: &str) -> Result<(), WorkError> {
        match &self.base.scope.namespace {
            Some(only) if only != namespace => Err(WorkError::Refused(format!(
                "this kubewhy only looks at namespace {only}"
            ))),
            _ => {
                options.scope.namespace = Some(namespace.to_owned());
                Ok(())
            }
        }
    }

    fn record(&self, report: &Report) {
        let mut by_check: HashMap<(&str, &str), f64> = HashMap::new();
        for issue in &report.issues {
            *by_check
                .entry((issue.severity.as_str(), issue.check.as_str()))
                .or_default() += 1.0;
        }
        self.metrics.replace(
            "kubewhy_issues",
            by_check
                .into_iter()
                .map(|((severity, check), n)| {
                    (
                        vec![
                            ("severity", severity.to_owned()),
                            ("check", check.to_owned()),
                        ],
                        n,
                    )
                })
                .collect(),
        );
        for explained in report.issues.iter().filter_map(|i| i.explanation.as_ref()) {
            let labels = [("backend", explained.backend.as_str())];
            self.metrics.inc("kubewhy_llm_explanations_total", &labels);
            if explained.cached {
                self.metrics.inc("kubewhy_llm_cache_hits_total", &labels);
            }
            self.metrics.add(
                "kubewhy_llm_tokens_total",
                &[("direction", "in")],
                f64::from(explained.tokens_in),
            );
            self.metrics.add(
                "kubewhy_llm_tokens_total",
                &[("direction", "out")],
                f64::from(explained.tokens_out),
            );
            if let Some(ms) = explained.latency_ms {
                self.metrics.observe(
                    "kubewhy_llm_latency_seconds",
                    &labels,
                    Duration::from_millis(ms),
                );
            }
        }
    }
}

impl Request {
    fn label(&self) -> &'static str {
        match self {
            Self::Analyze { .. } => "analyze",
            Self::Explain { .. } => "explain",
        }
    }
}
