//! The Slack simulator's Socket Mode over real sockets: `apps.connections.open` with reqwest,
//! the WebSocket with tokio-tungstenite.

use std::time::Duration;

use futures::{SinkExt as _, StreamExt as _};
use kubewhy_sim::slack::{SlackSim, SlackSimOptions};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

const SECOND: Duration = Duration::from_secs(1);
const BOT: Option<&str> = Some("xoxb-sim-token");

async fn sim() -> SlackSim {
    SlackSim::start(SlackSimOptions::default()).await.unwrap()
}

/// Calls a Web API method; returns the JSON answer.
async fn call(sim: &SlackSim, method: &str, token: Option<&str>) -> Value {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let mut request = client.post(format!("{}{method}", sim.api_url()));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap().json().await.unwrap()
}

async fn open_socket(sim: &SlackSim) -> String {
    let answer = call(sim, "apps.connections.open", Some("xapp-sim-token")).await;
    assert_eq!(answer["ok"], true, "{answer}");
    answer["url"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn socket_mode_refusals() {
    let sim = sim().await;
    let err = sim
        .send_command(&[("command", "/why")], SECOND)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("no Socket Mode client"), "{err}");
    assert!(!sim.wait_for_socket(Duration::from_millis(50)).await);
    let refused = call(&sim, "apps.connections.open", BOT).await;
    assert_eq!(refused["ok"], false);
    let refused = call(&sim, "apps.connections.open", Some("xapp-nope")).await;
    assert_eq!(refused["error"], "invalid_auth");
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A Socket Mode client: acks two envelopes (with a payload for slash commands) and sees the
/// pong to its ping; returns the envelopes.
async fn acking_client(mut ws: Ws) -> (Ws, Vec<Value>) {
    ws.send(Message::Ping(b"p".to_vec().into())).await.unwrap();
    let mut envelopes = Vec::new();
    let mut pong = false;
    while envelopes.len() < 2 || !pong {
        match ws.next().await.unwrap().unwrap() {
            Message::Pong(data) => pong = data.as_ref() == b"p",
            Message::Text(text) => {
                let envelope: Value = serde_json::from_str(text.as_str()).unwrap();
                let id = envelope["envelope_id"].clone();
                let ack = if envelope["type"] == "slash_commands" {
                    json!({"envelope_id": id, "payload": {"text": format!("got {}", envelope["payload"]["command"])}})
                } else {
                    json!({"envelope_id": id})
                };
                ws.send(Message::Text(ack.to_string().into()))
                    .await
                    .unwrap();
                envelopes.push(envelope);
            }
            _ => {}
        }
    }
    (ws, envelopes)
}

#[tokio::test]
async fn socket_mode_round_trip() {
    let sim = sim().await;
    let url = open_socket(&sim).await;
    assert!(
        url.starts_with(&format!("ws://{}/link/?ticket=", sim.addr())),
        "{url}"
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(url.as_str())
        .await
        .unwrap();
    assert!(
        tokio_tungstenite::connect_async(url.as_str())
            .await
            .is_err(),
        "a ticket is one use"
    );
    let hello: Value = match ws.next().await.unwrap().unwrap() {
        Message::Text(text) => serde_json::from_str(text.as_str()).unwrap(),
        other => panic!("expected hello, got {other:?}"),
    };
    assert_eq!(
        hello,
        json!({
            "type": "hello", "num_connections": 1,
            "connection_info": {"app_id": "A0SIM"}, "debug_info": {"host": "sim"},
        })
    );
    assert!(sim.wait_for_socket(SECOND).await);

    let client = tokio::spawn(acking_client(ws));
    let fields = [
        ("command", "/why"),
        ("text", "pod web-1"),
        ("response_url", "http://x"),
    ];
    let payload = sim.send_command(&fields, SECOND).await.unwrap();
    assert_eq!(payload, json!({"text": "got \"/why\""}));
    let event = json!({"type": "event_callback", "event": {"type": "app_mention", "text": "hi"}});
    assert_eq!(
        sim.send_event(event.clone(), SECOND).await.unwrap(),
        Value::Null
    );
    let (mut ws, envelopes) = client.await.unwrap();
    assert_eq!(envelopes[0]["type"], "slash_commands");
    assert_eq!(envelopes[0]["accepts_response_payload"], true);
    assert_eq!(
        envelopes[0]["payload"],
        json!({"command": "/why", "text": "pod web-1", "response_url": "http://x"})
    );
    assert_eq!(envelopes[0]["envelope_id"].as_str().unwrap().len(), 36);
    assert_eq!(envelopes[1]["type"], "events_api");
    assert_eq!(envelopes[1]["payload"], event);
    assert_eq!(envelopes[1]["retry_attempt"], 0);

    // No ack in time.
    let err = sim
        .send_command(&[("command", "/why")], Duration::from_millis(100))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("did not ack"), "{err}");

    // Slack asks for a reconnect.
    assert!(sim.disconnect_socket());
    loop {
        match ws.next().await {
            Some(Ok(Message::Text(text))) if text.as_str().contains("disconnect") => {
                let notice: Value = serde_json::from_str(text.as_str()).unwrap();
                if notice["type"] == "disconnect" {
                    assert_eq!(notice["reason"], "refresh_requested");
                    break;
                }
            }
            Some(Ok(_)) => {}
            other => panic!("expected a disconnect notice, got {other:?}"),
        }
    }
    assert!(!sim.wait_for_socket(Duration::from_millis(20)).await);
}

/// Connects a client through `apps.connections.open` and reads its hello.
async fn connect(sim: &SlackSim) -> Ws {
    let url = open_socket(sim).await;
    let (mut ws, _) = tokio_tungstenite::connect_async(url.as_str())
        .await
        .unwrap();
    let hello = ws.next().await.unwrap().unwrap();
    assert!(hello.to_text().unwrap().contains("\"hello\""), "{hello:?}");
    ws
}

/// Reads until the connection closes; returns the text frames seen.
async fn until_closed(ws: &mut Ws) -> Vec<String> {
    let mut texts = Vec::new();
    while let Some(Ok(message)) = ws.next().await {
        match message {
            Message::Text(text) => texts.push(text.as_str().to_owned()),
            Message::Close(_) => break,
            _ => {}
        }
    }
    texts
}

#[tokio::test]
async fn the_latest_client_replaces_the_others() {
    let sim = sim().await;
    assert_eq!(
        call(&sim, "apps.connections.open", None).await["error"],
        "not_authed"
    );
    let mut first = connect(&sim).await;
    let second = connect(&sim).await;
    assert!(until_closed(&mut first).await.is_empty());
    assert!(sim.wait_for_socket(SECOND).await);
    let client = tokio::spawn(acking_client(second));
    let payload = sim
        .send_command(&[("command", "/a")], SECOND)
        .await
        .unwrap();
    assert_eq!(payload["text"], "got \"/a\"");
    sim.send_event(json!({"type": "event_callback"}), SECOND)
        .await
        .unwrap();
    client.await.unwrap();
}

#[tokio::test]
async fn dropping_the_simulator_closes_the_socket_and_stops_the_server() {
    let sim = sim().await;
    let api = sim.api_url();
    let mut ws = connect(&sim).await;
    drop(sim);
    tokio::time::timeout(SECOND, until_closed(&mut ws))
        .await
        .unwrap();
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let refused = client.post(format!("{api}chat.postMessage")).send().await;
    assert!(refused.is_err(), "{refused:?}");
}
