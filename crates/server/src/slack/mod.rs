//! Slack: slash commands at `/slack/commands`, the Events API at `/slack/events`, Socket Mode
//! for clusters that take no inbound traffic, and the notifications of `--watch`. The same
//! handlers serve both transports. Every request is verified before anything is parsed, a
//! command is acknowledged at once and answered in the background through `response_url`,
//! and everything posted passes the anonymizer under the channel's policy.

pub mod client;
pub mod command;
mod events;
pub mod socket;
mod threads;
pub mod verify;

use std::sync::Arc;

use axum::{
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use kubewhy_report::slack::{self as blocks, Budget, Message};
use kubewhy_scrub::Scrubbed;
use serde_json::Value;
use tracing::{info, warn};

pub use events::events;

use self::{
    client::{Destination, SlackClient},
    command::{Command, SlashCommand, USAGE},
    threads::Threads,
    verify::Verifier,
};
use crate::{
    App,
    outbound::{SealError, scrubber, seal},
    settings::SlackSettings,
    work::{Analysis, WorkError},
};

/// How many posts a `response_url` takes.
const RESPONSE_URL_POSTS: usize = 5;

/// Slack's part of the server.
#[derive(Debug)]
pub struct Slack {
    verifier: Option<Verifier>,
    /// Posts messages.
    pub client: SlackClient,
    settings: SlackSettings,
    events: events::Seen,
    threads: Threads,
}

impl Slack {
    /// Slack with a signing secret (HTTP transport) or none (Socket Mode only).
    #[must_use]
    pub fn new(verifier: Option<Verifier>, client: SlackClient, settings: SlackSettings) -> Self {
        Self {
            verifier,
            client,
            settings,
            events: events::Seen::default(),
            threads: Threads::default(),
        }
    }

    /// Remembers that the thread `ts` is about `issue`, for follow-up mentions.
    pub fn open_thread(
        &self,
        channel: &str,
        ts: &str,
        issue: &kubewhy_model::Issue,
        analysis: &Arc<Analysis>,
    ) {
        let thread = threads::Thread {
            issue: issue.clone(),
            explanation: issue.explanation.as_ref().map(|e| e.text.clone()),
            history: Vec::new(),
            analysis: Arc::clone(analysis),
        };
        self.threads.open(channel, ts, thread);
    }

    /// The access and naming settings.
    #[must_use]
    pub fn settings(&self) -> &SlackSettings {
        &self.settings
    }
}

/// `POST /slack/commands`.
pub async fn commands(State(app): State<Arc<App>>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(slack) = app.slack.as_ref() else {
        return (StatusCode::NOT_FOUND, "Slack is not configured").into_response();
    };
    let Some(verifier) = slack.verifier.as_ref() else {
        return (StatusCode::NOT_FOUND, "SLACK_SIGNING_SECRET is not set").into_response();
    };
    if let Err(rejected) = verifier.verify(&headers, &body, now(), true) {
        app.metrics.inc(
            "kubewhy_slack_rejected_total",
            &[("reason", rejected.status().as_str())],
        );
        warn!("refused a Slack command: {rejected}");
        return (rejected.status(), rejected.to_string()).into_response();
    }
    let command = match SlashCommand::from_form(&body) {
        Ok(command) => command,
        Err(error) => {
            warn!("refused a Slack command: {error}");
            return (StatusCode::BAD_REQUEST, error).into_response();
        }
    };
    let ack = acknowledge(&app, command);
    axum::Json(ack).into_response()
}

/// Answers a slash command at once (the acknowledgement, as JSON for Slack) and starts the work
/// it asks for. Shared by HTTP and Socket Mode.
pub fn acknowledge(app: &Arc<App>, asked: SlashCommand) -> Value {
    let Some(slack) = app.slack.as_ref() else {
        return Value::Null;
    };
    app.metrics.inc("kubewhy_slack_commands_total", &[]);
    let channel = asked.channel_id.clone();
    if !slack.settings.allows(&asked.channel_id, &asked.user_id) {
        info!(user = %asked.user_id, channel = %asked.channel_id, "refused a command: not allowed here");
        app.metrics.inc("kubewhy_slack_refused_total", &[]);
        return ephemeral(
            app,
            &channel,
            &blocks::notice(
                "Sorry, kubewhy is not enabled for you in this channel. An admin can add the channel to `[slack] allowed_channels` (and you to `allowed_users`) in kubewhy's config.",
            ),
        );
    }
    let command = match Command::parse(&asked.text) {
        Ok(command) => command,
        Err(error) => {
            return ephemeral(app, &channel, &blocks::notice(&format!("{error}\n{USAGE}")));
        }
    };
    info!(user = %asked.user_id, channel = %asked.channel_id, command = %command.describe(), "slash command");
    let request = match (&command, command.request()) {
        (_, Some(request)) => request,
        (Command::Checks { id }, None) => return checks(app, &asked, id.as_deref()),
        (_, None) => return ephemeral(app, &channel, &blocks::notice(USAGE)),
    };
    if app.shutdown.is_cancelled() {
        return ephemeral(
            app,
            &channel,
            &blocks::notice(&WorkError::ShuttingDown.to_string()),
        );
    }
    let pending = match app.work.admit(&request) {
        Ok(pending) => pending,
        Err(busy) => {
            return ephemeral(
                app,
                &channel,
                &blocks::notice(&format!(":hourglass: {busy}")),
            );
        }
    };
    let describe = command.describe();
    let this = Arc::clone(app);
    app.tasks.spawn(async move {
        let result = pending.await;
        this.deliver_command(&asked, &command, result).await;
    });
    ephemeral(
        app,
        &channel,
        &blocks::notice(&format!(":mag: working on `{describe}`…")),
    )
}

/// `/kubewhy checks [ID]`: answered in the acknowledgement when it fits, else through
/// `response_url`.
fn checks(app: &Arc<App>, asked: &SlashCommand, id: Option<&str>) -> Value {
    let (title, text) = match id {
        Some(id) => match kubewhy_report::checks::doc(id) {
            Ok(doc) => (format!("kubewhy check {id}"), doc),
            Err(e) => return ephemeral(app, &asked.channel_id, &blocks::notice(&e.to_string())),
        },
        None => ("kubewhy checks".to_owned(), kubewhy_report::checks::table()),
    };
    let render = |budget: Budget| blocks::long_code(&title, &text, budget);
    let sealed = match app.seal_for(&asked.channel_id, None, render) {
        Ok(sealed) => sealed,
        Err(e) => return ephemeral(app, &asked.channel_id, &blocks::notice(&e.to_string())),
    };
    if sealed.len() == 1 {
        return sealed[0].as_json().cloned().unwrap_or(Value::Null);
    }
    let this = Arc::clone(app);
    let url = asked.response_url.clone();
    app.tasks.spawn(async move {
        for message in sealed.iter().take(RESPONSE_URL_POSTS) {
            let to = Destination::Response {
                url: url.clone(),
                ephemeral: true,
            };
            if let Some(slack) = &this.slack
                && let Err(e) = slack.client.post(&to, message).await
            {
                warn!("{e}");
            }
        }
    });
    ephemeral(
        app,
        &asked.channel_id,
        &blocks::notice(":books: the checks follow."),
    )
}

impl App {
    /// Renders and scrubs messages for `channel` under its policy, against the names of
    /// `analysis` (or none).
    pub(crate) fn seal_for(
        &self,
        channel: &str,
        analysis: Option<&Analysis>,
        render: impl Fn(Budget) -> Vec<Message>,
    ) -> Result<Vec<Scrubbed>, SealError> {
        let policy = self
            .slack
            .as_ref()
            .map(|s| s.settings.policy(channel))
            .unwrap_or_default();
        let mut scrubber = scrubber(analysis, policy, &self.scrub)?;
        seal(&mut scrubber, render)
    }

    async fn deliver_command(
        &self,
        asked: &SlashCommand,
        command: &Command,
        result: Result<Arc<Analysis>, WorkError>,
    ) {
        let Some(slack) = self.slack.as_ref() else {
            return;
        };
        let channel = &asked.channel_id;
        let sealed = match &result {
            Ok(analysis) => {
                let fingerprints: Vec<String> = analysis
                    .report
                    .issues
                    .iter()
                    .map(|i| i.fingerprint.to_string())
                    .collect();
                info!(user = %asked.user_id, channel = %channel, command = %command.describe(), fingerprints = ?fingerprints, "answered");
                self.seal_for(channel, Some(analysis), |budget| {
                    render(analysis, command, budget)
                })
            }
            Err(error) => self.seal_for(channel, None, |_| {
                vec![blocks::notice(&format!(":warning: {error}"))]
            }),
        };
        let sealed = match sealed {
            Ok(sealed) => sealed,
            Err(e) => {
                warn!(channel = %channel, "nothing was posted: {e}");
                match self.seal_for(channel, None, |_| {
                    vec![blocks::notice(&format!(":warning: {e}"))]
                }) {
                    Ok(sealed) => sealed,
                    Err(_) => return,
                }
            }
        };
        let ephemeral = result.is_err();
        if let Err(e) = post_all(&slack.client, asked, &sealed, ephemeral, self).await {
            warn!(channel = %channel, "{e}");
        }
    }
}

/// Renders an analysis for a command.
fn render(analysis: &Analysis, command: &Command, budget: Budget) -> Vec<Message> {
    match command {
        Command::Explain {
            kind,
            name,
            namespace,
        } => {
            let target = match namespace {
                Some(ns) => format!("{kind}/{name} -n {ns}"),
                None => format!("{kind}/{name}"),
            };
            blocks::explanation(&analysis.report, &target, budget)
        }
        Command::Analyze { namespace } => {
            let scope = namespace
                .as_deref()
                .map_or_else(|| "the cluster".to_owned(), |ns| format!("namespace {ns}"));
            vec![blocks::summary(&analysis.report, &scope, budget)]
        }
        Command::Checks { .. } | Command::Help => vec![blocks::notice(USAGE)],
    }
}

/// Posts an answer: through `response_url` when it fits its five posts; otherwise, with a bot
/// token, as a message and a thread under it; otherwise four parts and a note of what is left.
async fn post_all(
    client: &SlackClient,
    asked: &SlashCommand,
    sealed: &[Scrubbed],
    ephemeral: bool,
    app: &App,
) -> Result<(), client::SlackError> {
    let response = Destination::Response {
        url: asked.response_url.clone(),
        ephemeral,
    };
    if sealed.len() <= RESPONSE_URL_POSTS {
        return client.post_all(&response, sealed).await.map(|_| ());
    }
    if client.has_bot() {
        let channel = |thread_ts| Destination::Channel {
            channel: asked.channel_id.clone(),
            thread_ts,
        };
        let first = client.post(&channel(None), &sealed[0]).await?;
        return client
            .post_all(&channel(first), &sealed[1..])
            .await
            .map(|_| ());
    }
    client
        .post_all(&response, &sealed[..RESPONSE_URL_POSTS - 1])
        .await?;
    let left = sealed.len() - (RESPONSE_URL_POSTS - 1);
    let note = app
        .seal_for(&asked.channel_id, None, |_| {
            vec![blocks::notice(&format!(
                "{left} more parts of this answer do not fit a slash command's five replies; with a bot token (SLACK_BOT_TOKEN) kubewhy continues in a thread, or run the same command with the `kubewhy` CLI."
            ))]
        })
        .map_err(|e| client::SlackError::Refused { method: "response_url", message: e.to_string() })?;
    client.post(&response, &note[0]).await.map(|_| ())
}

/// An acknowledgement only the asker sees, scrubbed for the channel.
fn ephemeral(app: &App, channel: &str, message: &Message) -> Value {
    let mut sealed = match app.seal_for(channel, None, |_| vec![message.clone()]) {
        Ok(sealed) => sealed
            .into_iter()
            .next()
            .and_then(|s| s.as_json().cloned())
            .unwrap_or(Value::Null),
        Err(e) => {
            warn!("an acknowledgement was not sent: {e}");
            serde_json::json!({ "text": "kubewhy could not prepare its answer; see its log." })
        }
    };
    sealed["response_type"] = Value::String("ephemeral".to_owned());
    sealed
}

/// Unix time now.
pub(crate) fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}
