//! Socket Mode, for clusters that accept no inbound traffic from Slack: `apps.connections.open`
//! with the app token gives a WebSocket URL, over which Slack delivers slash commands and
//! events as envelopes; each is acknowledged with its `envelope_id` (a command's ack carries
//! the same answer the HTTP transport gives). The connection is reopened when Slack asks
//! (`disconnect`) or drops it, with a growing pause between failures.

use std::{sync::Arc, time::Duration};

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tracing::{info, warn};

use super::command::SlashCommand;
use crate::{App, secrets::Secret};

/// Keeps a Socket Mode connection open until the server shuts down.
pub async fn run(app: Arc<App>, token: Secret, http: reqwest::Client, api: String) {
    let mut pause = Duration::from_secs(1);
    while !app.shutdown.is_cancelled() {
        match session(&app, &token, &http, &api).await {
            Ok(()) => pause = Duration::from_secs(1),
            Err(e) => {
                app.metrics.inc("kubewhy_slack_socket_failures_total", &[]);
                warn!("Socket Mode: {e}; reconnecting in {} s", pause.as_secs());
                tokio::select! {
                    () = tokio::time::sleep(pause) => {}
                    () = app.shutdown.cancelled() => return,
                }
                pause = (pause * 2).min(Duration::from_mins(1));
            }
        }
    }
}

/// Asks Slack for a WebSocket URL.
async fn open(token: &Secret, http: &reqwest::Client, api: &str) -> Result<String, String> {
    let url = format!("{}/apps.connections.open", api.trim_end_matches('/'));
    let answer: Value = http
        .post(&url)
        .bearer_auth(token.expose())
        .send()
        .await
        .map_err(|e| format!("apps.connections.open: {}", e.without_url()))?
        .json()
        .await
        .map_err(|e| {
            format!(
                "apps.connections.open answered something that is not JSON: {}",
                e.without_url()
            )
        })?;
    match answer["url"].as_str() {
        Some(url) if answer["ok"] == true => Ok(url.to_owned()),
        _ => Err(format!(
            "apps.connections.open: {}",
            answer["error"].as_str().unwrap_or("no URL in the answer")
        )),
    }
}

/// One connection, until Slack or the server ends it.
async fn session(
    app: &Arc<App>,
    token: &Secret,
    http: &reqwest::Client,
    api: &str,
) -> Result<(), String> {
    let url = open(token, http, api).await?;
    let (socket, _) = tokio_tungstenite::connect_async(url.as_str())
        .await
        .map_err(|e| format!("cannot open the WebSocket: {e}"))?;
    let (mut sink, mut stream) = socket.split();
    loop {
        let message = tokio::select! {
            message = stream.next() => message,
            () = app.shutdown.cancelled() => {
                let _ = sink.close().await;
                return Ok(());
            }
        };
        let text = match message {
            Some(Ok(Message::Text(text))) => text,
            Some(Ok(Message::Ping(data))) => {
                sink.send(Message::Pong(data))
                    .await
                    .map_err(|e| e.to_string())?;
                continue;
            }
            Some(Ok(Message::Close(_))) | None => {
                return Err("Slack closed the connection".to_owned());
            }
            Some(Ok(_)) => continue,
            Some(Err(e)) => return Err(format!("the WebSocket failed: {e}")),
        };
        let Ok(envelope) = serde_json::from_str::<Value>(&text) else {
            warn!("Socket Mode: ignored a message that is not JSON");
            continue;
        };
        match envelope["type"].as_str() {
            Some("hello") => info!("Socket Mode connected"),
            Some("disconnect") => return Ok(()),
            _ => {
                if let Some(ack) = handle(app, &envelope) {
                    sink.send(Message::text(ack.to_string()))
                        .await
                        .map_err(|e| e.to_string())?;
                }
            }
        }
    }
}

/// The acknowledgement of an envelope; the work it asks for is started.
fn handle(app: &Arc<App>, envelope: &Value) -> Option<Value> {
    let id = envelope["envelope_id"].as_str()?;
    let payload = &envelope["payload"];
    match envelope["type"].as_str() {
        Some("slash_commands") => {
            let fields = payload
                .as_object()
                .map(|o| {
                    o.iter()
                        .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_owned())))
                        .collect()
                })
                .unwrap_or_default();
            let answer = match SlashCommand::from_fields(&fields) {
                Ok(command) => super::acknowledge(app, command),
                Err(error) => {
                    warn!("Socket Mode: {error}");
                    json!({ "text": format!("kubewhy could not read this command: {error}") })
                }
            };
            Some(json!({ "envelope_id": id, "payload": answer }))
        }
        Some("events_api") => {
            super::events::receive(app, payload);
            Some(json!({ "envelope_id": id }))
        }
        _ => Some(json!({ "envelope_id": id })),
    }
}
