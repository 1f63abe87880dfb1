//! `--watch` notifications: one thread per issue, nothing posted twice across cycles or a
//! restart, "resolved" in the thread, 429s honoured, bursts batched, webhooks naming the
//! fingerprint.

use std::{fmt::Write as _, path::Path, time::Duration};

use kubewhy_sim::slack::{SlackFault, Target, Via};
use tempfile::TempDir;

use super::{Server, slack_sim, texts};
use crate::support::many_pods;

fn watch_args(file: &Path) -> Vec<String> {
    [
        "-f",
        &file.display().to_string(),
        "--watch",
        "1s",
        "--notify-channel",
        "C0ALERTS",
        "--notify-min-severity",
        "error",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect()
}

async fn serve(home: &Path, file: &Path, env: &[(&str, &str)]) -> Server {
    let args = watch_args(file);
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    Server::start(home, &refs, env).await
}

fn channel_posts(slack: &kubewhy_sim::slack::SlackSim) -> Vec<kubewhy_sim::slack::Post> {
    slack
        .posts()
        .into_iter()
        .filter(|p| p.via == Via::PostMessage)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issues_are_posted_once_across_cycles_and_restarts_and_resolved_in_their_thread() {
    let home = TempDir::new().unwrap();
    let file = home.path().join("cluster.yaml");
    std::fs::write(&file, many_pods(2, 2)).unwrap();
    let slack = slack_sim().await;
    let api = slack.api_url();
    let env = [
        ("SLACK_BOT_TOKEN", "xoxb-sim-token"),
        ("KUBEWHY_SLACK_API_URL", api.as_str()),
    ];
    let server = serve(home.path(), &file, &env).await;
    let first = slack.wait_for_posts(2, Duration::from_secs(30)).await;
    assert_eq!(first.len(), 2, "{}", server.log());
    assert!(
        first
            .iter()
            .all(|p| p.channel.as_deref() == Some("C0ALERTS") && p.thread_ts.is_none())
    );
    assert!(
        first[1].at_ms - first[0].at_ms >= 900,
        "at most one message per second per channel"
    );
    // Three more cycles: nothing new to say.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(slack.posts().len(), 2, "{:?}", slack.posts());
    let log = server.stop().await;
    assert!(log.contains("watch"), "{log}");
    // A restart remembers what it posted.
    let server = serve(home.path(), &file, &env).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        slack.posts().len(),
        2,
        "a restart re-posts nothing: {:?}\n{}",
        slack.posts(),
        server.log()
    );
    // pod-1 recovers: its thread says so, and its first message is updated.
    std::fs::write(&file, many_pods(1, 2)).unwrap();
    let pod1 = first
        .iter()
        .find(|p| texts(&p.body).contains("pod-1"))
        .expect("a post names pod-1")
        .clone();
    let posts = slack.wait_for_posts(4, Duration::from_secs(30)).await;
    let reply = posts
        .iter()
        .find(|p| p.thread_ts.as_deref() == Some(pod1.ts.as_str()))
        .unwrap_or_else(|| panic!("no reply in pod-1's thread: {posts:?}\n{}", server.log()));
    assert!(
        texts(&reply.body).contains("resolved"),
        "{}",
        texts(&reply.body)
    );
    let update = posts
        .iter()
        .find(|p| p.via == Via::Update)
        .expect("the first message is updated");
    assert_eq!(update.ts, pod1.ts);
    assert!(texts(&update.body).contains("resolved"));
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        slack.posts().len(),
        4,
        "resolved is said once: {:?}",
        slack.posts()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_50_new_issues_is_one_message_posted_after_a_429() {
    let home = TempDir::new().unwrap();
    let file = home.path().join("cluster.yaml");
    std::fs::write(&file, many_pods(50, 50)).unwrap();
    let slack = slack_sim().await;
    slack.inject(
        Target::PostMessage,
        SlackFault::RateLimited {
            retry_after_secs: 2,
        },
        1,
    );
    let api = slack.api_url();
    let env = [
        ("SLACK_BOT_TOKEN", "xoxb-sim-token"),
        ("KUBEWHY_SLACK_API_URL", api.as_str()),
    ];
    let server = serve(home.path(), &file, &env).await;
    let posts = slack.wait_for_posts(1, Duration::from_secs(30)).await;
    assert_eq!(posts.len(), 1, "{}", server.log());
    assert_eq!(
        slack.rejections().len(),
        1,
        "the 429 was met: {:?}",
        slack.rejections()
    );
    assert_eq!(slack.rejections()[0].status, 429);
    let text = texts(&posts[0].body);
    assert!(text.contains("50 new issues"), "{text}");
    assert!(
        text.contains("more"),
        "what does not fit is counted: {text}"
    );
    assert!(posts[0].at_ms >= 2_000, "Retry-After was honoured");
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(channel_posts(&slack).len(), 1, "{:?}", slack.posts());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_webhook_only_each_change_is_a_new_message_naming_the_fingerprint() {
    let home = TempDir::new().unwrap();
    let file = home.path().join("cluster.yaml");
    std::fs::write(&file, many_pods(1, 1)).unwrap();
    let slack = slack_sim().await;
    let webhook = slack.webhook_url();
    let env = [("KUBEWHY_SLACK_WEBHOOK_URL", webhook.as_str())];
    let args = ["-f", &file.display().to_string(), "--watch", "1s"].map(str::to_owned);
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let server = Server::start(home.path(), &refs, &env).await;
    let posts = slack.wait_for_posts(1, Duration::from_secs(30)).await;
    assert_eq!(posts.len(), 1, "{}", server.log());
    assert_eq!(posts[0].via, Via::Webhook);
    let text = texts(&posts[0].body);
    let fingerprint = text
        .split("fingerprint ")
        .nth(1)
        .map(|s| s.chars().take(16).collect::<String>())
        .expect("the fingerprint is named");
    std::fs::write(&file, "").unwrap();
    let posts = slack.wait_for_posts(2, Duration::from_secs(30)).await;
    assert_eq!(posts.len(), 2, "{}", server.log());
    let resolved = texts(&posts[1].body);
    assert!(
        resolved.contains("resolved") && resolved.contains(&fingerprint),
        "{resolved}"
    );
    assert!(
        !server.log().contains(&webhook),
        "the webhook URL is a secret"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_cluster_that_changes_between_cycles_gets_new_and_resolved_posts() {
    use kubewhy_sim::{KubeSim, KubeSimOptions};
    use kubewhy_source::files::{Input, parse};
    let cluster = |n: usize| {
        parse([Input {
            name: "pods.yaml".into(),
            text: many_pods(n, 3),
        }])
        .snapshot
    };
    let kube = KubeSim::start(&cluster(2), KubeSimOptions::default())
        .await
        .unwrap();
    let home = TempDir::new().unwrap();
    let kubeconfig = home.path().join("kubeconfig");
    std::fs::write(&kubeconfig, kube.kubeconfig()).unwrap();
    let slack = slack_sim().await;
    let api = slack.api_url();
    let path = kubeconfig.display().to_string();
    let args = [
        "--kubeconfig",
        &path,
        "--watch",
        "1s",
        "--notify-channel",
        "C0ALERTS",
    ];
    let server = Server::start(
        home.path(),
        &args,
        &[
            ("SLACK_BOT_TOKEN", "xoxb-sim-token"),
            ("KUBEWHY_SLACK_API_URL", api.as_str()),
        ],
    )
    .await;
    assert_eq!(
        slack.wait_for_posts(2, Duration::from_secs(30)).await.len(),
        2,
        "{}",
        server.log()
    );
    kube.replace(&cluster(3));
    let posts = slack.wait_for_posts(3, Duration::from_secs(30)).await;
    assert!(
        texts(&posts[2].body).contains("pod-2"),
        "{}",
        texts(&posts[2].body)
    );
    kube.replace(&cluster(1));
    let posts = slack.wait_for_posts(7, Duration::from_secs(30)).await;
    let resolved = posts
        .iter()
        .filter(|p| p.thread_ts.is_some() && texts(&p.body).contains("resolved"))
        .count();
    assert_eq!(resolved, 2, "{posts:?}\n{}", server.log());
}

/// A Deployment in `shop` whose ReplicaSet has `failing` crash-looping pods.
fn crashing_deployment(failing: usize) -> String {
    let mut out = String::from(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop, uid: d-1}\nspec:\n  replicas: 4\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: app, image: 'web:1'}]}\n\
         ---\napiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {name: web-5d8f, namespace: shop, uid: rs-1, ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: web, uid: d-1, controller: true}]}\nspec:\n  replicas: 4\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: app, image: 'web:1'}]}\n",
    );
    for i in 0..failing {
        let _ = write!(
            out,
            "---\napiVersion: v1\nkind: Pod\nmetadata: {{name: web-5d8f-{i}, namespace: shop, uid: p-{i}, labels: {{app: web}}, ownerReferences: [{{apiVersion: apps/v1, kind: ReplicaSet, name: web-5d8f, uid: rs-1, controller: true}}]}}\n\
             spec: {{containers: [{{name: app, image: 'web:1'}}]}}\n\
             status:\n  phase: Running\n  containerStatuses:\n  - name: app\n    image: 'web:1'\n    imageID: ''\n    ready: false\n    restartCount: 7\n    state: {{waiting: {{reason: CrashLoopBackOff}}}}\n    lastState: {{terminated: {{reason: Error, exitCode: 1}}}}\n"
        );
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_issue_that_spreads_is_replied_in_its_thread_and_its_first_message_updated() {
    let home = TempDir::new().unwrap();
    let file = home.path().join("cluster.yaml");
    std::fs::write(&file, crashing_deployment(2)).unwrap();
    let slack = slack_sim().await;
    let api = slack.api_url();
    let env = [
        ("SLACK_BOT_TOKEN", "xoxb-sim-token"),
        ("KUBEWHY_SLACK_API_URL", api.as_str()),
    ];
    let server = serve(home.path(), &file, &env).await;
    let first = slack.wait_for_posts(1, Duration::from_secs(30)).await;
    assert_eq!(first.len(), 1, "{}", server.log());
    assert!(
        texts(&first[0].body).contains("web"),
        "{}",
        texts(&first[0].body)
    );
    std::fs::write(&file, crashing_deployment(4)).unwrap();
    let posts = slack.wait_for_posts(3, Duration::from_secs(30)).await;
    let reply = posts
        .iter()
        .find(|p| p.thread_ts.as_deref() == Some(first[0].ts.as_str()))
        .unwrap_or_else(|| panic!("{posts:?}\n{}", server.log()));
    assert!(
        texts(&reply.body).contains("now on 4 objects (was 2)"),
        "{}",
        texts(&reply.body)
    );
    assert!(
        posts
            .iter()
            .any(|p| p.via == Via::Update && p.ts == first[0].ts),
        "{posts:?}"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        slack.posts().len(),
        3,
        "the change is said once: {:?}",
        slack.posts()
    );
}
