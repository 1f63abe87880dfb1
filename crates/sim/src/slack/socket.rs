//! Socket Mode: `apps.connections.open` hands out a one-use WebSocket URL; the connection gets
//! `hello`, then the envelopes the simulator delivers (`slash_commands`, `events_api`), and
//! the client acks each by `envelope_id`. One client at a time: the latest replaces the others.

use std::{
    collections::{HashMap, HashSet},
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use axum::{
    Json,
    extract::{
        Query, State as AxumState,
        ws::{Message, WebSocket, WebSocketUpgrade},
    },
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use futures::{SinkExt as _, StreamExt as _};
use serde_json::{Map, Value, json};
use tokio::sync::{mpsc, oneshot};

use super::{State, handler, lock, random_token};
use crate::SimError;

/// What the simulator sends a connected client.
enum Outgoing {
    /// A text frame (an envelope).
    Text(String),
    /// `{"type":"disconnect","reason":...}`, then a close.
    Disconnect(String),
}

struct Client {
    id: u64,
    tx: mpsc::UnboundedSender<Outgoing>,
}

/// The Socket Mode side of the simulator's state.
#[derive(Default)]
pub(super) struct Hub {
    /// Tickets handed out and not used yet.
    tickets: Mutex<HashSet<String>>,
    /// The connected client that has received its `hello`.
    client: Mutex<Option<Client>>,
    /// Envelopes waiting for their ack, by id.
    acks: Mutex<HashMap<String, oneshot::Sender<Value>>>,
    next_client: AtomicU64,
}

impl Hub {
    /// Whether a client is connected and has received its `hello`.
    pub(super) fn connected(&self) -> bool {
        lock(&self.client).is_some()
    }

    /// Tells the connected client to go away, and closes its connection.
    pub(super) fn disconnect(&self, reason: &str) -> bool {
        let Some(client) = lock(&self.client).take() else {
            return false;
        };
        client
            .tx
            .send(Outgoing::Disconnect(reason.to_owned()))
            .is_ok()
    }

    /// Sends `envelope` to the connected client and waits for the ack of `envelope_id`.
    pub(super) async fn deliver(
        &self,
        envelope_id: String,
        envelope: &Value,
        timeout: Duration,
    ) -> Result<Value, SimError> {
        let (tx, rx) = oneshot::channel();
        lock(&self.acks).insert(envelope_id.clone(), tx);
        let sent = lock(&self.client)
            .as_ref()
            .is_some_and(|client| client.tx.send(Outgoing::Text(envelope.to_string())).is_ok());
        if !sent {
            lock(&self.acks).remove(&envelope_id);
            return Err(SimError::NoSocketClient);
        }
        if let Ok(Ok(payload)) = tokio::time::timeout(timeout, rx).await {
            return Ok(payload);
        }
        lock(&self.acks).remove(&envelope_id);
        Err(SimError::AckTimeout {
            envelope_id,
            waited: timeout,
        })
    }

    /// A text frame from the client: an ack resolves its envelope's waiter.
    fn receive(&self, text: &str) {
        let Ok(ack) = serde_json::from_str::<Value>(text) else {
            tracing::debug!("slack sim: a Socket Mode frame that is not JSON: {text}");
            return;
        };
        let Some(id) = ack.get("envelope_id").and_then(Value::as_str) else {
            return;
        };
        let payload = ack.get("payload").cloned().unwrap_or(Value::Null);
        if let Some(waiter) = lock(&self.acks).remove(id) {
            let _ = waiter.send(payload);
        }
    }

    /// Makes `tx` the connected client (dropping the previous one, which closes it).
    fn attach(&self, tx: mpsc::UnboundedSender<Outgoing>) -> u64 {
        let id = self.next_client.fetch_add(1, Ordering::Relaxed);
        *lock(&self.client) = Some(Client { id, tx });
        id
    }

    /// Forgets client `id` if it is still the connected one.
    fn detach(&self, id: u64) {
        let mut client = lock(&self.client);
        if client.as_ref().is_some_and(|c| c.id == id) {
            *client = None;
        }
    }
}

/// A new envelope id, shaped like Slack's (a UUID).
pub(super) fn envelope_id() -> String {
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        fastrand::u32(..),
        fastrand::u16(..),
        fastrand::u16(..0x1000),
        0x8000 | fastrand::u16(..0x4000),
        fastrand::u64(..1 << 48),
    )
}

/// `apps.connections.open`: with the app-level token, a one-use WebSocket URL.
pub(super) fn connections_open(state: &State, headers: &HeaderMap, body: &[u8]) -> Response {
    let body = handler::parse_form_or_json(headers, body).unwrap_or(Value::Object(Map::new()));
    let options = &state.options;
    if let Err(refusal) = handler::authorize(headers, &body, &options.app_token, &options.bot_token)
    {
        return refusal.json(false);
    }
    let ticket = random_token(32);
    lock(&state.socket.tickets).insert(ticket.clone());
    let url = format!("ws://{}/link/?ticket={ticket}", state.addr);
    Json(json!({"ok": true, "url": url})).into_response()
}

/// The WebSocket endpoint: a valid ticket (used up here) upgrades, anything else is a 401.
pub(super) async fn upgrade(
    AxumState(state): AxumState<Arc<State>>,
    Query(query): Query<HashMap<String, String>>,
    ws: WebSocketUpgrade,
) -> Response {
    let valid = query
        .get("ticket")
        .is_some_and(|ticket| lock(&state.socket.tickets).remove(ticket));
    if !valid {
        return (StatusCode::UNAUTHORIZED, "invalid_ticket").into_response();
    }
    ws.on_upgrade(move |socket| run(socket, state))
}

/// One connection: `hello`, then envelopes out and acks in, until either side closes, a newer
/// client replaces it, or the simulator stops.
async fn run(socket: WebSocket, state: Arc<State>) {
    let (mut sink, mut stream) = socket.split();
    let hello = json!({
        "type": "hello",
        "num_connections": 1,
        "connection_info": {"app_id": "A0SIM"},
        "debug_info": {"host": "sim"},
    });
    if sink
        .send(Message::Text(hello.to_string().into()))
        .await
        .is_err()
    {
        return;
    }
    let (tx, mut rx) = mpsc::unbounded_channel();
    let id = state.socket.attach(tx);
    state.changed.notify_waiters();
    let mut stopped = state.stopped.clone();
    loop {
        tokio::select! {
            out = rx.recv() => match out {
                Some(Outgoing::Text(text)) => {
                    if sink.send(Message::Text(text.into())).await.is_err() {
                        break;
                    }
                }
                Some(Outgoing::Disconnect(reason)) => {
                    let notice = json!({"type": "disconnect", "reason": reason});
                    let _ = sink.send(Message::Text(notice.to_string().into())).await;
                    let _ = sink.send(Message::Close(None)).await;
                    break;
                }
                None => {
                    let _ = sink.send(Message::Close(None)).await;
                    break;
                }
            },
            incoming = stream.next() => match incoming {
                Some(Ok(Message::Text(text))) => state.socket.receive(text.as_str()),
                Some(Ok(Message::Ping(data))) => {
                    if sink.send(Message::Pong(data)).await.is_err() {
                        break;
                    }
                }
                Some(Ok(Message::Close(_)) | Err(_)) | None => break,
                Some(Ok(_)) => {}
            },
            _ = stopped.changed() => {
                let _ = sink.send(Message::Close(None)).await;
                break;
            }
        }
    }
    state.socket.detach(id);
    state.changed.notify_waiters();
}
