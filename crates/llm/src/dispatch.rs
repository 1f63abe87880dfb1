//! Calling a backend the way a run must: at most N calls at once (default 4; llama.cpp at most
//! its slots), retries on rate limits, server errors, timeouts and cut streams with exponential
//! backoff and jitter, honouring `Retry-After`; a 429 pauses the backend's whole queue, not just
//! the one call. Only a complete, non-empty answer is returned.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use futures::StreamExt;
use kubewhy_scrub::Policy;
use tokio::{
    sync::Semaphore,
    time::{Instant, sleep, sleep_until, timeout},
};

use crate::{Answer, Backend, ChatRequest, LlmError, StreamEvent};

/// Calls at once when nothing says otherwise.
pub const DEFAULT_CONCURRENCY: usize = 4;

/// How hard to try.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Calls in all, the first included.
    pub max_attempts: u32,
    /// The first backoff; each retry doubles it, with jitter.
    pub base_delay: Duration,
    /// The longest backoff.
    pub max_delay: Duration,
    /// A `Retry-After` longer than this is not waited for: the call fails at once.
    pub max_retry_after: Duration,
    /// How long the server may take to accept a call (status and headers).
    pub request_timeout: Duration,
    /// How long a stream may go without a chunk.
    pub idle_timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(20),
            max_retry_after: Duration::from_mins(2),
            request_timeout: Duration::from_mins(2),
            idle_timeout: Duration::from_mins(1),
        }
    }
}

impl RetryPolicy {
    /// The wait before retry number `retry` (from 1): the server's `Retry-After`, else
    /// `base * 2^(retry-1)` capped at `max_delay`, with "equal jitter" (between half and all of
    /// it) so that calls that failed together do not retry together.
    #[must_use]
    pub fn delay(&self, error: &LlmError, retry: u32) -> Duration {
        if let Some(wait) = error.retry_after() {
            return wait;
        }
        let exponent = retry.saturating_sub(1).min(20);
        let backoff = self
            .base_delay
            .saturating_mul(1 << exponent)
            .min(self.max_delay);
        let half = backoff / 2;
        half + half.mul_f64(fastrand::f64())
    }
}

/// What happens while an answer is produced.
#[derive(Debug)]
pub enum Progress<'a> {
    /// More text. After a `Retrying`, the text starts over.
    Delta(&'a str),
    /// The call failed and is retried after `delay`; text received so far is void.
    Retrying {
        /// The attempt that failed (from 1).
        attempt: u32,
        /// The wait before the next one.
        delay: Duration,
        /// Why.
        error: &'a LlmError,
    },
}

/// Sends requests to one backend under a concurrency limit, with retries.
#[derive(Debug, Clone)]
pub struct Dispatcher {
    backend: Arc<dyn Backend>,
    policy: RetryPolicy,
    permits: Arc<Semaphore>,
    concurrency: usize,
    paused_until: Arc<Mutex<Option<Instant>>>,
}

impl Dispatcher {
    /// A dispatcher allowing `concurrency` calls at once (at least one).
    #[must_use]
    pub fn new(backend: Arc<dyn Backend>, policy: RetryPolicy, concurrency: usize) -> Self {
        let concurrency = concurrency.max(1);
        Self {
            backend,
            policy,
            permits: Arc::new(Semaphore::new(concurrency)),
            concurrency,
            paused_until: Arc::new(Mutex::new(None)),
        }
    }

    /// A dispatcher whose concurrency is `requested` (default 4), but at most the server's
    /// slots when it has them (llama.cpp): a request beyond them would wait in the server's
    /// queue with its timeout running.
    pub async fn connect(
        backend: Arc<dyn Backend>,
        policy: RetryPolicy,
        requested: Option<usize>,
    ) -> Self {
        let wanted = requested.unwrap_or(DEFAULT_CONCURRENCY);
        let slots = match backend.server_info().await {
            Ok(info) => info.slots,
            Err(error) => {
                tracing::debug!("cannot read {}'s slots: {error}", backend.id().endpoint);
                None
            }
        };
        let concurrency = slots.map_or(wanted, |s| wanted.min(s as usize));
        Self::new(backend, policy, concurrency)
    }

    /// The backend.
    #[must_use]
    pub fn backend(&self) -> &Arc<dyn Backend> {
        &self.backend
    }

    /// Calls allowed at once.
    #[must_use]
    pub fn concurrency(&self) -> usize {
        self.concurrency
    }

