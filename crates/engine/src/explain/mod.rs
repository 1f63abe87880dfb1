//! Explaining issues with an LLM, one call per root cause: scrub the issue, render its prompt
//! with the evidence fenced as data, fit it to the model's context, look it up in the cache,
//! call the backend through the [`Dispatcher`] (worst severity first, a few at once), then
//! read the answer (names restored as it streams, never secrets), flag pseudonyms the model
//! invented and check that the objects its commands name exist.
//! Symptoms of an explained cause reuse its explanation. Whatever fails, the issue gets the
//! offline explanation, marked as a fallback with the reason: the run never aborts here.

mod answer;
mod audit;
mod fallback;
mod grounding;
mod input;
pub(crate) mod stream;

use std::{
    collections::HashMap,
    path::PathBuf,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
};

use futures::StreamExt;
use kubewhy_llm::{
    Backend, ChatRequest, Dispatcher, LlmError, Message, Price, Progress, RetryPolicy, Role,
    budget::{self, Budget, TokenCounter},
    cache::{Cache, CacheKey, Lookup, Store},
    prompt::{IssueInput, Language, PromptError, PromptKind, Prompts},
};
use kubewhy_model::{Cost, Explanation, Fingerprint, Issue, Warning, WarningKind};
use kubewhy_scrub::{
    Dictionary, Entry, Policy, PseudonymTable, ScrubConfig, ScrubError, Scrubber, fence_evidence,
};
use kubewhy_source::Snapshot;

use crate::EventKind;

/// How to explain a run's issues (`--explain` and the LLM options).
#[derive(Debug, Clone)]
pub struct ExplainOptions {
    /// The backend; `None` is the offline explainer, which sends nothing.
    pub backend: Option<Arc<dyn Backend>>,
    /// The prompt templates.
    pub prompts: Arc<Prompts>,
    /// The answers' language.
    pub language: Language,
    /// The answer cache; `None` skips reading and writing (`--no-cache`).
    pub cache: Option<Arc<Cache>>,
    /// `Pseudonymize`, or `RedactSecrets` for `--no-scrub` to a loopback or trusted backend.
    pub policy: Policy,
    /// The user's `[scrub]` patterns and allow-list.
    pub scrub: ScrubConfig,
    /// Calls at once (default 4; llama.cpp at most its slots).
    pub max_concurrency: Option<usize>,
    /// The most tokens one answer may take.
    pub max_tokens: Option<u32>,
    /// The most tokens, in and out, the whole run may take; issues past it get the offline
    /// explanation with the reason `budget`.
    pub token_budget: Option<u64>,
    /// Stream answers (deltas become events) or wait for each whole.
    pub stream: bool,
    /// Prepare every request and report it as an event, but send nothing.
    pub dry_run: bool,
    /// Where to append one line per request sent.
    pub audit_log: Option<PathBuf>,
    /// The model's price, for the cost of each call (logged per run).
    pub price: Option<Price>,
    /// The profile's context window, when the server does not say.
    pub context_window: Option<u32>,
    /// Retries and timeouts.
    pub retry: RetryPolicy,
}

impl ExplainOptions {
    /// Explanations from `backend` (`None`: offline) with every other setting at its default.
    #[must_use]
    pub fn new(backend: Option<Arc<dyn Backend>>, prompts: Arc<Prompts>) -> Self {
        Self {
            backend,
            prompts,
            language: Language::default(),
            cache: None,
            policy: Policy::Pseudonymize,
            scrub: ScrubConfig::default(),
            max_concurrency: None,
            max_tokens: None,
            token_budget: None,
            stream: true,
            dry_run: false,
            audit_log: None,
            price: None,
            context_window: None,
            retry: RetryPolicy::default(),
        }
    }
}

/// What `--dry-run` shows for one issue: exactly what would be sent, and to where.
#[derive(Debug, Clone)]
pub struct DryRun {
    /// The issue.
    pub fingerprint: Fingerprint,
    /// The endpoint, without credentials.
    pub endpoint: String,
    /// The model.
    pub model: String,
    /// The messages' roles and contents, as sent.
    pub messages: Vec<(Role, String)>,
    /// The pseudonyms and what they stand for: for the user's terminal only.
    pub table: Vec<Entry>,
    /// The estimated prompt tokens.
    pub estimated_tokens: u32,
}

