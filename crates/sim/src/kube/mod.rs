//! The Kubernetes API simulator: binds loopback, serves HTTP or HTTPS (a certificate generated
//! at start, a bearer token), records every request, and stops when dropped.

mod faults;
mod handler;
mod page;
mod resources;
mod table;

use std::{
    collections::HashMap,
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use base64::Engine as _;
use kubewhy_source::Snapshot;
use tokio::sync::watch;

pub use self::faults::{Fault, RETRY_AFTER_SECONDS};
use self::resources::Resources;
pub use self::resources::json_objects;

/// How to run the simulator.
#[derive(Debug, Clone)]
pub struct KubeSimOptions {
    /// Where to listen; port 0 picks a free one.
    pub listen: SocketAddr,
    /// Serve HTTPS with a generated certificate and require a bearer token.
    pub tls: bool,
    /// Faults by resource plural.
    pub faults: HashMap<String, Fault>,
}

impl Default for KubeSimOptions {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            tls: true,
            faults: HashMap::new(),
        }
    }
}

/// One request the simulator served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// The HTTP method.
    pub method: String,
    /// The path.
    pub path: String,
    /// The raw query string.
    pub query: String,
    /// The Accept header.
    pub accept: String,
    /// The `Impersonate-User` header and the `Impersonate-Group` headers, comma-joined, as
    /// `--as` and `--as-group` send them; empty when absent.
    pub impersonate: String,
    /// The status answered.
    pub status: u16,
    /// Milliseconds since the simulator started, when the request arrived and when it was
    /// answered: overlapping intervals show concurrent lists.
    pub started_ms: u64,
    /// See `started_ms`.
    pub finished_ms: u64,
}

/// Why a simulator could not start, or why the Slack simulator could not deliver a Socket Mode
/// envelope.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The certificate could not be generated or loaded.
    #[error("cannot set up TLS: {0}")]
    Tls(String),
    /// The HTTP client to an upstream server (the Ollama adapter's llama-server) could not be
    /// built.
    #[error("cannot build the HTTP client: {0}")]
    Client(#[source] reqwest::Error),
    /// The Slack simulator has no Socket Mode client to deliver an envelope to: none has
    /// connected (and received its `hello`), or the last one went away.
    #[error("no Socket Mode client is connected to the Slack simulator")]
    NoSocketClient,
    /// The Slack simulator's Socket Mode client did not acknowledge an envelope in time.
    #[error("the Socket Mode client did not ack envelope {envelope_id} within {waited:?}")]
    AckTimeout {
        /// The envelope that went unacknowledged.
        envelope_id: String,
        /// How long the simulator waited.
        waited: Duration,
    },
    /// A soak could not run: its binary did not start, or its files could not be written.
    #[error("the soak could not run: {0}")]
    Soak(String),
}

/// An object that changed when the snapshot was replaced, as a watch reports it.
#[derive(Debug, Clone)]
pub(crate) struct Change {
    /// The resource's plural.
    plural: String,
    /// `ADDED`, `MODIFIED` or `DELETED`.
    kind: &'static str,
    /// The object (its last state, for `DELETED`).
    object: serde_json::Value,
}

/// Shared between the server tasks and the handle.
pub(crate) struct State {
    /// Replaced whole by [`KubeSim::replace`]; a request works on the one it started with.
    resources: std::sync::RwLock<Arc<Resources>>,
    /// Every change of a replacement, for the watches open at the time.
    changes: tokio::sync::broadcast::Sender<Change>,
    faults: HashMap<String, Fault>,
    /// Requests counted for the faults that throttle only the first few.
    throttled: faults::Throttled,
    token: Option<String>,
    log: Mutex<Vec<RecordedRequest>>,
    started: std::time::Instant,
    /// The time the server reports in its `Date` header: the snapshot's, moved on by
    /// [`KubeSim::advance`].
    clock: Mutex<Option<jiff::Timestamp>>,
}

