//! The leak corpus through Slack and MCP: what a channel and an MCP client receive. A channel
//! with real names gets no secret; a channel set to pseudonyms, and an MCP client, get no
//! planted value at all.

use std::collections::BTreeSet;

use serde_json::Value;

use super::{SEED, corpus, found, secrets_in, write_corpus};
use crate::{
    serve::{SECRET, Server, command, fields, slack_sim, texts},
    support::{isolated, run_blocking},
};

/// What an SRE would ask about the corpus: each namespace, the cluster, and 15 of its issues.
async fn asks(home: &std::path::Path, dir: &str) -> Vec<String> {
    let report = run_blocking(isolated(
        home,
        &["analyze", "-f", dir, "-o", "json", "--min-severity", "info"],
    ))
    .await
    .json();
    let issues = report["issues"].as_array().expect("issues");
    assert!(issues.len() >= 20, "{} issues", issues.len());
    let namespaces: BTreeSet<&str> = issues
        .iter()
        .filter_map(|i| i["root"]["namespace"].as_str())
        .collect();
    let mut asks: Vec<String> = namespaces
        .iter()
        .map(|ns| format!("analyze {ns}"))
        .collect();
    asks.push("analyze".to_owned());
    asks.extend(
        issues
            .iter()
            .filter(|i| i["root"]["namespace"].is_string())
            .take(15)
            .map(|i| {
                format!(
                    "explain {}/{} -n {}",
                    i["root"]["kind"].as_str().unwrap().to_lowercase(),
                    i["root"]["name"].as_str().unwrap(),
                    i["root"]["namespace"].as_str().unwrap()
                )
            }),
    );
    asks
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slack_channels_get_no_secret_and_a_pseudonym_channel_no_planted_value() {
    let corpus = corpus::generate(SEED, 6, 3);
    let home = tempfile::tempdir().unwrap();
    let dump = home.path().join("dump");
    write_corpus(&corpus, &dump);
    let dir = dump.display().to_string();
    let asks = asks(home.path(), &dir).await;
    let config = home.path().join("config/kubewhy");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(
        config.join("config.toml"),
        "[slack.channels.C0PSEUDO]\nnames = \"pseudonyms\"\n",
    )
    .unwrap();
    let slack = slack_sim().await;
    let api = slack.api_url();
    let server = Server::start(
        home.path(),
        &["-f", &dir, "--min-severity", "info"],
        &[
            ("SLACK_SIGNING_SECRET", SECRET),
            ("KUBEWHY_SLACK_API_URL", &api),
        ],
    )
    .await;
    let mut urls = Vec::new();
    for channel in ["C0REAL", "C0PSEUDO"] {
        for ask in &asks {
            let url = slack.response_url();
            let (status, ack, _) = command(&server, &fields(ask, channel, &url)).await;
            assert_eq!(status, 200, "{ack}");
            urls.push((channel, url));
        }
    }
    let posts = slack
        .wait_for_posts(urls.len(), std::time::Duration::from_mins(2))
        .await;
    assert!(
        posts.len() >= urls.len(),
        "{} of {} answers\n{}",
        posts.len(),
        urls.len(),
        server.log()
    );
    assert!(slack.rejections().is_empty(), "{:?}", slack.rejections());
    let of = |channel: &str| -> String {
        let mine: BTreeSet<String> = urls
            .iter()
            .filter(|(c, _)| *c == channel)
            .map(|(_, u)| u.split_once("/commands/").unwrap().1.to_owned())
            .collect();
        posts
            .iter()
            .filter(
                |p| matches!(&p.via, kubewhy_sim::slack::Via::ResponseUrl(id) if mine.contains(id)),
            )
            .map(|p| texts(&p.body))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let real = of("C0REAL");
    let pseudo = of("C0PSEUDO");
    assert!(
        real.len() > 5_000 && pseudo.len() > 5_000,
        "{} and {} characters",
        real.len(),
        pseudo.len()
    );
    let secrets = secrets_in(&corpus, &real);
    assert!(
        secrets.is_empty(),
        "secrets in a real-names channel:\n{}",
        secrets.join("\n")
    );
    let leaks: Vec<String> = found(&corpus, &pseudo)
        .into_iter()
        .map(|(p, what)| format!("{} {:?}: {what}", p.what, p.value))
        .collect();
    assert!(
        leaks.is_empty(),
        "planted values in a pseudonym channel:\n{}",
        leaks.join("\n")
    );
    let kept = corpus
        .planted
        .iter()
        .filter(|p| !p.secret && !p.refs_only && real.contains(&p.value))
        .count();
    assert!(kept > 10, "the real-names channel shows real names: {kept}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_mcp_client_gets_no_planted_value() {
    let corpus = corpus::generate(SEED, 6, 3);
    let home = tempfile::tempdir().unwrap();
    let dump = home.path().join("dump");
    write_corpus(&corpus, &dump);
    let dir = dump.display().to_string();
    let server = Server::start(
        home.path(),
        &["-f", &dir, "--min-severity", "info", "--mcp"],
        &[("KUBEWHY_API_TOKEN", "tok")],
    )
    .await;
    let http = crate::serve::http();
    let call = |id: u64, method: &str, params: Value| {
        let body =
            serde_json::json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params });
        http.post(format!("{}/mcp", server.url))
            .bearer_auth("tok")
            .json(&body)
            .send()
    };
    let init = call(1, "initialize", serde_json::json!({ "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": { "name": "t", "version": "1" } })).await.unwrap();
    let session = init
        .headers()
        .get("mcp-session-id")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let tool = |id: u64, name: &str, arguments: Value| {
        let body = serde_json::json!({ "jsonrpc": "2.0", "id": id, "method": "tools/call", "params": { "name": name, "arguments": arguments } });
        http.post(format!("{}/mcp", server.url))
            .bearer_auth("tok")
            .header("mcp-session-id", &session)
            .json(&body)
            .send()
    };
    let listed: Value = tool(2, "analyze", serde_json::json!({}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut seen = listed.to_string();
    let issues = listed["result"]["structuredContent"]["issues"]
        .as_array()
        .expect("issues")
        .clone();
    assert!(issues.len() >= 20);
    for (n, issue) in issues.iter().enumerate() {
        let got: Value = tool(
            10 + n as u64,
            "get_issue",
            serde_json::json!({ "fingerprint": issue["fingerprint"] }),
        )
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
        assert_eq!(got["result"]["isError"], false, "{got}");
        seen.push_str(&got.to_string());
    }
    let leaks: Vec<String> = found(&corpus, &seen)
        .into_iter()
        .map(|(p, what)| format!("{} {:?}: {what}", p.what, p.value))
        .collect();
    assert!(
        leaks.is_empty(),
        "planted values reached the MCP client:\n{}",
        leaks.join("\n")
    );
}
