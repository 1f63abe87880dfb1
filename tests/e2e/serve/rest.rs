//! REST, health, readiness and metrics.

use serde_json::Value;
use tempfile::TempDir;

use super::Server;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rest_needs_the_bearer_token_and_answers_the_report() {
    let home = TempDir::new().unwrap();
    let server = Server::start(
        home.path(),
        &["--demo"],
        &[("KUBEWHY_API_TOKEN", "s3cret-api-token")],
    )
    .await;
    let client = super::http();
    let url = |p: &str| format!("{}{p}", server.url);
    let none = client.post(url("/v1/analyze")).send().await.unwrap();
    assert_eq!(none.status(), 401);
    let wrong = client
        .post(url("/v1/analyze"))
        .bearer_auth("guess")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let bad = client
        .post(url("/v1/analyze"))
        .bearer_auth("s3cret-api-token")
        .body("{\"namespace\": 3}")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let report: Value = client
        .post(url("/v1/analyze"))
        .bearer_auth("s3cret-api-token")
        .body("{\"namespace\": \"shop\"}")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(report["schema"], "kubewhy.report/v1");
    let issues = report["issues"].as_array().unwrap();
    assert!(
        !issues.is_empty() && issues.iter().all(|i| i["root"]["namespace"] == "shop"),
        "{report}"
    );
    let explained: Value = client
        .post(url("/v1/explain"))
        .bearer_auth("s3cret-api-token")
        .body("{\"kind\": \"deploy\", \"name\": \"checkout\", \"namespace\": \"shop\"}")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        explained["issues"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| !i["explanation"].is_null()),
        "{explained}"
    );
    let missing = client
        .post(url("/v1/explain"))
        .bearer_auth("s3cret-api-token")
        .body("{\"kind\": \"deploy\", \"name\": \"nope\", \"namespace\": \"shop\"}")
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 422);
    assert!(missing.text().await.unwrap().contains("not found"));
    let health: Value = client
        .get(url("/healthz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["apiserver"], "reachable");
    let metrics = client
        .get(url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for series in [
        "kubewhy_issues{",
        "kubewhy_run_seconds_count",
        "kubewhy_apiserver_list_seconds_count{kind=\"pods\"}",
        "kubewhy_api_unauthorized_total 2",
        "kubewhy_llm_explanations_total",
    ] {
        assert!(metrics.contains(series), "{series} missing:\n{metrics}");
    }
    assert!(!server.log().contains("s3cret-api-token"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_is_ready_and_healthy_while_the_cluster_is_unreachable() {
    let home = TempDir::new().unwrap();
    let kubeconfig = home.path().join("kubeconfig");
    std::fs::write(&kubeconfig, "apiVersion: v1\nkind: Config\nclusters:\n- name: gone\n  cluster:\n    server: https://127.0.0.1:9\ncontexts:\n- name: gone\n  context:\n    cluster: gone\n    user: u\ncurrent-context: gone\nusers:\n- name: u\n  user:\n    token: t\n").unwrap();
    let path = kubeconfig.display().to_string();
    let server = Server::start(
        home.path(),
        &["--kubeconfig", &path, "--request-timeout", "2s"],
        &[("KUBEWHY_API_TOKEN", "tok")],
    )
    .await;
    let client = super::http();
    let answer = client
        .post(format!("{}/v1/analyze", server.url))
        .bearer_auth("tok")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 502);
    assert!(answer.text().await.unwrap().contains("unreachable"));
    assert_eq!(
        client
            .get(format!("{}/readyz", server.url))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let health: Value = client
        .get(format!("{}/healthz", server.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["apiserver"], "unreachable");
}
