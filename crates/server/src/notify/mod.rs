//! `--watch`: analyze every interval and post what changed to a channel. With a bot token, one
//! thread per issue: the first post opens it, a change (severity, objects) is replied in it and
//! updates its first message, "resolved" closes it. With an incoming webhook only, each change
//! is a new message naming the fingerprint. Deduplicated by fingerprint, never by text; what
//! was posted is kept in the store, so a restart posts nothing twice. A burst (a node going
//! down) is one message listing the new issues, not fifty.

pub mod store;

use std::{collections::HashMap, sync::Arc, time::Duration};

use kubewhy_model::{Issue, Severity};
use kubewhy_report::slack as blocks;
use tracing::{info, warn};

use self::store::{Posted, Store};
use crate::{
    App,
    slack::client::Destination,
    work::{Analysis, Request},
};

/// More new issues than this in one cycle are posted as one message.
const BURST: usize = 5;

/// What `--watch` posts, and where.
#[derive(Debug, Clone)]
pub struct NotifyOptions {
    /// How often to analyze.
    pub interval: Duration,
    /// The channel, for the bot token; the webhook posts to its own.
    pub channel: Option<String>,
    /// Issues below this are not posted.
    pub min_severity: Severity,
    /// Only these namespaces; empty for all.
    pub namespaces: Vec<String>,
}

/// Analyzes every interval until shutdown, posting changes when a destination is configured.
pub async fn watch(app: Arc<App>, options: NotifyOptions, store: Option<Arc<Store>>) {
    let mut ticker = tokio::time::interval(options.interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            () = app.shutdown.cancelled() => return,
        }
        let analysis = match app
            .work
            .refresh(&Request::Analyze { namespace: None })
            .await
        {
            Ok(analysis) => analysis,
            Err(e) => {
                warn!("watch: {e}");
                continue;
            }
        };
        app.metrics.inc("kubewhy_watch_cycles_total", &[]);
        if let Some(store) = &store {
            // One cycle at a time, and a shutdown waits for it: nothing is posted twice.
            let (app, options, store) = (Arc::clone(&app), options.clone(), Arc::clone(store));
            let cycle = app
                .tasks
                .clone()
                .spawn(async move { cycle(&app, &analysis, &options, &store).await });
            let _ = cycle.await;
        }
    }
}

/// Where notifications go, if anywhere.
fn destination(app: &App, options: &NotifyOptions) -> Option<(String, bool)> {
    let client = &app.slack.as_ref()?.client;
    match &options.channel {
        Some(channel) if client.has_bot() => Some((channel.clone(), true)),
        _ if client.has_webhook() => Some(("webhook".to_owned(), false)),
        _ => None,
    }
}

async fn cycle(app: &App, analysis: &Arc<Analysis>, options: &NotifyOptions, store: &Store) {
    let Some((channel, threads)) = destination(app, options) else {
        return;
    };
    let posted: HashMap<String, Posted> = match store.all() {
        Ok(all) => all.into_iter().collect(),
        Err(e) => return warn!("watch: nothing posted: {e}"),
    };
    let current: Vec<&Issue> = analysis
        .report
        .issues
        .iter()
        .filter(|i| i.severity >= options.min_severity)
        .filter(|i| {
            options.namespaces.is_empty()
                || i.root
                    .namespace
                    .as_ref()
                    .is_some_and(|ns| options.namespaces.contains(ns))
        })
        .collect();
    let mut new = Vec::new();
    let mut changed = Vec::new();
    for issue in &current {
        match posted.get(&issue.fingerprint.to_string()) {
            Some(p) if !p.resolved => {
                if p.severity != issue.severity.as_str() || p.objects != issue.objects.len() {
                    changed.push((*issue, p.clone()));
                }
            }
            _ => new.push(*issue),
        }
    }
    let live: std::collections::HashSet<String> =
        current.iter().map(|i| i.fingerprint.to_string()).collect();
    let resolved: Vec<(String, Posted)> = posted
        .into_iter()
        .filter(|(fp, p)| !p.resolved && p.channel == channel && !live.contains(fp))
        .collect();
    if !(new.is_empty() && changed.is_empty() && resolved.is_empty()) {
        info!(
            new = new.len(),
            changed = changed.len(),
            resolved = resolved.len(),
            "watch: posting changes"
        );
    }
    let notifier = Notifier {
        app,
        analysis,
        channel: &channel,
        threads,
        store,
    };
    notifier.post_new(&new).await;
    for (issue, before) in changed {
        notifier.post_change(issue, before).await;
    }
    for (fingerprint, before) in resolved {
        notifier.post_resolved(&fingerprint, before).await;
    }
}