/// Why one issue could not be explained by the backend.
#[derive(Debug, thiserror::Error)]
enum ExplainError {
    /// The anonymizer refused or failed: nothing was sent.
    #[error("nothing was sent: {0}")]
    Scrub(#[from] ScrubError),
    /// A template did not render.
    #[error(transparent)]
    Prompt(#[from] PromptError),
    /// The backend failed for good.
    #[error(transparent)]
    Llm(#[from] LlmError),
    /// The answer's names could not be restored.
    #[error("the answer cannot be read: {0}")]
    Answer(#[source] ScrubError),
}

impl ExplainError {
    /// A short reason for the explanation's `fallback_reason`: `429 after 4 attempts`,
    /// `timeout`, `empty answer`; the warning keeps the whole message.
    fn reason(&self, attempts: u32) -> String {
        let reason = match self {
            Self::Scrub(_) => "the anonymizer refused".to_owned(),
            Self::Prompt(_) => "invalid prompt template".to_owned(),
            Self::Answer(_) => "invalid answer".to_owned(),
            Self::Llm(error) => match error {
                LlmError::RateLimited { .. } => "429".to_owned(),
                LlmError::Status { status, .. } | LlmError::Unauthorized { status, .. } => {
                    status.to_string()
                }
                LlmError::NotFound { .. } => "404".to_owned(),
                LlmError::Malformed { .. } => "malformed answer".to_owned(),
                LlmError::Empty { .. } => "empty answer".to_owned(),
                LlmError::Incomplete { .. } => "answer cut off".to_owned(),
                LlmError::ContextOverflow { .. } => "context overflow".to_owned(),
                other => other.reason().replace('_', " "),
            },
        };
        if attempts > 1 {
            format!("{reason} after {attempts} attempts")
        } else {
            reason
        }
    }
}

/// A backend call that failed, with how many attempts it took.
struct Failed {
    error: ExplainError,
    attempts: u32,
}

impl<E: Into<ExplainError>> From<E> for Failed {
    fn from(error: E) -> Self {
        Self {
            error: error.into(),
            attempts: 1,
        }
    }
}

/// A request ready to send, with the table that reads its answer.
struct Prepared {
    request: ChatRequest,
    table: PseudonymTable,
    estimate: u32,
}

/// What every issue's explanation shares.
struct Shared<'a> {
    options: &'a ExplainOptions,
    dictionary: Arc<Dictionary>,
    dispatcher: Dispatcher,
    counter: TokenCounter,
    window: u32,
    templates: String,
    used: AtomicU64,
    warnings: Mutex<Vec<Warning>>,
    emit: &'a (dyn Fn(EventKind) + Sync),
}

/// Fills `explanation` on every issue; emits deltas, explanations and dry runs as events.
/// Returns a warning per fallback, with its reason.
pub(crate) async fn explain(
    snapshot: Arc<Snapshot>,
    issues: &mut [Issue],
    options: &ExplainOptions,
    emit: &(dyn Fn(EventKind) + Sync),
) -> Vec<Warning> {
    let Some(backend) = options.backend.clone() else {
        for issue in issues.iter_mut() {
            finish(issue, fallback::offline(issue, None), &snapshot, emit);
        }
        return Vec::new();
    };
    let for_dictionary = Arc::clone(&snapshot);
    let built =
        tokio::task::spawn_blocking(move || Dictionary::from_snapshot(&for_dictionary)).await;
    let dictionary = match built {
        Ok(Ok(dictionary)) => Arc::new(dictionary),
        Ok(Err(error)) => {
            let reason = format!("nothing was sent: {error}");
            return offline_all(issues, &reason, &snapshot, emit);
        }
        Err(_) => return offline_all(issues, "the anonymizer stopped", &snapshot, emit),
    };
    let server = backend.server_info().await.unwrap_or_default();
    let window = budget::context_window(backend.id(), &server, options.context_window).tokens;
    let counter = TokenCounter::for_backend(backend.id());
    let dispatcher = Dispatcher::connect(backend, options.retry, options.max_concurrency).await;
    let shared = Shared {
        options,
        dictionary,
        counter,
        window,
        templates: options
            .prompts
            .version(&[PromptKind::System, PromptKind::Issue]),
        used: AtomicU64::new(0),
        warnings: Mutex::new(Vec::new()),
        emit,
        dispatcher,
    };
    let roots = root_causes(issues);
    let concurrency = shared.dispatcher.concurrency();
    let answers: Vec<(usize, Option<Explanation>)> = {
        let issues: &[Issue] = issues;
        futures::stream::iter(roots)
            .map(|i| {
                let shared = &shared;
                async move { (i, shared.one(&issues[i]).await) }
            })
            .buffer_unordered(concurrency)
            .collect()
            .await
    };
    for (i, explanation) in answers {
        if let Some(explanation) = explanation {
            finish(&mut issues[i], explanation, &snapshot, emit);
        }
    }
    if !options.dry_run {
        reuse_for_symptoms(issues, &snapshot, emit);
    }
    shared.warnings.into_inner().unwrap_or_default()
}

/// The indexes of issues caused by no other issue of the run, worst severity first.
fn root_causes(issues: &[Issue]) -> Vec<usize> {
    let present: std::collections::HashSet<Fingerprint> =
        issues.iter().map(|i| i.fingerprint).collect();
    let mut roots: Vec<usize> = (0..issues.len())
        .filter(|&i| !issues[i].caused_by.iter().any(|c| present.contains(c)))
        .collect();
    roots.sort_by(|&a, &b| issues[a].report_order(&issues[b]));
    roots
}

/// Gives each symptom its cause's explanation, following chains; a symptom whose causes were
/// never explained (a cycle) gets the offline one.
fn reuse_for_symptoms(
    issues: &mut [Issue],
    snapshot: &Snapshot,
    emit: &(dyn Fn(EventKind) + Sync),
) {
    loop {
        let known: HashMap<Fingerprint, Explanation> = issues
            .iter()
            .filter_map(|i| i.explanation.clone().map(|e| (i.fingerprint, e)))
            .collect();
        let mut progressed = false;
        for issue in issues.iter_mut().filter(|i| i.explanation.is_none()) {
            if let Some(cause) = issue.caused_by.iter().find_map(|c| known.get(c)) {
                // The call was counted once, on the cause.
                let reused = Explanation {
                    tokens_in: 0,
                    tokens_out: 0,
                    latency_ms: None,
                    cost: None,
                    ..cause.clone()
                };
                finish(issue, reused, snapshot, emit);
                progressed = true;
            }
        }
        if !progressed {
            break;
        }
    }
    for issue in issues.iter_mut().filter(|i| i.explanation.is_none()) {
        finish(issue, fallback::offline(issue, None), snapshot, emit);
    }
}

fn offline_all(
    issues: &mut [Issue],
    reason: &str,
    snapshot: &Snapshot,
    emit: &(dyn Fn(EventKind) + Sync),
) -> Vec<Warning> {
    for issue in issues.iter_mut() {
        finish(
            issue,
            fallback::offline(issue, Some(reason)),
            snapshot,
            emit,
        );
    }
    vec![Warning::new(
        WarningKind::Explain,
        format!("every explanation is the offline one: {reason}"),
    )]
}

/// Checks the explanation's commands against the issue and the snapshot, then hands it out.
fn finish(
    issue: &mut Issue,
    mut explanation: Explanation,
    snapshot: &Snapshot,
    emit: &(dyn Fn(EventKind) + Sync),
) {
    if let Some(structured) = &explanation.structured {
        explanation.ungrounded = grounding::ungrounded(&structured.commands, issue, snapshot);
    }
    emit(EventKind::Explained {
        fingerprint: issue.fingerprint,
        explanation: Box::new(explanation.clone()),
    });
    issue.explanation = Some(explanation);
}

impl Shared<'_> {
    /// The offline explanation standing in for the backend, with the reason kept for the
    /// report's warnings.
    /// `reason` is the short one the explanation carries; the warning adds `detail`.
    fn fall_back(&self, issue: &Issue, reason: &str, detail: Option<&ExplainError>) -> Explanation {
        let why = match detail {
            Some(error) => format!("{reason}: {error}"),
            None => reason.to_owned(),
        };
        tracing::warn!(
            "{}: {why}; using the offline explanation",
            issue.fingerprint
        );
        let warning = Warning::new(
            WarningKind::Explain,
            format!(
                "{} {}/{}: the offline explanation stands in: {why}",
                issue.check, issue.root.kind, issue.root.name
            ),
        );
        if let Ok(mut warnings) = self.warnings.lock() {
            warnings.push(warning);
        }
        fallback::offline(issue, Some(reason))
    }

    /// One root cause: its explanation, or `None` in a dry run.
    async fn one(&self, issue: &Issue) -> Option<Explanation> {
        let prepared = match self.prepare(issue) {
            Ok(prepared) => prepared,
            Err(error) => return Some(self.fall_back(issue, &error.reason(1), Some(&error))),
        };
        let backend = self.dispatcher.backend();
        if self.options.dry_run {
            (self.emit)(EventKind::DryRun(Box::new(DryRun {
                fingerprint: issue.fingerprint,
                endpoint: backend.id().endpoint.clone(),
                model: backend.id().model.clone(),
                messages: prepared
                    .request
                    .messages()
                    .iter()
                    .map(|m| (m.role(), m.content().as_str().to_owned()))
                    .collect(),
                table: prepared.table.entries().to_vec(),
                estimated_tokens: prepared.estimate,
            })));
            return None;
        }
        if let Some(limit) = self.options.token_budget {
            let wanted =
                u64::from(prepared.estimate) + u64::from(self.options.max_tokens.unwrap_or(0));
            if self.used.load(Ordering::Relaxed) + wanted > limit {
                return Some(self.fall_back(issue, "budget", None));
            }
        }
        match self.answer(issue, &prepared).await {
            Ok(explanation) => Some(explanation),
            Err(Failed { error, attempts }) => {
                Some(self.fall_back(issue, &error.reason(attempts), Some(&error)))
            }
        }
    }

    /// Scrubs the issue and renders its request, fitted to the context window.
    fn prepare(&self, issue: &Issue) -> Result<Prepared, ExplainError> {
        let options = self.options;
        let mut scrubber =
            Scrubber::new(Arc::clone(&self.dictionary), &options.scrub, options.policy)?;
        let names = input::Names::of(issue);
        let issue_text = input::issue_text(issue, &names, &mut scrubber)?;
        let sections = input::sections(&issue.evidence, &names, &mut scrubber)?;
        let system = options.prompts.system(&mut scrubber, &options.language)?;
        let empty = fence_evidence(&scrubber.scrub_text("")?);
        let bare = options.prompts.issue(
            &mut scrubber,
            &IssueInput {
                issue: &issue_text,
                evidence: &empty,
                omitted: None,
                language: &options.language,
            },
        )?;
        let fixed = self.counter.count(system.as_str()) + self.counter.count(bare.as_str()) + 16;
        let budget = Budget {
            window: self.window,
            answer_reserve: budget::answer_reserve(self.window, options.max_tokens),
            fixed,
        };
        let fitted = budget.fit(&self.counter, sections);
        let evidence = fence_evidence(&fitted.evidence(&scrubber)?);
        let marker = fitted.marker();
        let user = options.prompts.issue(
            &mut scrubber,
            &IssueInput {
                issue: &issue_text,
                evidence: &evidence,
                omitted: marker.as_deref(),
                language: &options.language,
            },
        )?;
        let mut request =
            ChatRequest::new(vec![Message::system(system), Message::user(user)]).json();
        if let Some(max) = options.max_tokens {
            request = request.with_max_tokens(max);
        }
        if !options.stream {
            request = request.without_stream();
        }
        let estimate = self.counter.count_messages(request.messages());
        Ok(Prepared {
            request,
            table: scrubber.into_table(),
            estimate,
        })
    }

    /// The backend's answer (or the cache's), read and unscrubbed.
    async fn answer(&self, issue: &Issue, prepared: &Prepared) -> Result<Explanation, Failed> {
        let backend = Arc::clone(self.dispatcher.backend());
        let id = backend.id();
        let key = CacheKey::new(
            &prepared.request,
            id,
            &self.templates,
            &self.options.language,
        );
        if let Some(cached) = self.cached(&key, prepared) {
            return cached;
        }
        let fingerprint = issue.fingerprint;
        let emit = |delta: String| {
            if !delta.is_empty() {
                (self.emit)(EventKind::Explanation { fingerprint, delta });
            }
        };
        let mut attempts = 1;
        let mut streamed = stream::StreamUnscrub::new(&prepared.table);
        let result = self
            .dispatcher
            .complete(&prepared.request, |progress| match progress {
                Progress::Delta(delta) => emit(streamed.push(delta)),
                Progress::Retrying { attempt, .. } => {
                    attempts = attempt + 1;
                    streamed.reset();
                }
            })
            .await;
        if result.is_ok() {
            emit(streamed.finish());
        }
        if let Some(path) = &self.options.audit_log {
            audit::record(
                path,
                id,
                &prepared.request,
                result.as_ref().ok().and_then(|a| a.usage),
            );
        }
        let answer = result.map_err(|error| Failed {
            error: error.into(),
            attempts,
        })?;
        if let Some(cache) = &self.options.cache
            && let Store::Unavailable(Some(error)) = cache.put(&key, &answer, id)
        {
            tracing::warn!("the answer cache is unavailable, going on without it: {error}");
        }
        self.read(issue, prepared, &answer)
    }

    /// The cached answer to `key`, read; `None` on a miss.
    fn cached(&self, key: &CacheKey, prepared: &Prepared) -> Option<Result<Explanation, Failed>> {
        match self.options.cache.as_ref()?.get(key) {
            Lookup::Hit(hit) => {
                let usage = hit.usage.unwrap_or_default();
                let read = answer::read(&hit.text, &prepared.table, self.dispatcher.backend().id());
                Some(
                    read.map(|explanation| Explanation {
                        cached: true,
                        tokens_in: usage.prompt_tokens,
                        tokens_out: usage.completion_tokens,
                        ..explanation
                    })
                    .map_err(|e| ExplainError::Answer(e).into()),
                )
            }
            Lookup::Unavailable(Some(error)) => {
                tracing::warn!("the answer cache is unavailable, going on without it: {error}");
                None
            }
            Lookup::Miss | Lookup::Unavailable(None) => None,
        }
    }

    /// A fresh answer, read, with its usage counted against the budget, its latency and cost.
    fn read(
        &self,
        issue: &Issue,
        prepared: &Prepared,
        answer: &kubewhy_llm::Answer,
    ) -> Result<Explanation, Failed> {
        let id = self.dispatcher.backend().id();
        let usage = answer.usage.unwrap_or(kubewhy_llm::Usage {
            prompt_tokens: prepared.estimate,
            completion_tokens: self.counter.count(&answer.text),
        });
        self.used.fetch_add(
            u64::from(usage.prompt_tokens) + u64::from(usage.completion_tokens),
            Ordering::Relaxed,
        );
        let mut explanation =
            answer::read(&answer.text, &prepared.table, id).map_err(ExplainError::Answer)?;
        explanation.tokens_in = usage.prompt_tokens;
        explanation.tokens_out = usage.completion_tokens;
        explanation.latency_ms =
            Some(u64::try_from(answer.latency.as_millis()).unwrap_or(u64::MAX));
        if let Some(price) = self.options.price {
            let cost = price.cost(usage);
            tracing::info!("{}: cost {cost:.6}", issue.fingerprint);
            explanation.cost = Some(Cost::new(cost));
        }
        tracing::debug!(
            "{}: answered in {} ms",
            issue.fingerprint,
            answer.latency.as_millis()
        );
        Ok(explanation)
    }
}
