//! The Slack simulator: one loopback server (plain HTTP) that speaks Slack's wire formats. The
//! Web API methods `chat.postMessage`, `chat.update` and `apps.connections.open` (bearer
//! tokens), slash-command `response_url`s (five posts each), an incoming webhook, Block Kit
//! validation with Slack's limits and error codes, injected faults (rate limits, server errors,
//! expired URLs), and Socket Mode over a WebSocket: `hello`, `slash_commands` and `events_api`
//! envelopes, and their acks. It records every accepted message as a [`Post`] and every refused
//! one as a [`Rejection`], and stops when dropped.

mod blocks;
mod handler;
pub mod load;
mod sign;
mod socket;

use std::{
    collections::{HashMap, VecDeque},
    net::SocketAddr,
    sync::{
        Arc, Mutex, MutexGuard, PoisonError,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use serde_json::{Map, Value, json};
use tokio::sync::{Notify, watch};

pub use sign::{sign, signed_headers};

use crate::SimError;

/// The team id in every URL the simulator mints.
const TEAM: &str = "T0SIM";

/// How to run the Slack simulator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlackSimOptions {
    /// Where to listen; port 0 picks a free one.
    pub listen: SocketAddr,
    /// The bot token (`xoxb-`) the Web API methods require.
    pub bot_token: String,
    /// The app-level token (`xapp-`) `apps.connections.open` requires.
    pub app_token: String,
}

impl Default for SlackSimOptions {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            bot_token: "xoxb-sim-token".to_owned(),
            app_token: "xapp-sim-token".to_owned(),
        }
    }
}

/// Where a fault is injected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target {
    /// `chat.postMessage`.
    PostMessage,
    /// `chat.update`.
    Update,
    /// Any `response_url`.
    ResponseUrl,
    /// The incoming webhook.
    Webhook,
}

/// A fault a request gets instead of its normal answer. A faulted request is recorded as a
/// [`Rejection`], never as a [`Post`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlackFault {
    /// HTTP 429 with `Retry-After: N` and `{"ok":false,"error":"ratelimited"}`.
    RateLimited {
        /// The `Retry-After` value, in seconds.
        retry_after_secs: u64,
    },
    /// HTTP 500 (`{"ok":false,"error":"internal_error"}`; plain `internal_error` for the
    /// webhook).
    ServerError,
    /// An expired or revoked address: a `response_url` answers 404
    /// `{"ok":false,"error":"expired_url"}`, the webhook 404 `no_service` (a revoked webhook), and
    /// a Web API method HTTP 200 `{"ok":false,"error":"token_expired"}`.
    Expired,
}

/// How a message reached the simulator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    /// `chat.postMessage`.
    PostMessage,
    /// `chat.update`.
    Update,
    /// A `response_url`, by its path id: what follows `/commands/` (`T0SIM/<n>/<random>`).
    ResponseUrl(String),
    /// The incoming webhook.
    Webhook,
}

/// A message the simulator accepted.
#[derive(Debug, Clone, PartialEq)]
pub struct Post {
    /// How it arrived.
    pub via: Via,
    /// The channel (`chat.postMessage` and `chat.update` only).
    pub channel: Option<String>,
    /// The message's timestamp: issued for a new message, the updated one's for `chat.update`.
    pub ts: String,
    /// The thread it was posted in, if any (for an update, the original message's).
    pub thread_ts: Option<String>,
    /// The top-level `text`; empty when the message had blocks only.
    pub text: String,
    /// The `blocks` array, parsed even when sent as a JSON string; `Null` when none.
    pub blocks: Value,
    /// The whole body received, as JSON (a form-encoded body as an object of strings).
    pub body: Value,
    /// Milliseconds since the simulator started, when it arrived.
    pub at_ms: u64,
}

/// A message the simulator refused, with the error Slack would give.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejection {
    /// Where it was sent.
    pub via: Via,
    /// The HTTP status answered (200 for most Web API errors, as Slack).
    pub status: u16,
    /// Slack's error code: `invalid_blocks`, `ratelimited`, `used_url`, `no_service`...
    pub error: String,
    /// The body received, as JSON (`Null` when it was not JSON).
    pub body: Value,
}

/// A message `chat.postMessage` issued: what `chat.update` may change.
#[derive(Debug, Clone)]
struct Issued {
    channel: String,
    thread_ts: Option<String>,
}