impl State {
    fn resources(&self) -> Arc<Resources> {
        Arc::clone(
            &self
                .resources
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }

    fn clock(&self) -> Option<jiff::Timestamp> {
        *self
            .clock
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A running simulator. Dropping it stops the server.
pub struct KubeSim {
    addr: SocketAddr,
    cert_pem: Option<String>,
    token: Option<String>,
    state: Arc<State>,
    _stop: watch::Sender<()>,
}

const TOKEN: &str = "kubewhy-sim-token";

impl KubeSim {
    /// Starts serving `snapshot` on a background task of the current Tokio runtime.
    pub async fn start(snapshot: &Snapshot, options: KubeSimOptions) -> Result<Self, SimError> {
        Self::serve(Resources::new(snapshot), snapshot, options).await
    }

    /// Starts serving `objects` exactly as given (`managedFields` and all; see
    /// [`json_objects`](crate::json_objects)), with the logs and the clock of `snapshot`, which
    /// should be the same cluster as read by the file source.
    pub async fn start_with_objects(
        snapshot: &Snapshot,
        objects: Vec<serde_json::Value>,
        options: KubeSimOptions,
    ) -> Result<Self, SimError> {
        Self::serve(Resources::from_values(objects, snapshot), snapshot, options).await
    }

    async fn serve(
        resources: Resources,
        snapshot: &Snapshot,
        options: KubeSimOptions,
    ) -> Result<Self, SimError> {
        let (listener, addr) = crate::tls::bind(options.listen).await?;
        let token = options.tls.then(|| TOKEN.to_owned());
        let state = Arc::new(State {
            resources: std::sync::RwLock::new(Arc::new(resources)),
            changes: tokio::sync::broadcast::channel(4096).0,
            faults: options.faults,
            throttled: faults::Throttled::default(),
            token: token.clone(),
            log: Mutex::new(Vec::new()),
            started: std::time::Instant::now(),
            clock: Mutex::new(snapshot.observed_at()),
        });
        let app = handler::router(Arc::clone(&state));
        let (cert_pem, stop) = crate::tls::spawn(listener, app, options.tls)?;
        Ok(Self {
            addr,
            cert_pem,
            token,
            state,
            _stop: stop,
        })
    }

    /// The address it listens on.
    #[must_use]
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The server URL.
    #[must_use]
    pub fn url(&self) -> String {
        crate::tls::url(self.addr, self.cert_pem.is_some())
    }

    /// A kubeconfig whose only context, `kubewhy-sim`, points at this simulator and trusts its
    /// certificate.
    #[must_use]
    pub fn kubeconfig(&self) -> String {
        let ca = self.cert_pem.as_ref().map_or_else(String::new, |pem| {
            format!(
                "    certificate-authority-data: {}\n",
                base64::engine::general_purpose::STANDARD.encode(pem)
            )
        });
        let user = self.token.as_ref().map_or_else(
            || "  user: {}\n".to_owned(),
            |t| format!("  user:\n    token: {t}\n"),
        );
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: kubewhy-sim\n  cluster:\n    server: {}\n{ca}\
             contexts:\n- name: kubewhy-sim\n  context:\n    cluster: kubewhy-sim\n    user: kubewhy-sim\n\
             current-context: kubewhy-sim\nusers:\n- name: kubewhy-sim\n{user}",
            self.url()
        )
    }

    /// Serves `snapshot` from now on, as a cluster that changed: open watches get an `ADDED`,
    /// `MODIFIED` or `DELETED` event for each object that differs, and the clock moves to the
    /// new snapshot's time if it has one.
    pub fn replace(&self, snapshot: &Snapshot) {
        let new = Arc::new(Resources::new(snapshot));
        let old = std::mem::replace(
            &mut *self
                .state
                .resources
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
            Arc::clone(&new),
        );
        if let Some(at) = snapshot.observed_at() {
            *self
                .state
                .clock
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(at);
        }
        for change in resources::diff(&old, &new) {
            // No watch open is no error.
            let _ = self.state.changes.send(change);
        }
    }

    /// Moves the server's clock on by `by`, as time passing in the cluster.
    pub fn advance(&self, by: Duration) {
        let mut clock = self
            .state
            .clock
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = clock.unwrap_or_else(jiff::Timestamp::now);
        let by = jiff::SignedDuration::try_from(by).unwrap_or(jiff::SignedDuration::MAX);
        *clock = Some(now.checked_add(by).unwrap_or(now));
    }

    /// The time the server reports.
    #[must_use]
    pub fn now(&self) -> Option<jiff::Timestamp> {
        self.state.clock()
    }

    /// Every request served so far, in arrival order.
    #[must_use]
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state
            .log
            .lock()
            .map(|log| log.clone())
            .unwrap_or_default()
    }
}
