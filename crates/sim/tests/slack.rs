//! The Slack simulator over real sockets: the Web API, response URLs, the webhook, signing and
//! faults, driven with reqwest. Socket Mode is in `slack_socket.rs`.

use std::time::Duration;

use kubewhy_sim::slack::{
    Post, SlackFault, SlackSim, SlackSimOptions, Target, Via, sign, signed_headers,
};
use serde_json::{Value, json};

const SECOND: Duration = Duration::from_secs(1);

async fn sim() -> SlackSim {
    SlackSim::start(SlackSimOptions::default()).await.unwrap()
}

fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder().no_proxy().build().unwrap()
}

/// Calls a Web API method with the bot token; returns the status and the JSON answer.
async fn call(sim: &SlackSim, method: &str, token: Option<&str>, body: &Value) -> (u16, Value) {
    let mut request = client()
        .post(format!("{}{method}", sim.api_url()))
        .header("Content-Type", "application/json; charset=utf-8")
        .body(body.to_string());
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

async fn post_json(url: &str, body: &Value) -> reqwest::Response {
    client().post(url).json(body).send().await.unwrap()
}

fn section(text: &str) -> Value {
    json!({"type": "section", "text": {"type": "mrkdwn", "text": text}})
}

const BOT: Option<&str> = Some("xoxb-sim-token");

#[test]
fn slack_signing_test_vector() {
    let body = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&\
                channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&\
                command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2F\
                commands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&\
                trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
    let secret = "8f742231b10e8888abcd99yyyzzz85a5";
    assert_eq!(
        sign(secret, 1_531_420_618, body.as_bytes()),
        "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
    );
    let [(_, ts), (_, signature)] = signed_headers(secret, body.as_bytes());
    assert_eq!(
        signature,
        sign(secret, ts.parse().unwrap(), body.as_bytes())
    );
}

#[tokio::test]
async fn post_message_then_update_the_same_ts() {
    let sim = sim().await;
    let body = json!({"channel": "C123", "text": "first", "thread_ts": "1700000000.000100"});
    let (status, answer) = call(&sim, "chat.postMessage", BOT, &body).await;
    assert_eq!(status, 200);
    assert_eq!(answer["ok"], true, "{answer}");
    assert_eq!(answer["channel"], "C123");
    let ts = answer["ts"].as_str().unwrap().to_owned();
    let (secs, micros) = ts.split_once('.').unwrap();
    assert!(secs.parse::<u64>().unwrap() > 1_700_000_000);
    assert_eq!(micros.len(), 6);
    assert_eq!(answer["message"]["text"], "first");

    let (_, second) = call(
        &sim,
        "chat.postMessage",
        BOT,
        &json!({"channel": "C123", "text": "2"}),
    )
    .await;
    assert!(second["ts"].as_str().unwrap() > ts.as_str(), "ts increase");

    let update =
        json!({"channel": "C123", "ts": ts, "text": "edited", "blocks": [section("*edited*")]});
    let (_, answer) = call(&sim, "chat.update", BOT, &update).await;
    assert_eq!(
        answer,
        json!({
            "ok": true, "channel": "C123", "ts": ts, "text": "edited", "message": answer["message"].clone(),
        })
    );
    let unknown = json!({"channel": "C123", "ts": "1.000001", "text": "x"});
    let (_, answer) = call(&sim, "chat.update", BOT, &unknown).await;
    assert_eq!(answer, json!({"ok": false, "error": "message_not_found"}));

    let posts = sim.posts();
    assert_eq!(posts.len(), 3);
    assert_eq!(posts[0].via, Via::PostMessage);
    assert_eq!(posts[0].thread_ts.as_deref(), Some("1700000000.000100"));
    let Post {
        via,
        channel,
        ts: updated,
        thread_ts,
        text,
        blocks,
        ..
    } = posts[2].clone();
    assert_eq!(via, Via::Update);
    assert_eq!(
        (channel.as_deref(), updated, text.as_str()),
        (Some("C123"), ts, "edited")
    );
    assert_eq!(thread_ts.as_deref(), Some("1700000000.000100"));
    assert_eq!(blocks[0]["text"]["text"], "*edited*");
    assert_eq!(sim.rejections()[0].error, "message_not_found");
}

#[tokio::test]
async fn web_api_auth_and_argument_errors() {
    let sim = sim().await;
    let body = json!({"channel": "C1", "text": "hi"});
    let (_, answer) = call(&sim, "chat.postMessage", None, &body).await;
    assert_eq!(answer["error"], "not_authed");
    let (_, answer) = call(&sim, "chat.postMessage", Some("xoxb-wrong"), &body).await;
    assert_eq!(answer["error"], "invalid_auth");
    let (_, answer) = call(&sim, "chat.postMessage", BOT, &json!({"text": "hi"})).await;
    assert_eq!(answer["error"], "channel_not_found");
    let (_, answer) = call(&sim, "chat.postMessage", BOT, &json!({"channel": "C1"})).await;
    assert_eq!(answer["error"], "no_text");
    let long = json!({"channel": "C1", "text": "x".repeat(40_001)});
    let (_, answer) = call(&sim, "chat.postMessage", BOT, &long).await;
    assert_eq!(answer["error"], "msg_too_long");
    let blocks: Vec<Value> = (0..5).map(|_| section(&"y".repeat(2500))).collect();
    let (_, answer) = call(
        &sim,
        "chat.postMessage",
        BOT,
        &json!({"channel": "C1", "blocks": blocks}),
    )
    .await;
    assert_eq!(answer["error"], "msg_blocks_too_long");
    // Blocks without a top-level text: accepted, text empty.
    let (_, answer) = call(
        &sim,
        "chat.postMessage",
        BOT,
        &json!({"channel": "C1", "blocks": [section("b")]}),
    )
    .await;
    assert_eq!(answer["ok"], true);
    assert!(sim.posts()[0].text.is_empty());
    assert_eq!(sim.rejections().len(), 6);
    assert!(
        sim.rejections()
            .iter()
            .all(|r| r.status == 200 && r.via == Via::PostMessage)
    );
}

#[tokio::test]
async fn a_3001_character_section_is_invalid_blocks() {
    let sim = sim().await;
    let body = json!({"channel": "C1", "text": "t", "blocks": [section(&"x".repeat(3001))]});
    let (status, answer) = call(&sim, "chat.postMessage", BOT, &body).await;
    assert_eq!(status, 200);
    assert_eq!(answer["ok"], false);
    assert_eq!(answer["error"], "invalid_blocks");
    assert_eq!(
        answer["errors"],
        json!(["must be less than 3001 characters [json-pointer:/blocks/0/text/text]"])
    );
    assert!(sim.posts().is_empty());
    let rejection = &sim.rejections()[0];
    assert_eq!(
        (rejection.status, rejection.error.as_str()),
        (200, "invalid_blocks")
    );
    assert_eq!(rejection.body, body);

    // The same over a response URL: no `errors`.
    let response = post_json(&sim.response_url(), &body).await;
    assert_eq!(response.status(), 200);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer, json!({"ok": false, "error": "invalid_blocks"}));
    assert!(sim.posts().is_empty());
}