struct Notifier<'a> {
    app: &'a App,
    analysis: &'a Arc<Analysis>,
    channel: &'a str,
    threads: bool,
    store: &'a Store,
}

impl Notifier<'_> {
    async fn send(
        &self,
        thread: Option<&str>,
        render: impl Fn(blocks::Budget) -> Vec<blocks::Message>,
    ) -> Result<Option<String>, String> {
        let Some(slack) = self.app.slack.as_ref() else {
            return Err("Slack is not configured".into());
        };
        let sealed = self
            .app
            .seal_for(self.channel, Some(self.analysis), render)
            .map_err(|e| e.to_string())?;
        let to = if self.threads {
            Destination::Channel {
                channel: self.channel.to_owned(),
                thread_ts: thread.map(str::to_owned),
            }
        } else {
            Destination::Webhook
        };
        slack
            .client
            .post_all(&to, &sealed)
            .await
            .map_err(|e| e.to_string())
    }

    fn record(&self, issue: &Issue, ts: Option<String>, batched: bool) {
        let posted = Posted {
            channel: self.channel.to_owned(),
            ts: ts.clone(),
            title: issue.title.clone(),
            severity: issue.severity.as_str().to_owned(),
            objects: issue.objects.len(),
            resolved: false,
            batched,
        };
        if let Err(e) = self.store.put(&issue.fingerprint.to_string(), &posted) {
            warn!("watch: {e}");
        }
        if let (Some(ts), Some(slack), false) = (ts, self.app.slack.as_ref(), batched) {
            slack.open_thread(self.channel, &ts, issue, self.analysis);
        }
    }

    async fn post_new(&self, new: &[&Issue]) {
        if new.len() > BURST {
            match self
                .send(None, |budget| vec![blocks::batch(new, budget)])
                .await
            {
                Ok(ts) => new
                    .iter()
                    .for_each(|issue| self.record(issue, ts.clone(), true)),
                Err(e) => warn!("watch: {e}"),
            }
            return;
        }
        for issue in new {
            match self
                .send(None, |budget| {
                    vec![blocks::notification(issue, "new", budget)]
                })
                .await
            {
                Ok(ts) => self.record(issue, ts, false),
                Err(e) => warn!("watch: {e}"),
            }
        }
    }

    async fn post_change(&self, issue: &Issue, before: Posted) {
        let change = if before.severity == issue.severity.as_str() {
            format!(
                "now on {} objects (was {})",
                issue.objects.len(),
                before.objects
            )
        } else {
            format!("now {} (was {})", issue.severity.as_str(), before.severity)
        };
        match self
            .send(before.ts.as_deref(), |budget| {
                vec![blocks::notification(issue, &change, budget)]
            })
            .await
        {
            Ok(_) => {
                if !before.batched {
                    self.update_first(before.ts.as_deref(), |budget| {
                        vec![blocks::notification(issue, "open", budget)]
                    })
                    .await;
                }
                self.record(issue, before.ts.clone(), before.batched);
            }
            Err(e) => warn!("watch: {e}"),
        }
    }

    async fn post_resolved(&self, fingerprint: &str, before: Posted) {
        let message = |_: blocks::Budget| vec![blocks::resolved(fingerprint, &before.title)];
        match self.send(before.ts.as_deref(), message).await {
            Ok(_) => {
                if !before.batched {
                    self.update_first(before.ts.as_deref(), message).await;
                }
                let closed = Posted {
                    resolved: true,
                    ..before.clone()
                };
                if let Err(e) = self.store.put(fingerprint, &closed) {
                    warn!("watch: {e}");
                }
            }
            Err(e) => warn!("watch: {e}"),
        }
    }

    /// With threads, the first message of the thread shows the issue's state.
    async fn update_first(
        &self,
        ts: Option<&str>,
        render: impl Fn(blocks::Budget) -> Vec<blocks::Message>,
    ) {
        let (Some(ts), true, Some(slack)) = (ts, self.threads, self.app.slack.as_ref()) else {
            return;
        };
        match self.app.seal_for(self.channel, Some(self.analysis), render) {
            Ok(sealed) => {
                if let Some(first) = sealed.first()
                    && let Err(e) = slack.client.update(self.channel, ts, first).await
                {
                    warn!("watch: {e}");
                }
            }
            Err(e) => warn!("watch: {e}"),
        }
    }
}
