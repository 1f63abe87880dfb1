//! The Events API: `url_verification`, and `app_mention`s answered in their thread. Each event
//! is acknowledged at once and handled in the background; an `event_id` already handled (a
//! retry) gets HTTP 200 with `X-Slack-No-Retry: 1` and no work, never a 4xx, since Slack
//! disables apps whose deliveries keep failing. The bot's own messages are ignored.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, PoisonError},
    time::{Duration, Instant},
};

use axum::{
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use futures::StreamExt;
use kubewhy_engine::assistant::{Conversation, Reply};
use kubewhy_report::slack as blocks;
use serde_json::Value;
use tracing::{info, warn};

use super::{
    client::Destination,
    command::{Command, USAGE},
    threads::Thread,
};
use crate::App;

/// How long an `event_id` is remembered: past Slack's last retry, after 5 minutes.
const REMEMBER: Duration = Duration::from_hours(1);

/// Event ids already taken.
#[derive(Debug, Default)]
pub struct Seen(Mutex<HashMap<String, Instant>>);

impl Seen {
    /// Whether `id` is new; it is remembered from now on.
    pub fn first_time(&self, id: &str) -> bool {
        let mut seen = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if seen.len() > 10_000 {
            seen.retain(|_, at| at.elapsed() < REMEMBER);
        }
        seen.insert(id.to_owned(), Instant::now()).is_none()
    }
}

/// `POST /slack/events`.
pub async fn events(State(app): State<Arc<App>>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(verifier) = app.slack.as_ref().and_then(|s| s.verifier.as_ref()) else {
        return (StatusCode::NOT_FOUND, "SLACK_SIGNING_SECRET is not set").into_response();
    };
    if let Err(rejected) = verifier.verify(&headers, &body, super::now(), false) {
        app.metrics.inc(
            "kubewhy_slack_rejected_total",
            &[("reason", rejected.status().as_str())],
        );
        warn!("refused a Slack event: {rejected}");
        return (rejected.status(), rejected.to_string()).into_response();
    }
    let Ok(payload) = serde_json::from_slice::<Value>(&body) else {
        return (StatusCode::BAD_REQUEST, "the event is not JSON").into_response();
    };
    if payload["type"] == "url_verification" {
        let challenge = payload["challenge"].as_str().unwrap_or_default().to_owned();
        return axum::Json(serde_json::json!({ "challenge": challenge })).into_response();
    }
    if receive(&app, &payload) {
        StatusCode::OK.into_response()
    } else {
        (StatusCode::OK, [("x-slack-no-retry", "1")]).into_response()
    }
}

/// Takes an `event_callback` (from HTTP or Socket Mode) and handles it in the background.
/// Returns false when it was a retry of an event already taken.
pub fn receive(app: &Arc<App>, payload: &Value) -> bool {
    let Some(slack) = app.slack.as_ref() else {
        return true;
    };
    let id = payload["event_id"].as_str().unwrap_or_default().to_owned();
    if !id.is_empty() && !slack.events.first_time(&id) {
        app.metrics.inc("kubewhy_slack_event_retries_total", &[]);
        return false;
    }
    let event = payload["event"].clone();
    let own = event.get("bot_id").is_some() || event["subtype"] == "bot_message";
    if event["type"] != "app_mention" || own {
        return true;
    }
    let this = Arc::clone(app);
    app.tasks.spawn(async move { this.mention(&event).await });
    true
}

impl App {
    async fn mention(&self, event: &Value) {
        let Some(slack) = self.slack.as_ref() else {
            return;
        };
        let field = |k: &str| event[k].as_str().unwrap_or_default().to_owned();
        let (channel, user, ts) = (field("channel"), field("user"), field("ts"));
        let root = event["thread_ts"]
            .as_str()
            .map_or_else(|| ts.clone(), str::to_owned);
        let question = strip_mentions(&field("text"));
        let to = Destination::Channel {
            channel: channel.clone(),
            thread_ts: Some(root.clone()),
        };
        if !slack.settings.allows(&channel, &user) {
            info!(user = %user, channel = %channel, "refused a mention: not allowed here");
            self.reply(
                &to,
                &channel,
                "Sorry, kubewhy is not enabled for you in this channel.",
            )
            .await;
            return;
        }
        if let Some(thread) = slack.threads.get(&channel, &root) {
            info!(user = %user, channel = %channel, fingerprint = %thread.issue.fingerprint, "follow-up");
            let answer = self.follow_up(&thread, &question).await;
            self.reply_about(&to, &channel, Some(&thread.analysis), &answer)
                .await;
            slack.threads.record(&channel, &root, question, answer);
            return;
        }
        let command = match Command::parse(&question) {
            Ok(Command::Help) | Err(_) => {
                self.reply(&to, &channel, &format!("Ask me to `analyze` or `explain` something, or mention me in the thread of an issue I posted.\n{USAGE}")).await;
                return;
            }
            Ok(command) => command,
        };
        info!(user = %user, channel = %channel, command = %command.describe(), "mention");
        let Some(request) = command.request() else {
            self.reply(&to, &channel, "Use `/kubewhy checks` for the checks.")
                .await;
            return;
        };
        let analysis = match self.work.answer(&request).await {
            Ok(a) => a,
            Err(e) => return self.reply(&to, &channel, &format!(":warning: {e}")).await,
        };
        let sealed = self.seal_for(&channel, Some(&analysis), |b| {
            super::render(&analysis, &command, b)
        });
        match sealed {
            Ok(sealed) => {
                if let Err(e) = slack.client.post_all(&to, &sealed).await {
                    warn!(channel = %channel, "{e}");
                    return;
                }
            }
            Err(e) => return self.reply(&to, &channel, &format!(":warning: {e}")).await,
        }
        if let (Command::Explain { .. }, Some(issue)) = (&command, analysis.report.issues.first()) {
            let explanation = issue.explanation.as_ref().map(|e| e.text.clone());
            slack.threads.open(
                &channel,
                &root,
                Thread {
                    issue: issue.clone(),
                    explanation,
                    history: Vec::new(),
                    analysis: Arc::clone(&analysis),
                },
            );
        }
    }

    /// A follow-up question about a thread's issue, through the assistant's chat prompt.
    async fn follow_up(&self, thread: &Thread, question: &str) -> String {
        match self.work.engine().await {
            Ok(engine) => self.assistant.attach(&engine),
            Err(e) => return format!(":warning: {e}"),
        }
        let conversation = Conversation {
            issue: thread.issue.clone(),
            explanation: thread.explanation.clone(),
            history: thread.history.clone(),
            question: question.to_owned(),
        };
        let mut replies = self.assistant.chat(conversation);
        while let Some(reply) = replies.next().await {
            match reply {
                Reply::Done(answered) => return answered.text,
                Reply::Failed { error, offline } => {
                    return offline.map_or_else(
                        || format!(":warning: {error}"),
                        |o| format!("{o}\n_(offline answer: {error})_"),
                    );
                }
                Reply::Delta(_) | Reply::Preview(_) => {}
            }
        }
        ":warning: no answer came back".to_owned()
    }

    /// Posts `text` to `to`, scrubbed for the channel.
    pub(crate) async fn reply(&self, to: &Destination, channel: &str, text: &str) {
        self.reply_about(to, channel, None, text).await;
    }

    /// Posts `text` to `to`, scrubbed for the channel against the names of `analysis`.
    pub(crate) async fn reply_about(
        &self,
        to: &Destination,
        channel: &str,
        analysis: Option<&crate::work::Analysis>,
        text: &str,
    ) {
        let Some(slack) = self.slack.as_ref() else {
            return;
        };
        let sealed = self.seal_for(channel, analysis, |budget| {
            blocks::long_text("kubewhy", text, budget)
        });
        match sealed {
            Ok(sealed) => {
                if let Err(e) = slack.client.post_all(to, &sealed).await {
                    warn!(channel = %channel, "{e}");
                }
            }
            Err(e) => warn!(channel = %channel, "nothing was posted: {e}"),
        }
    }
}

/// The text of a mention without the `<@U123>` mentions.
fn strip_mentions(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("<@") {
        out.push_str(&rest[..start]);
        match rest[start..].find('>') {
            Some(end) => rest = &rest[start + end + 1..],
            None => {
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    #[test]
    fn mentions_are_stripped() {
        assert_eq!(
            super::strip_mentions("<@U1> explain  deploy/web -n shop"),
            "explain deploy/web -n shop"
        );
        assert_eq!(super::strip_mentions("why? <@U1"), "why?");
    }
}