#[tokio::test]
async fn fifty_one_blocks_are_refused_fifty_accepted() {
    let sim = sim().await;
    let dividers = |n| {
        (0..n)
            .map(|_| json!({"type": "divider"}))
            .collect::<Vec<_>>()
    };
    let (_, answer) = call(
        &sim,
        "chat.postMessage",
        BOT,
        &json!({"channel": "C1", "text": "t", "blocks": dividers(51)}),
    )
    .await;
    assert_eq!(answer["error"], "invalid_blocks");
    assert_eq!(
        answer["errors"],
        json!(["no more than 50 items allowed [json-pointer:/blocks]"])
    );
    let (_, answer) = call(
        &sim,
        "chat.postMessage",
        BOT,
        &json!({"channel": "C1", "text": "t", "blocks": dividers(50)}),
    )
    .await;
    assert_eq!(answer["ok"], true);
    assert_eq!(sim.posts().len(), 1);
}

#[tokio::test]
async fn a_response_url_takes_five_posts() {
    let sim = sim().await;
    let url = sim.response_url();
    assert_ne!(url, sim.response_url(), "each call mints a new one");
    let id = url.split("/commands/").nth(1).unwrap().to_owned();
    assert!(id.starts_with("T0SIM/"));
    for n in 0..5 {
        let body = json!({"text": format!("reply {n}"), "response_type": "in_channel", "replace_original": false});
        let response = post_json(&url, &body).await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.json::<Value>().await.unwrap(), json!({"ok": true}));
    }
    let response = post_json(&url, &json!({"text": "sixth"})).await;
    assert_eq!(response.status(), 404);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"ok": false, "error": "used_url"})
    );
    let never = url.replace(&id, "T0SIM/1/nope");
    let response = post_json(&never, &json!({"text": "x"})).await;
    assert_eq!(response.status(), 404);
    assert_eq!(
        response.json::<Value>().await.unwrap()["error"],
        "expired_url"
    );

    let posts = sim.wait_for_posts(5, SECOND).await;
    assert_eq!(posts.len(), 5);
    assert!(
        posts
            .iter()
            .all(|p| p.via == Via::ResponseUrl(id.clone()) && p.channel.is_none())
    );
    assert_eq!(posts[4].text, "reply 4");
    assert_eq!(posts[0].body["response_type"], "in_channel");
    let errors: Vec<_> = sim
        .rejections()
        .into_iter()
        .map(|r| (r.status, r.error))
        .collect();
    assert_eq!(
        errors,
        [
            (404, "used_url".to_owned()),
            (404, "expired_url".to_owned())
        ]
    );
}

