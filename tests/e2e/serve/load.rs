//! The smoke variant of the load benchmark (`cargo bench -p kubewhy-cli --bench slack_load`):
//! a few seconds of signed commands while the LLM is slow. Every command is acknowledged,
//! none fails, and every accepted command's answer is delivered.

use std::time::Duration;

use kubewhy_sim::{
    LlmFault, LlmSim, LlmSimOptions,
    slack::load::{LoadOptions, run},
};
use tempfile::TempDir;

use super::{SECRET, Server, slack_sim};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn load_smoke_every_accepted_command_is_answered() {
    let home = TempDir::new().unwrap();
    let slack = slack_sim().await;
    let llm = LlmSim::start(LlmSimOptions::default()).await.unwrap();
    llm.set_persistent_fault(Some(LlmFault::Delay(Duration::from_secs(2))));
    let base = format!("{}/v1", llm.url());
    let api = slack.api_url();
    let env = [
        ("SLACK_SIGNING_SECRET", SECRET),
        ("KUBEWHY_SLACK_API_URL", api.as_str()),
    ];
    let server = Server::start(
        home.path(),
        &[
            "--demo",
            "--backend",
            "local",
            "--model",
            "any",
            "--base-url",
            &base,
            "--queue",
            "3",
        ],
        &env,
    )
    .await;
    let options = LoadOptions {
        server: server.url.clone(),
        secret: SECRET.to_owned(),
        rate: 20,
        duration: Duration::from_secs(5),
        commands: [
            "analyze",
            "analyze shop",
            "explain deploy/checkout -n shop",
            "explain deploy/accounts -n shop",
            "explain deploy/frontend -n shop",
        ]
        .map(str::to_owned)
        .to_vec(),
        drain_timeout: Duration::from_secs(40),
    };
    let report = run(&slack, &options).await;
    eprintln!(
        "sent {} accepted {} busy {} p50 {:?} p99 {:?} delivered {} drain {:?}",
        report.sent,
        report.accepted,
        report.busy,
        report.percentile(50.0),
        report.percentile(99.0),
        report.delivered,
        report.drain
    );
    assert_eq!(report.errors, Vec::<String>::new(), "{}", server.log());
    assert_eq!(report.accepted + report.busy, report.sent);
    assert!(
        report.accepted > report.sent / 2,
        "identical commands share their run: {report:?}"
    );
    assert_eq!(
        report.delivered, report.accepted,
        "every accepted command is answered"
    );
    let metrics = super::http()
        .get(format!("{}/metrics", server.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let coalesced: f64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("kubewhy_requests_coalesced_total "))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    // Every accepted command but the first of each of the five distinct ones joined a run.
    #[allow(clippy::cast_precision_loss)]
    let joined = report.accepted.saturating_sub(5) as f64;
    assert!(
        coalesced >= joined,
        "{coalesced} coalesced of {} accepted\n{metrics}",
        report.accepted
    );
}