#[derive(Debug, Default)]
struct Log {
    posts: Vec<Post>,
    rejections: Vec<Rejection>,
}

/// Shared between the server tasks and the handle.
pub(crate) struct State {
    options: SlackSimOptions,
    addr: SocketAddr,
    started: Instant,
    /// The webhook's path after `/services/`.
    webhook_id: String,
    log: Mutex<Log>,
    /// Woken on every post, rejection and Socket Mode connection.
    changed: Notify,
    faults: Mutex<HashMap<Target, VecDeque<SlackFault>>>,
    issued: Mutex<HashMap<String, Issued>>,
    last_ts_us: Mutex<i64>,
    /// Minted response URLs by path id, with the posts each accepted.
    response_urls: Mutex<HashMap<String, usize>>,
    next_url: AtomicU64,
    socket: socket::Hub,
    /// Changes (closes) when the simulator is dropped: ends the WebSocket tasks.
    stopped: watch::Receiver<()>,
}

/// Locks a mutex, whether or not another thread panicked holding it.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// `len` random ASCII letters and digits.
fn random_token(len: usize) -> String {
    std::iter::repeat_with(fastrand::alphanumeric)
        .take(len)
        .collect()
}

impl State {
    #[allow(clippy::cast_possible_truncation)] // Milliseconds since start fit in u64.
    fn elapsed_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    /// The next fault queued for `target`, if any.
    fn take_fault(&self, target: Target) -> Option<SlackFault> {
        lock(&self.faults)
            .get_mut(&target)
            .and_then(VecDeque::pop_front)
    }

    /// A new message timestamp, `<unix seconds>.<6 digits>`: the current time in microseconds,
    /// or one more than the last one issued, so each is unique and increasing.
    fn mint_ts(&self) -> String {
        let now = jiff::Timestamp::now().as_microsecond();
        let mut last = lock(&self.last_ts_us);
        *last = now.max(*last + 1);
        format!("{}.{:06}", *last / 1_000_000, *last % 1_000_000)
    }

    fn record_post(&self, post: Post) {
        lock(&self.log).posts.push(post);
        self.changed.notify_waiters();
    }

    fn record_rejection(&self, rejection: Rejection) {
        tracing::debug!(
            "slack sim refused {:?}: {} {}",
            rejection.via,
            rejection.status,
            rejection.error
        );
        lock(&self.log).rejections.push(rejection);
        self.changed.notify_waiters();
    }

    /// Waits until `done` holds or `timeout` passes; returns whether it held.
    async fn wait_until(&self, timeout: Duration, done: impl Fn() -> bool) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if done() {
                return true;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return done();
            }
        }
    }
}

/// A running Slack simulator. Dropping it stops the server and closes Socket Mode connections.
pub struct SlackSim {
    state: Arc<State>,
    _stop: watch::Sender<()>,
}

impl SlackSim {
    /// Starts serving on a background task of the current Tokio runtime.
    pub async fn start(options: SlackSimOptions) -> Result<Self, SimError> {
        let (listener, addr) = crate::tls::bind(options.listen).await?;
        let (stop, stopped) = watch::channel(());
        let state = Arc::new(State {
            options,
            addr,
            started: Instant::now(),
            webhook_id: format!("{TEAM}/B0SIM/{}", random_token(24)),
            log: Mutex::new(Log::default()),
            changed: Notify::new(),
            faults: Mutex::new(HashMap::new()),
            issued: Mutex::new(HashMap::new()),
            last_ts_us: Mutex::new(0),
            response_urls: Mutex::new(HashMap::new()),
            next_url: AtomicU64::new(1),
            socket: socket::Hub::default(),
            stopped: stopped.clone(),
        });
        let app = handler::router(Arc::clone(&state));
        // Served with axum's own loop rather than `tls::spawn`: Socket Mode needs HTTP upgrades.
        let mut until = stopped;
        tokio::spawn(async move {
            tokio::select! {
                _ = axum::serve(listener, app) => {}
                _ = until.changed() => {}
            }
        });
        Ok(Self { state, _stop: stop })
    }

    /// The address it listens on.
    #[must_use]
    pub fn addr(&self) -> SocketAddr {
        self.state.addr
    }

