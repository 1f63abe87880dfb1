//! A load generator for `kubewhy serve`: slash commands signed as Slack signs them, sent at a
//! fixed rate, each with its own `response_url` on a [`SlackSim`], then a wait until every
//! accepted command's answer has arrived. It measures what Slack would: how long each
//! acknowledgement took, how many were "busy", how many failed, and how long the answers took
//! to drain.

use std::{
    collections::HashSet,
    sync::{Arc, Mutex, PoisonError},
    time::{Duration, Instant},
};

use serde_json::Value;

use super::{SlackSim, Via, signed_headers};

/// What to send.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// The server's base URL (`http://127.0.0.1:8080`).
    pub server: String,
    /// The signing secret.
    pub secret: String,
    /// Commands per second.
    pub rate: u32,
    /// For how long.
    pub duration: Duration,
    /// The texts after `/kubewhy`, used in turn.
    pub commands: Vec<String>,
    /// How long to wait for the answers after the last command.
    pub drain_timeout: Duration,
}

/// What happened.
#[derive(Debug, Clone, Default)]
pub struct LoadReport {
    /// Commands sent.
    pub sent: usize,
    /// Acknowledged as taken ("working on it").
    pub accepted: usize,
    /// Acknowledged as busy, with a time to retry.
    pub busy: usize,
    /// Anything else: a status other than 200, no answer, an unexpected body.
    pub errors: Vec<String>,
    /// Acknowledgement latencies, sorted.
    pub latencies: Vec<Duration>,
    /// Accepted commands whose answer arrived.
    pub delivered: usize,
    /// From the last command sent to the last answer received.
    pub drain: Duration,
}

impl LoadReport {
    /// The latency below which `p` percent of acknowledgements came.
    #[must_use]
    pub fn percentile(&self, p: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        // An index into a short list: precision is not at stake.
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss
        )]
        let i = ((self.latencies.len() as f64 - 1.0) * p / 100.0).round() as usize;
        self.latencies[i.min(self.latencies.len() - 1)]
    }
}

#[derive(Default)]
struct Tally {
    accepted: HashSet<String>,
    busy: usize,
    errors: Vec<String>,
    latencies: Vec<Duration>,
}

/// Sends the load and waits for the answers.
pub async fn run(slack: &SlackSim, options: &LoadOptions) -> LoadReport {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()
        .unwrap_or_default();
    let tally = Arc::new(Mutex::new(Tally::default()));
    let total =
        usize::try_from(u64::from(options.rate) * options.duration.as_secs()).unwrap_or(usize::MAX);
    let mut ticker = tokio::time::interval(Duration::from_secs(1) / options.rate.max(1));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut tasks = Vec::with_capacity(total);
    for n in 0..total {
        ticker.tick().await;
        let url = slack.response_url();
        let text = options.commands[n % options.commands.len().max(1)].clone();
        let (client, tally, server, secret) = (
            client.clone(),
            Arc::clone(&tally),
            options.server.clone(),
            options.secret.clone(),
        );
        tasks.push(tokio::spawn(async move {
            one(&client, &server, &secret, &text, &url, &tally).await;
        }));
    }
    for task in tasks {
        let _ = task.await;
    }
    let sent_all = Instant::now();
    let accepted = tally
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .accepted
        .clone();
    let delivered = |posts: &[super::Post]| {
        posts
            .iter()
            .filter(|p| matches!(&p.via, Via::ResponseUrl(id) if accepted.contains(id)))
            .map(|p| match &p.via {
                Via::ResponseUrl(id) => id.clone(),
                _ => String::new(),
            })
            .collect::<HashSet<_>>()
            .len()
    };
    let deadline = sent_all + options.drain_timeout;
    while delivered(&slack.posts()) < accepted.len() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let drain = sent_all.elapsed();
    let mut tally = std::mem::take(&mut *tally.lock().unwrap_or_else(PoisonError::into_inner));
    tally.latencies.sort();
    LoadReport {
        sent: total,
        accepted: accepted.len(),
        busy: tally.busy,
        errors: tally.errors,
        latencies: tally.latencies,
        delivered: delivered(&slack.posts()),
        drain,
    }
}

async fn one(
    client: &reqwest::Client,
    server: &str,
    secret: &str,
    text: &str,
    url: &str,
    tally: &Mutex<Tally>,
) {
    let fields = [
        ("team_id", "T0SIM"),
        ("channel_id", "C0LOAD"),
        ("user_id", "U0LOAD"),
        ("command", "/kubewhy"),
        ("text", text),
        ("response_url", url),
    ];
    let body = serde_urlencoded::to_string(fields).unwrap_or_default();
    let mut request = client
        .post(format!("{server}/slack/commands"))
        .header("content-type", "application/x-www-form-urlencoded");
    for (k, v) in signed_headers(secret, body.as_bytes()) {
        request = request.header(k, v);
    }
    let started = Instant::now();
    let answer = request.body(body).send().await;
    let took = started.elapsed();
    let outcome = match answer {
        Ok(r) if r.status().is_success() => r
            .json::<Value>()
            .await
            .map_err(|e| format!("the ack is not JSON: {e}")),
        Ok(r) => Err(format!("HTTP {}", r.status())),
        Err(e) => Err(format!("no answer: {e}")),
    };
    let mut tally = tally.lock().unwrap_or_else(PoisonError::into_inner);
    tally.latencies.push(took);
    match outcome {
        Ok(ack) => {
            let text = ack["text"].as_str().unwrap_or_default();
            if text.contains("working on") {
                let id = url.split_once("/commands/").map_or("", |(_, id)| id);
                tally.accepted.insert(id.to_owned());
            } else if text.contains("busy") {
                tally.busy += 1;
            } else {
                tally.errors.push(format!("unexpected ack: {text}"));
            }
        }
        Err(e) => tally.errors.push(e),
    }
}