    /// Gets a complete answer, retrying what may succeed on a second try. `progress` sees the
    /// text as it arrives and each retry.
    pub async fn complete(
        &self,
        request: &ChatRequest,
        mut progress: impl FnMut(Progress<'_>) + Send,
    ) -> Result<Answer, LlmError> {
        let id = self.backend.id();
        if request.weakest_policy() == Policy::RedactSecrets && !id.may_receive_names() {
            return Err(LlmError::Refused {
                url: id.endpoint.clone(),
                policy: Policy::RedactSecrets,
            });
        }
        let started = Instant::now();
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result = {
                self.wait_unpaused().await;
                // The semaphore is never closed, so acquiring cannot fail.
                let _permit = self.permits.acquire().await.ok();
                // A 429 may have paused the queue while this call waited for its turn.
                self.wait_unpaused().await;
                self.attempt(request, &mut progress).await
            };
            match result {
                Ok(mut answer) => {
                    answer.attempts = attempt;
                    answer.latency = started.elapsed();
                    return Ok(answer);
                }
                Err(error) if self.should_retry(&error, attempt) => {
                    let delay = self.policy.delay(&error, attempt);
                    if error.is_rate_limit() {
                        self.pause(delay);
                    }
                    tracing::info!("{error}; retrying in {:.1}s", delay.as_secs_f32());
                    progress(Progress::Retrying {
                        attempt,
                        delay,
                        error: &error,
                    });
                    sleep(delay).await;
                }
                Err(error) => return Err(error),
            }
        }
    }

    fn should_retry(&self, error: &LlmError, attempt: u32) -> bool {
        error.is_retryable()
            && attempt < self.policy.max_attempts
            && error
                .retry_after()
                .is_none_or(|wait| wait <= self.policy.max_retry_after)
    }

    /// Pauses every call to this backend for `delay` (never shortening a longer pause).
    fn pause(&self, delay: Duration) {
        let until = Instant::now() + delay;
        if let Ok(mut paused) = self.paused_until.lock() {
            *paused = Some(paused.map_or(until, |current| current.max(until)));
        }
    }

    async fn wait_unpaused(&self) {
        loop {
            let until = self.paused_until.lock().ok().and_then(|p| *p);
            match until {
                Some(until) if until > Instant::now() => sleep_until(until).await,
                _ => return,
            }
        }
    }

    async fn attempt(
        &self,
        request: &ChatRequest,
        progress: &mut (impl FnMut(Progress<'_>) + Send),
    ) -> Result<Answer, LlmError> {
        let url = || self.backend.id().endpoint.clone();
        let policy = &self.policy;
        let mut stream = timeout(policy.request_timeout, self.backend.chat(request))
            .await
            .map_err(|_| LlmError::Timeout {
                url: url(),
                after: policy.request_timeout,
            })??;
        let sent = Instant::now();
        let mut text = String::new();
        let mut first_token = None;
        loop {
            let next = timeout(policy.idle_timeout, stream.next())
                .await
                .map_err(|_| LlmError::Timeout {
                    url: url(),
                    after: policy.idle_timeout,
                })?;
            match next {
                Some(Ok(StreamEvent::Delta(delta))) => {
                    first_token.get_or_insert_with(|| sent.elapsed());
                    text.push_str(&delta);
                    progress(Progress::Delta(&delta));
                }
                Some(Ok(StreamEvent::Finish(finish))) => {
                    if text.trim().is_empty() {
                        return Err(LlmError::Empty { url: url() });
                    }
                    return Ok(Answer {
                        text,
                        finish: finish.reason,
                        usage: finish.usage,
                        attempts: 0,
                        latency: Duration::ZERO,
                        time_to_first_token: first_token,
                    });
                }
                Some(Err(error)) => return Err(error),
                None => {
                    return Err(LlmError::Incomplete {
                        url: url(),
                        received: text.chars().count(),
                        detail: "the stream ended without a finish".to_owned(),
                    });
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limited(retry_after: Option<Duration>) -> LlmError {
        LlmError::RateLimited {
            url: "u".into(),
            retry_after,
            message: String::new(),
        }
    }

    #[test]
    fn backoff_doubles_with_jitter_and_honours_retry_after() {
        let policy = RetryPolicy {
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(1),
            ..RetryPolicy::default()
        };
        let error = limited(None);
        for _ in 0..50 {
            let first = policy.delay(&error, 1);
            assert!(
                first >= Duration::from_millis(50) && first <= Duration::from_millis(100),
                "{first:?}"
            );
            let third = policy.delay(&error, 3);
            assert!(
                third >= Duration::from_millis(200) && third <= Duration::from_millis(400),
                "{third:?}"
            );
            let capped = policy.delay(&error, 12);
            assert!(
                capped >= Duration::from_millis(500) && capped <= Duration::from_secs(1),
                "{capped:?}"
            );
        }
        assert_eq!(
            policy.delay(&limited(Some(Duration::from_secs(7))), 1),
            Duration::from_secs(7)
        );
    }
}