    /// The base of the Web API methods, such as `http://127.0.0.1:41234/api/`: append
    /// `chat.postMessage`, `chat.update` or `apps.connections.open`.
    #[must_use]
    pub fn api_url(&self) -> String {
        format!("http://{}/api/", self.state.addr)
    }

    /// Mints a new `response_url`, as Slack sends with each slash command:
    /// `http://127.0.0.1:PORT/commands/T0SIM/<n>/<random>`. It accepts five posts.
    #[must_use]
    pub fn response_url(&self) -> String {
        let n = self.state.next_url.fetch_add(1, Ordering::Relaxed);
        let id = format!("{TEAM}/{}/{}", 397_700_885_554 + n, random_token(24));
        lock(&self.state.response_urls).insert(id.clone(), 0);
        format!("http://{}/commands/{id}", self.state.addr)
    }

    /// The simulator's incoming webhook, `http://127.0.0.1:PORT/services/T0SIM/B0SIM/<random>`:
    /// the same for the simulator's lifetime.
    #[must_use]
    pub fn webhook_url(&self) -> String {
        format!(
            "http://{}/services/{}",
            self.state.addr, self.state.webhook_id
        )
    }

    /// Every accepted message so far, in arrival order.
    #[must_use]
    pub fn posts(&self) -> Vec<Post> {
        lock(&self.state.log).posts.clone()
    }

    /// Every refused message so far, in arrival order.
    #[must_use]
    pub fn rejections(&self) -> Vec<Rejection> {
        lock(&self.state.log).rejections.clone()
    }

    /// The accepted messages as soon as there are at least `n`, or what there is after
    /// `timeout`.
    pub async fn wait_for_posts(&self, n: usize, timeout: Duration) -> Vec<Post> {
        self.state
            .wait_until(timeout, || lock(&self.state.log).posts.len() >= n)
            .await;
        self.posts()
    }

    /// The next `times` requests to `target` get `fault` (after any already queued).
    pub fn inject(&self, target: Target, fault: SlackFault, times: usize) {
        lock(&self.state.faults)
            .entry(target)
            .or_default()
            .extend(std::iter::repeat_n(fault, times));
    }

    /// Socket Mode: delivers a `slash_commands` envelope whose payload is `fields` (as a JSON
    /// object of strings: `command`, `text`, `user_id`, `channel_id`, `response_url`...) to the
    /// connected client and waits for its ack. Returns the ack's `payload`, `Value::Null` when it
    /// has none.
    pub async fn send_command(
        &self,
        fields: &[(&str, &str)],
        timeout: Duration,
    ) -> Result<Value, SimError> {
        let payload: Map<String, Value> = fields
            .iter()
            .map(|(k, v)| ((*k).to_owned(), Value::String((*v).to_owned())))
            .collect();
        let id = socket::envelope_id();
        let envelope = json!({
            "envelope_id": id,
            "type": "slash_commands",
            "payload": payload,
            "accepts_response_payload": true,
        });
        self.state.socket.deliver(id, &envelope, timeout).await
    }

    /// Socket Mode: delivers an `events_api` envelope carrying `event_callback` (the whole
    /// `{"type":"event_callback","event":{...},...}` object) and waits for the ack. Returns the
    /// ack's `payload`, `Value::Null` when it has none.
    pub async fn send_event(
        &self,
        event_callback: Value,
        timeout: Duration,
    ) -> Result<Value, SimError> {
        let id = socket::envelope_id();
        let envelope = json!({
            "envelope_id": id,
            "type": "events_api",
            "payload": event_callback,
            "accepts_response_payload": false,
            "retry_attempt": 0,
            "retry_reason": "",
        });
        self.state.socket.deliver(id, &envelope, timeout).await
    }

    /// Waits until a Socket Mode client is connected and has received its `hello`; returns
    /// whether one is, after at most `timeout`.
    pub async fn wait_for_socket(&self, timeout: Duration) -> bool {
        self.state
            .wait_until(timeout, || self.state.socket.connected())
            .await
    }

    /// Socket Mode: sends the connected client `{"type":"disconnect","reason":"refresh_requested"}`
    /// and closes its connection, as Slack does every few hours. Returns whether there was one.
    #[allow(clippy::must_use_candidate)] // Called for its effect; the answer is optional.
    pub fn disconnect_socket(&self) -> bool {
        self.state.socket.disconnect("refresh_requested")
    }
}
