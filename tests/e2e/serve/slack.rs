//! Slash commands, events and Socket Mode against the Slack simulator.

use std::time::Duration;

use kubewhy_sim::{
    LlmFault, LlmSim, LlmSimOptions, SimAnswer,
    slack::{Via, sign},
};
use serde_json::{Value, json};
use tempfile::TempDir;

use super::{SECRET, Server, command, fields, post_signed, slack_sim, texts};

fn slack_env(api: &str) -> Vec<(&'static str, String)> {
    vec![
        ("SLACK_SIGNING_SECRET", SECRET.to_owned()),
        ("KUBEWHY_SLACK_API_URL", api.to_owned()),
    ]
}

/// `kubewhy serve --demo` with the LLM simulator `llm` as its backend, `env` set and `extra`
/// flags.
async fn demo_with_llm(
    home: &std::path::Path,
    llm: &LlmSim,
    env: &[(&'static str, String)],
    extra: &[&str],
) -> Server {
    let base = format!("{}/v1", llm.url());
    let mut args = vec![
        "--demo",
        "--backend",
        "local",
        "--model",
        "any",
        "--base-url",
        &base,
    ];
    args.extend_from_slice(extra);
    Server::start(home, &args, &refs(env)).await
}

fn refs<'a>(env: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    env.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_stale_replayed_oversized_and_malformed_requests_are_refused_and_do_nothing() {
    let home = TempDir::new().unwrap();
    let slack = slack_sim().await;
    let env = slack_env(&slack.api_url());
    let server = Server::start(home.path(), &["--demo"], &refs(&env)).await;
    let url = slack.response_url();
    let body = serde_urlencoded::to_string(fields("analyze", "C0OPS", &url)).unwrap();
    let client = super::http();
    let send = |ts: i64, signature: String, body: Vec<u8>| {
        client
            .post(format!("{}/slack/commands", server.url))
            .header("x-slack-request-timestamp", ts.to_string())
            .header("x-slack-signature", signature)
            .body(body)
            .send()
    };
    let now = jiff::Timestamp::now().as_second();
    let forged = send(
        now,
        sign("not-the-secret", now, body.as_bytes()),
        body.clone().into_bytes(),
    )
    .await
    .unwrap();
    assert_eq!(forged.status(), 401);
    let stale = send(
        now - 600,
        sign(SECRET, now - 600, body.as_bytes()),
        body.clone().into_bytes(),
    )
    .await
    .unwrap();
    assert_eq!(stale.status(), 403);
    let big = "x".repeat(100_000);
    let oversized = send(now, sign(SECRET, now, big.as_bytes()), big.into_bytes())
        .await
        .unwrap();
    assert_eq!(oversized.status(), 413);
    let garbage = b"text=analyze&%%%".to_vec();
    let malformed = send(now, sign(SECRET, now, &garbage), garbage)
        .await
        .unwrap();
    assert_eq!(malformed.status(), 400);
    let replay_of = |n: i64| {
        send(
            n,
            sign(SECRET, n, body.as_bytes()),
            body.clone().into_bytes(),
        )
    };
    let first = replay_of(now - 1).await.unwrap();
    assert_eq!(first.status(), 200, "the genuine request is taken");
    let replayed = replay_of(now - 1).await.unwrap();
    assert_eq!(replayed.status(), 409);
    // Only the genuine request is answered: one post, and nothing from the refused ones.
    let posts = slack.wait_for_posts(1, Duration::from_mins(1)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(slack.posts().len(), 1, "{posts:?}\n{}", server.log());
    let metrics = client
        .get(format!("{}/metrics", server.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("kubewhy_slack_commands_total 1"),
        "{metrics}"
    );
    assert!(!server.log().contains(SECRET));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_is_acknowledged_at_once_while_the_llm_takes_ten_seconds() {
    let home = TempDir::new().unwrap();
    let slack = slack_sim().await;
    let llm = LlmSim::start(LlmSimOptions::default()).await.unwrap();
    llm.set_persistent_fault(Some(LlmFault::Delay(Duration::from_secs(10))));
    let env = slack_env(&slack.api_url());
    let server = demo_with_llm(home.path(), &llm, &env, &[]).await;
    let url = slack.response_url();
    let (status, ack, took) = command(
        &server,
        &fields("explain deploy/checkout -n shop", "C0OPS", &url),
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        took < Duration::from_secs(3),
        "Slack gives up after 3 s; the ack took {took:?}"
    );
    assert_eq!(ack["response_type"], "ephemeral");
    assert!(
        texts(&ack).contains("working on `explain deploy/checkout -n shop`"),
        "{ack}"
    );
    assert!(
        slack.posts().is_empty(),
        "the answer cannot be there before the LLM answers"
    );
    let posts = slack.wait_for_posts(1, Duration::from_secs(90)).await;
    assert!(!posts.is_empty(), "no answer arrived:\n{}", server.log());
    assert!(slack.rejections().is_empty(), "{:?}", slack.rejections());
    assert!(matches!(posts[0].via, Via::ResponseUrl(_)));
    let text = texts(&posts[0].body);
    assert!(text.contains("checkout"), "{text}");
    assert_eq!(posts[0].body["response_type"], "in_channel");
    assert!(!llm.requests().is_empty(), "the LLM was asked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_of_20000_characters_arrives_whole_split_within_block_kit_limits() {
    let home = TempDir::new().unwrap();
    let slack = slack_sim().await;
    let sentence = "The checkout pods crash because the payments service they call at start has no ready endpoints. ";
    let answer = sentence.repeat(20_000 / sentence.len() + 1);
    let llm = LlmSim::start(LlmSimOptions {
        answer: SimAnswer::Fixed(answer.clone()),
        ..LlmSimOptions::default()
    })
    .await
    .unwrap();
    let env = slack_env(&slack.api_url());
    let server = demo_with_llm(home.path(), &llm, &env, &["--max-tokens", "8000"]).await;
    let url = slack.response_url();
    let (status, _, _) = command(
        &server,
        &fields("explain deploy/checkout -n shop", "C0OPS", &url),
    )
    .await;
    assert_eq!(status, 200);
    let posts = slack.wait_for_posts(3, Duration::from_mins(1)).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let posts = if posts.len() < slack.posts().len() {
        slack.posts()
    } else {
        posts
    };
    assert!(
        posts.len() >= 3,
        "a 20,000-character answer takes several messages: {} posts\n{}",
        posts.len(),
        server.log()
    );
    assert!(posts.len() <= 5, "response_url takes five posts");
    assert!(slack.rejections().is_empty(), "{:?}", slack.rejections());
    let words: Vec<String> = posts
        .iter()
        .flat_map(|p| {
            texts(&p.body)
                .split_whitespace()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect();
    let delivered = words.iter().filter(|w| *w == "endpoints.").count();
    let expected = answer.matches("endpoints.").count();
    assert_eq!(
        delivered, expected,
        "every sentence of the answer is delivered"
    );
}

fn mention(event_id: &str, text: &str, extra: &Value) -> Vec<u8> {
    let mut event = json!({ "type": "app_mention", "user": "U0SRE", "text": text, "channel": "C0OPS", "ts": "1700000000.000100" });
    if let (Some(e), Some(x)) = (event.as_object_mut(), extra.as_object()) {
        e.extend(x.clone());
    }
    serde_json::to_vec(&json!({ "type": "event_callback", "team_id": "T0SIM", "event_id": event_id, "event_time": 1_700_000_000, "event": event })).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_delivered_three_times_is_answered_once_in_its_thread() {
    let home = TempDir::new().unwrap();
    let slack = slack_sim().await;
    let mut env = slack_env(&slack.api_url());
    env.push(("SLACK_BOT_TOKEN", "xoxb-sim-token".to_owned()));
    let server = Server::start(home.path(), &["--demo"], &refs(&env)).await;
    let challenge = serde_json::to_vec(&json!({ "type": "url_verification", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P", "token": "t" })).unwrap();
    let (status, answer, _) =
        post_signed(&server, "/slack/events", challenge, "application/json", &[]).await;
    assert_eq!(
        (status, answer["challenge"].as_str()),
        (
            200,
            Some("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P")
        )
    );
    let body = mention("Ev0SIM1", "<@U0BOT> analyze shop", &json!({}));
    let (first, answer, _) = post_signed(
        &server,
        "/slack/events",
        body.clone(),
        "application/json",
        &[],
    )
    .await;
    assert_eq!(first, 200);
    assert_eq!(answer.get("no_retry"), None);
    for n in ["1", "2"] {
        let (status, answer, _) = post_signed(
            &server,
            "/slack/events",
            body.clone(),
            "application/json",
            &[
                ("x-slack-retry-num", n),
                ("x-slack-retry-reason", "http_timeout"),
            ],
        )
        .await;
        assert_eq!(status, 200, "a retry is never refused with a 4xx");
        assert_eq!(answer["no_retry"], "1");
    }
    let own = mention(
        "Ev0SIM2",
        "<@U0BOT> analyze shop",
        &json!({ "bot_id": "B0KUBEWHY" }),
    );
    assert_eq!(
        post_signed(&server, "/slack/events", own, "application/json", &[])
            .await
            .0,
        200
    );
    let posts = slack.wait_for_posts(1, Duration::from_mins(1)).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let posts_now = slack.posts();
    assert_eq!(
        posts_now.len(),
        1,
        "one answer, none for the bot's own message: {posts:?}\n{}",
        server.log()
    );
    assert_eq!(posts_now[0].via, Via::PostMessage);
    assert_eq!(posts_now[0].thread_ts.as_deref(), Some("1700000000.000100"));
    assert!(
        texts(&posts_now[0].body).contains("namespace shop"),
        "{}",
        texts(&posts_now[0].body)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_follow_up_mention_continues_the_conversation_of_its_thread() {
    let home = TempDir::new().unwrap();
    let slack = slack_sim().await;
    let llm = LlmSim::start(LlmSimOptions {
        answer: SimAnswer::Template("answer {n}: {last_user}".to_owned()),
        ..LlmSimOptions::default()
    })
    .await
    .unwrap();
    let mut env = slack_env(&slack.api_url());
    env.push(("SLACK_BOT_TOKEN", "xoxb-sim-token".to_owned()));
    let server = demo_with_llm(home.path(), &llm, &env, &[]).await;
    let first = mention(
        "Ev0SIM3",
        "<@U0BOT> explain deploy/checkout -n shop",
        &json!({}),
    );
    assert_eq!(
        post_signed(&server, "/slack/events", first, "application/json", &[])
            .await
            .0,
        200
    );
    let answered = slack.wait_for_posts(1, Duration::from_mins(1)).await.len();
    assert!(answered >= 1, "{}", server.log());
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = slack.posts().len();
    let follow = mention(
        "Ev0SIM4",
        "<@U0BOT> would a rollback of checkout help?",
        &json!({ "ts": "1700000000.000200", "thread_ts": "1700000000.000100" }),
    );
    assert_eq!(
        post_signed(&server, "/slack/events", follow, "application/json", &[])
            .await
            .0,
        200
    );
    let posts = slack
        .wait_for_posts(before + 1, Duration::from_mins(1))
        .await;
    assert!(posts.len() > before, "{}", server.log());
    let reply = posts.last().unwrap();
    assert_eq!(reply.thread_ts.as_deref(), Some("1700000000.000100"));
    assert!(
        texts(&reply.body).contains("rollback"),
        "{}",
        texts(&reply.body)
    );
    // The follow-up carried the conversation: the model saw the question, scrubbed.
    let last = llm
        .requests()
        .last()
        .cloned()
        .expect("the follow-up reached the LLM");
    let wire = String::from_utf8_lossy(&last.body).into_owned();
    assert!(
        wire.contains("rollback") && !wire.contains("checkout"),
        "the follow-up is scrubbed: {wire}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn socket_mode_delivers_a_command_and_its_answer() {
    let home = TempDir::new().unwrap();
    let slack = slack_sim().await;
    let env = [
        ("SLACK_APP_TOKEN", "xapp-sim-token".to_owned()),
        ("SLACK_BOT_TOKEN", "xoxb-sim-token".to_owned()),
        ("KUBEWHY_SLACK_API_URL", slack.api_url()),
    ];
    let server = Server::start(home.path(), &["--demo"], &refs(&env)).await;
    assert!(
        slack.wait_for_socket(Duration::from_secs(30)).await,
        "no Socket Mode connection:\n{}",
        server.log()
    );
    let url = slack.response_url();
    let ack = slack
        .send_command(
            &fields("analyze shop", "C0OPS", &url),
            Duration::from_secs(5),
        )
        .await
        .expect("the envelope is acknowledged");
    assert!(texts(&ack).contains("working on `analyze shop`"), "{ack}");
    let posts = slack.wait_for_posts(1, Duration::from_mins(1)).await;
    assert!(!posts.is_empty(), "{}", server.log());
    assert!(texts(&posts[0].body).contains("namespace shop"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_from_a_channel_not_allowed_is_refused_and_does_no_work() {
    let home = TempDir::new().unwrap();
    let config = home.path().join("config/kubewhy");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(
        config.join("config.toml"),
        "[slack]\nallowed_channels = [\"C0OPS\"]\n",
    )
    .unwrap();
    let slack = slack_sim().await;
    let env = slack_env(&slack.api_url());
    let server = Server::start(home.path(), &["--demo"], &refs(&env)).await;
    let url = slack.response_url();
    let (status, ack, _) = command(&server, &fields("analyze", "C0ELSEWHERE", &url)).await;
    assert_eq!(
        status, 200,
        "a refusal is a polite answer, not an HTTP error"
    );
    assert!(
        texts(&ack).contains("not enabled for you in this channel"),
        "{ack}"
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(slack.posts().is_empty());
    let metrics = super::http()
        .get(format!("{}/metrics", server.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !metrics.contains("kubewhy_run_seconds_count"),
        "no analysis ran:\n{metrics}"
    );
    let (_, help, _) = command(&server, &fields("frobnicate", "C0OPS", &url)).await;
    assert!(
        texts(&help).contains("I don't understand `frobnicate`") && texts(&help).contains("Usage"),
        "{help}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_an_answer_in_flight_finish_and_posts_it_once() {
    let home = TempDir::new().unwrap();
    let slack = slack_sim().await;
    let llm = LlmSim::start(LlmSimOptions::default()).await.unwrap();
    llm.set_persistent_fault(Some(LlmFault::Delay(Duration::from_secs(3))));
    let env = slack_env(&slack.api_url());
    let server = demo_with_llm(home.path(), &llm, &env, &[]).await;
    let url = slack.response_url();
    let (status, _, _) = command(
        &server,
        &fields("explain deploy/checkout -n shop", "C0OPS", &url),
    )
    .await;
    assert_eq!(status, 200);
    let log = server.stop().await;
    let posts = slack.posts();
    assert_eq!(
        posts.len(),
        1,
        "the answer in flight was delivered, once: {posts:?}\n{log}"
    );
    assert!(texts(&posts[0].body).contains("checkout"));
    assert!(log.contains("shutting down"), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slack_failures_are_retried_or_reported_and_the_server_stays_up() {
    let home = TempDir::new().unwrap();
    let slack = slack_sim().await;
    let env = slack_env(&slack.api_url());
    let server = Server::start(home.path(), &["--demo"], &refs(&env)).await;
    // A 500, then success: the answer arrives.
    slack.inject(
        kubewhy_sim::slack::Target::ResponseUrl,
        kubewhy_sim::slack::SlackFault::ServerError,
        1,
    );
    let url = slack.response_url();
    assert_eq!(
        command(&server, &fields("analyze shop", "C0OPS", &url))
            .await
            .0,
        200
    );
    assert_eq!(
        slack.wait_for_posts(1, Duration::from_secs(30)).await.len(),
        1,
        "{}",
        server.log()
    );
    // An expired response_url: nothing to deliver to, said in the log, and the next command works.
    slack.inject(
        kubewhy_sim::slack::Target::ResponseUrl,
        kubewhy_sim::slack::SlackFault::Expired,
        1,
    );
    let url = slack.response_url();
    assert_eq!(
        command(&server, &fields("analyze monitoring", "C0OPS", &url))
            .await
            .0,
        200
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !server.log().contains("expired_url") && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(server.log().contains("expired_url"), "{}", server.log());
    let url = slack.response_url();
    assert_eq!(
        command(&server, &fields("analyze", "C0OPS", &url)).await.0,
        200
    );
    assert_eq!(
        slack.wait_for_posts(2, Duration::from_secs(30)).await.len(),
        2
    );
    assert!(
        !server.log().contains("/commands/T0SIM"),
        "response URLs are not logged"
    );
}