#[tokio::test]
async fn rate_limited_with_retry_after_then_success() {
    let sim = sim().await;
    sim.inject(
        Target::PostMessage,
        SlackFault::RateLimited {
            retry_after_secs: 3,
        },
        1,
    );
    let body = json!({"channel": "C1", "text": "hi"});
    let response = client()
        .post(format!("{}chat.postMessage", sim.api_url()))
        .bearer_auth("xoxb-sim-token")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "3");
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"ok": false, "error": "ratelimited"})
    );
    let (status, answer) = call(&sim, "chat.postMessage", BOT, &body).await;
    assert_eq!((status, answer["ok"].clone()), (200, json!(true)));
    assert_eq!(sim.posts().len(), 1);
    let rejection = &sim.rejections()[0];
    assert_eq!(
        (rejection.status, rejection.error.as_str()),
        (429, "ratelimited")
    );

    sim.inject(Target::ResponseUrl, SlackFault::ServerError, 2);
    let url = sim.response_url();
    for _ in 0..2 {
        assert_eq!(post_json(&url, &json!({"text": "x"})).await.status(), 500);
    }
    assert_eq!(post_json(&url, &json!({"text": "x"})).await.status(), 200);
    assert_eq!(sim.wait_for_posts(2, SECOND).await.len(), 2);
}

#[tokio::test]
async fn webhook_posts_then_revoked() {
    let sim = sim().await;
    let url = sim.webhook_url();
    assert_eq!(url, sim.webhook_url());
    assert!(url.contains("/services/T0SIM/B0SIM/"));
    let response = post_json(&url, &json!({"text": "hello", "blocks": [section("hi")]})).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "ok");
    let bad = json!({"text": "x", "blocks": [{"type": "carousel"}]});
    let response = post_json(&url, &bad).await;
    assert_eq!(response.status(), 400);
    assert_eq!(response.text().await.unwrap(), "invalid_blocks");
    let unknown = post_json(&url.replace("/B0SIM/", "/B0SIM/x"), &json!({"text": "x"})).await;
    assert_eq!(unknown.status(), 404);
    assert_eq!(unknown.text().await.unwrap(), "no_service");

    sim.inject(Target::Webhook, SlackFault::Expired, 1);
    let response = post_json(&url, &json!({"text": "revoked"})).await;
    assert_eq!(response.status(), 404);
    assert_eq!(response.text().await.unwrap(), "no_service");
    let posts = sim.posts();
    assert_eq!(posts.len(), 1);
    assert_eq!(
        (posts[0].via.clone(), posts[0].text.as_str()),
        (Via::Webhook, "hello")
    );
    let errors: Vec<_> = sim
        .rejections()
        .into_iter()
        .map(|r| (r.via, r.status, r.error))
        .collect();
    assert_eq!(
        errors,
        [
            (Via::Webhook, 400, "invalid_blocks".to_owned()),
            (Via::Webhook, 404, "no_service".to_owned()),
            (Via::Webhook, 404, "no_service".to_owned()),
        ]
    );
}

#[tokio::test]
async fn form_encoded_calls_and_charset_warnings() {
    let sim = sim().await;
    let blocks = json!([section("from a form")]).to_string();
    let form = [
        ("token", "xoxb-sim-token"),
        ("channel", "C9"),
        ("blocks", blocks.as_str()),
    ];
    let answer: Value = client()
        .post(format!("{}chat.postMessage", sim.api_url()))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(serde_urlencoded::to_string(form).unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer["ok"], true, "{answer}");
    assert!(answer.get("warning").is_none());
    let post = &sim.posts()[0];
    assert_eq!(post.blocks[0]["text"]["text"], "from a form");
    assert_eq!(post.body["channel"], "C9");

    let answer: Value = client()
        .post(format!("{}chat.postMessage", sim.api_url()))
        .bearer_auth("xoxb-sim-token")
        .header("Content-Type", "application/json")
        .body(json!({"channel": "C9", "text": "t"}).to_string())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer["warning"], "missing_charset");
    let (_, answer) = call(&sim, "chat.nope", BOT, &json!({})).await;
    assert_eq!(answer["error"], "unknown_method");
}
