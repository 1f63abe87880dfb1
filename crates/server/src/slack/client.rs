//! Posting to Slack: `chat.postMessage` and `chat.update` with the bot token, `response_url`
//! posts, and incoming webhooks. Only [`Scrubbed`] messages are accepted. At most one message
//! per second per channel; a 429 is honoured with its `Retry-After` (bounded), a 5xx retried
//! twice, and anything else is an error that names the method and what Slack said.

use std::{
    collections::HashMap,
    sync::Arc,
    time::{Duration, Instant},
};

use kubewhy_scrub::Scrubbed;
use serde_json::{Value, json};

use crate::{metrics::Metrics, secrets::Secret};

/// Slack's Web API.
pub const SLACK_API: &str = "https://slack.com/api/";
/// The longest `Retry-After` kubewhy waits for before giving up on a message.
const MAX_RETRY_AFTER: Duration = Duration::from_mins(2);
const ATTEMPTS: usize = 4;

/// Why a post failed.
#[derive(Debug, thiserror::Error)]
pub enum SlackError {
    /// The message could not be sent or Slack refused it.
    #[error("Slack {method}: {message}")]
    Refused {
        /// The method or destination (`chat.postMessage`, `response_url`, `webhook`).
        method: &'static str,
        /// What went wrong.
        message: String,
    },
    /// What is needed for this post is not configured.
    #[error("{0} is not set")]
    NotConfigured(&'static str),
}

/// Where a message goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// A channel, optionally in a thread.
    Channel {
        /// The channel id.
        channel: String,
        /// The thread's first message.
        thread_ts: Option<String>,
    },
    /// A slash command's `response_url`.
    Response {
        /// The URL.
        url: String,
        /// Only the asker sees it.
        ephemeral: bool,
    },
    /// The incoming webhook.
    Webhook,
}

/// A Slack client.
#[derive(Debug, Clone)]
pub struct SlackClient {
    http: reqwest::Client,
    api: String,
    bot_token: Option<Secret>,
    webhook: Option<Secret>,
    /// When each channel may next be posted to.
    next: Arc<tokio::sync::Mutex<HashMap<String, Instant>>>,
    metrics: Arc<Metrics>,
}

impl SlackClient {
    /// A client for the Web API at `api` (Slack's unless testing).
    #[must_use]
    pub fn new(
        http: reqwest::Client,
        api: String,
        bot_token: Option<Secret>,
        webhook: Option<Secret>,
        metrics: Arc<Metrics>,
    ) -> Self {
        let api = if api.ends_with('/') {
            api
        } else {
            format!("{api}/")
        };
        Self {
            http,
            api,
            bot_token,
            webhook,
            next: Arc::default(),
            metrics,
        }
    }

    /// Whether a bot token is configured (threads and updates need one).
    #[must_use]
    pub fn has_bot(&self) -> bool {
        self.bot_token.is_some()
    }

    /// Whether an incoming webhook is configured.
    #[must_use]
    pub fn has_webhook(&self) -> bool {
        self.webhook.is_some()
    }

    /// Posts `message`; returns the message's `ts` for channel posts.
    pub async fn post(
        &self,
        to: &Destination,
        message: &Scrubbed,
    ) -> Result<Option<String>, SlackError> {
        let mut body = message
            .as_json()
            .cloned()
            .unwrap_or_else(|| json!({ "text": message.as_str() }));
        let (method, url, key) = match to {
            Destination::Channel { channel, thread_ts } => {
                body["channel"] = json!(channel);
                if let Some(ts) = thread_ts {
                    body["thread_ts"] = json!(ts);
                }
                (
                    "chat.postMessage",
                    format!("{}chat.postMessage", self.api),
                    channel.clone(),
                )
            }
            Destination::Response { url, ephemeral } => {
                body["response_type"] = json!(if *ephemeral {
                    "ephemeral"
                } else {
                    "in_channel"
                });
                body["replace_original"] = json!(false);
                ("response_url", url.clone(), url.clone())
            }
            Destination::Webhook => {
                let url = self
                    .webhook
                    .as_ref()
                    .ok_or(SlackError::NotConfigured("KUBEWHY_SLACK_WEBHOOK_URL"))?;
                ("webhook", url.expose().to_owned(), "webhook".to_owned())
            }
        };
        let answer = self
            .send(
                method,
                &url,
                &key,
                &body,
                matches!(to, Destination::Channel { .. }),
            )
            .await?;
        Ok(answer.get("ts").and_then(Value::as_str).map(str::to_owned))
    }

    /// Posts every message in turn; returns the first one's `ts`. Stops at the first failure.
    pub async fn post_all(
        &self,
        to: &Destination,
        messages: &[Scrubbed],
    ) -> Result<Option<String>, SlackError> {
        let mut first = None;
        for message in messages {
            let ts = self.post(to, message).await?;
            first = first.or(ts);
        }
        Ok(first)
    }

    /// Replaces the message `ts` in `channel`.
    pub async fn update(
        &self,
        channel: &str,
        ts: &str,
        message: &Scrubbed,
    ) -> Result<(), SlackError> {
        let mut body = message
            .as_json()
            .cloned()
            .unwrap_or_else(|| json!({ "text": message.as_str() }));
        body["channel"] = json!(channel);
        body["ts"] = json!(ts);
        self.send(
            "chat.update",
            &format!("{}chat.update", self.api),
            channel,
            &body,
            true,
        )
        .await
        .map(|_| ())
    }

    async fn send(
        &self,
        method: &'static str,
        url: &str,
        key: &str,
        body: &Value,
        bot: bool,
    ) -> Result<Value, SlackError> {
        let refused = |message: String| SlackError::Refused { method, message };
        let mut last = String::new();
        for attempt in 0..ATTEMPTS {
            self.pace(key).await;
            let mut request = self.http.post(url).json(body);
            if bot {
                let token = self
                    .bot_token
                    .as_ref()
                    .ok_or(SlackError::NotConfigured("SLACK_BOT_TOKEN"))?;
                request = request.bearer_auth(token.expose());
            }
            let response = match request.send().await {
                Ok(r) => r,
                Err(e) => {
                    last = format!("cannot reach Slack: {}", without_url(&e));
                    self.backoff(attempt).await;
                    continue;
                }
            };
            let status = response.status();
            if status.as_u16() == 429 {
                let wait = retry_after(response.headers()).min(MAX_RETRY_AFTER);
                self.metrics
                    .inc("kubewhy_slack_rate_limited_total", &[("via", method)]);
                self.hold(key, wait).await;
                last = format!("rate limited (Retry-After {} s)", wait.as_secs());
                continue;
            }
            if status.is_server_error() {
                last = format!("HTTP {status}");
                self.backoff(attempt).await;
                continue;
            }
            let text = response.text().await.unwrap_or_default();
            let answer: Value = serde_json::from_str(&text).unwrap_or_else(|_| json!({ "ok": status.is_success() && text.trim() == "ok", "error": text.trim() }));
            if !status.is_success() || answer.get("ok") == Some(&Value::Bool(false)) {
                self.metrics
                    .inc("kubewhy_slack_failures_total", &[("via", method)]);
                let error = answer
                    .get("error")
                    .and_then(Value::as_str)
                    .unwrap_or("no error given");
                return Err(refused(format!("HTTP {}: {error}", status.as_u16())));
            }
            self.metrics
                .inc("kubewhy_slack_posts_total", &[("via", method)]);
            return Ok(answer);
        }
        self.metrics
            .inc("kubewhy_slack_failures_total", &[("via", method)]);
        Err(refused(format!(
            "gave up after {ATTEMPTS} attempts: {last}"
        )))
    }

    /// Waits for the channel's turn and books the next second.
    async fn pace(&self, key: &str) {
        let wait = {
            let mut next = self.next.lock().await;
            let now = Instant::now();
            let at = next.get(key).copied().filter(|at| *at > now).unwrap_or(now);
            next.insert(key.to_owned(), at + Duration::from_secs(1));
            at - now
        };
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }

    /// Nothing is posted to `key` for `wait`.
    async fn hold(&self, key: &str, wait: Duration) {
        let mut next = self.next.lock().await;
        next.insert(key.to_owned(), Instant::now() + wait);
    }

    async fn backoff(&self, attempt: usize) {
        tokio::time::sleep(Duration::from_millis(250 << attempt.min(4))).await;
    }
}

fn retry_after(headers: &reqwest::header::HeaderMap) -> Duration {
    headers
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map_or(Duration::from_secs(1), Duration::from_secs)
}

/// A reqwest error without its URL: a webhook URL is a credential.
fn without_url(error: &reqwest::Error) -> String {
    let mut error = error.to_string();
    if let Some(i) = error.find(" for url") {
        error.truncate(i);
    }
    error
}
