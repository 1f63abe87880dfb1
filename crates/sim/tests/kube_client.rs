//! The simulator as kube-rs sees it: discovery, watch with bookmarks, metadata-only lists,
//! pagination, logs and faults, over HTTPS with the generated kubeconfig.

use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::{Pod, Secret};
use kube::{
    Api, Client, Config,
    api::{ListParams, LogParams, WatchEvent, WatchParams},
    config::Kubeconfig,
};
use kubewhy_sim::{Fault, KubeSim, KubeSimOptions};
use kubewhy_source::files::{Input, parse};

const PODS: &str = r"
apiVersion: v1
kind: Pod
metadata: {name: web-1, namespace: shop, labels: {app: web}}
spec: {containers: [{name: api, image: 'web:1'}]}
---
apiVersion: v1
kind: Pod
metadata: {name: web-2, namespace: shop, labels: {app: web}}
spec: {containers: [{name: api, image: 'web:1'}]}
---
apiVersion: v1
kind: Pod
metadata: {name: db-0, namespace: data, labels: {app: db}}
spec: {containers: [{name: db, image: 'db:1'}]}
---
apiVersion: v1
kind: Secret
metadata: {name: creds, namespace: shop}
type: Opaque
data: {password: aHVudGVyMg==}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web, namespace: shop}
spec: {parentRefs: [{name: gw}]}
";

const LOG: &str = "==== START logs for container api of pod shop/web-1 ====\none\ntwo\nthree\n==== END logs for container api of pod shop/web-1 ====\n";

async fn start(faults: &[(&str, Fault)]) -> (KubeSim, Client) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let loaded = parse([
        Input {
            name: "pods.yaml".into(),
            text: PODS.into(),
        },
        Input {
            name: "shop/web-1/logs.txt".into(),
            text: LOG.into(),
        },
    ]);
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors);
    let options = KubeSimOptions {
        faults: faults.iter().map(|(r, f)| ((*r).to_owned(), *f)).collect(),
        ..KubeSimOptions::default()
    };
    let sim = KubeSim::start(&loaded.snapshot, options).await.unwrap();
    let kubeconfig = Kubeconfig::from_yaml(&sim.kubeconfig()).unwrap();
    let config =
        Config::from_custom_kubeconfig(kubeconfig, &kube::config::KubeConfigOptions::default())
            .await
            .unwrap();
    (sim, Client::try_from(config).unwrap())
}

#[tokio::test]
async fn discovery_lists_groups_and_resources() {
    let (_sim, client) = start(&[]).await;
    let version = client.apiserver_version().await.unwrap();
    assert_eq!(version.major, "1");
    let groups = client.list_api_groups().await.unwrap();
    assert!(groups.groups.iter().any(|g| g.name == "apps"));
    let gateway = groups
        .groups
        .iter()
        .find(|g| g.name == "gateway.networking.k8s.io")
        .unwrap();
    assert_eq!(
        gateway.preferred_version.as_ref().unwrap().group_version,
        "gateway.networking.k8s.io/v1"
    );
    let resources = client
        .list_api_group_resources("gateway.networking.k8s.io/v1")
        .await
        .unwrap();
    assert_eq!(resources.resources[0].name, "httproutes");
    let core = client.list_core_api_resources("v1").await.unwrap();
    assert!(
        core.resources
            .iter()
            .any(|r| r.name == "pods" && r.namespaced)
    );
    assert!(
        core.resources
            .iter()
            .any(|r| r.name == "nodes" && !r.namespaced)
    );
}

#[tokio::test]
async fn lists_filter_and_paginate() {
    let (_sim, client) = start(&[]).await;
    let pods: Api<Pod> = Api::all(client.clone());
    let first = pods.list(&ListParams::default().limit(2)).await.unwrap();
    assert_eq!(first.items.len(), 2);
    let token = first.metadata.continue_.clone().unwrap();
    let second = pods
        .list(&ListParams::default().limit(2).continue_token(&token))
        .await
        .unwrap();
    assert_eq!(second.items.len(), 1);
    assert!(second.metadata.continue_.is_none_or(|c| c.is_empty()));
    let web = pods
        .list(&ListParams::default().labels("app=web"))
        .await
        .unwrap();
    assert_eq!(web.items.len(), 2);
    let shop: Api<Pod> = Api::namespaced(client.clone(), "shop");
    let by_name = shop
        .list(&ListParams::default().fields("metadata.name=web-2"))
        .await
        .unwrap();
    assert_eq!(by_name.items[0].metadata.name.as_deref(), Some("web-2"));
    assert_eq!(
        shop.get("web-1").await.unwrap().spec.unwrap().containers[0].name,
        "api"
    );
    let missing = shop.get("nope").await.unwrap_err();
    assert!(matches!(missing, kube::Error::Api(s) if s.code == 404 && s.reason == "NotFound"));
}

#[tokio::test]
async fn secrets_come_metadata_only_and_never_carry_values() {
    let (sim, client) = start(&[]).await;
    let secrets: Api<Secret> = Api::namespaced(client, "shop");
    let list = secrets.list_metadata(&ListParams::default()).await.unwrap();
    assert_eq!(list.items[0].metadata.name.as_deref(), Some("creds"));
    // Even a full read finds no values: the snapshot never kept them.
    let full = secrets.get("creds").await.unwrap();
    assert!(full.data.is_none());
    let requests = sim.requests();
    assert!(requests[0].accept.contains("as=PartialObjectMetadataList"));
}

#[tokio::test]
async fn watch_sends_initial_events_then_a_bookmark() {
    let (_sim, client) = start(&[]).await;
    let pods: Api<Pod> = Api::namespaced(client, "shop");
    let params = WatchParams::default().initial_events().timeout(1);
    let events: Vec<WatchEvent<Pod>> = pods
        .watch(&params, "")
        .await
        .unwrap()
        .take(3)
        .try_collect()
        .await
        .unwrap();
    let added: Vec<_> = events
        .iter()
        .filter_map(|e| {
            if let WatchEvent::Added(p) = e {
                p.metadata.name.clone()
            } else {
                None
            }
        })
        .collect();
    assert_eq!(added, ["web-1", "web-2"]);
    let WatchEvent::Bookmark(bookmark) = &events[2] else {
        panic!("expected a bookmark, got {:?}", events[2])
    };
    assert_eq!(
        bookmark
            .metadata
            .annotations
            .get("k8s.io/initial-events-end")
            .map(String::as_str),
        Some("true")
    );
}

#[tokio::test]
async fn logs_honour_container_tail_and_previous() {
    let (_sim, client) = start(&[]).await;
    let pods: Api<Pod> = Api::namespaced(client, "shop");
    let params = LogParams {
        container: Some("api".into()),
        tail_lines: Some(2),
        ..LogParams::default()
    };
    assert_eq!(pods.logs("web-1", &params).await.unwrap(), "two\nthree\n");
    let limited = LogParams {
        limit_bytes: Some(5),
        ..LogParams::default()
    };
    assert_eq!(pods.logs("web-1", &limited).await.unwrap(), "one\nt");
    let previous = LogParams {
        previous: true,
        ..LogParams::default()
    };
    let err = pods.logs("web-1", &previous).await.unwrap_err();
    assert!(matches!(err, kube::Error::Api(s) if s.code == 400));
}

#[tokio::test]
async fn faults_answer_with_real_status_bodies() {
    let (sim, client) = start(&[("pods", Fault::Status(403)), ("nodes", Fault::Status(500))]).await;
    let pods: Api<Pod> = Api::all(client.clone());
    let err = pods.list(&ListParams::default()).await.unwrap_err();
    assert!(
        matches!(&err, kube::Error::Api(s) if s.code == 403 && s.reason == "Forbidden" && s.message.contains("cannot list resource \"pods\"")),
        "{err:?}"
    );
    let nodes: Api<k8s_openapi::api::core::v1::Node> = Api::all(client);
    assert!(
        matches!(nodes.list(&ListParams::default()).await.unwrap_err(), kube::Error::Api(s) if s.code == 500)
    );
    assert!(sim.requests().iter().all(|r| r.method == "GET"));
}

#[tokio::test]
async fn writes_and_bad_tokens_are_refused() {
    let (sim, _client) = start(&[]).await;
    let config = Config::from_custom_kubeconfig(
        Kubeconfig::from_yaml(&sim.kubeconfig().replace("kubewhy-sim-token", "wrong")).unwrap(),
        &kube::config::KubeConfigOptions::default(),
    )
    .await
    .unwrap();
    let pods: Api<Pod> = Api::all(Client::try_from(config).unwrap());
    assert!(
        matches!(pods.list(&ListParams::default()).await.unwrap_err(), kube::Error::Api(s) if s.code == 401)
    );
    let (_sim, client) = start(&[]).await;
    let shop: Api<Pod> = Api::namespaced(client, "shop");
    let err = shop
        .delete("web-1", &kube::api::DeleteParams::default())
        .await
        .unwrap_err();
    assert!(matches!(err, kube::Error::Api(s) if s.code == 405));
}

#[tokio::test]
async fn a_replaced_snapshot_reaches_open_watches_and_the_clock_moves() {
    let (sim, client) = start(&[]).await;
    let pods: Api<Pod> = Api::namespaced(client, "shop");
    let mut stream = pods
        .watch(&WatchParams::default().timeout(10), "0")
        .await
        .unwrap()
        .boxed();
    for _ in 0..2 {
        assert!(matches!(
            stream.try_next().await.unwrap(),
            Some(WatchEvent::Added(_))
        ));
    }
    // web-2 goes away, web-1 gets a new label, web-3 appears; db-0 is in another namespace.
    let changed = PODS
        .replace(
            "metadata: {name: web-2, namespace: shop, labels: {app: web}}",
            "metadata: {name: web-3, namespace: shop, labels: {app: web}}",
        )
        .replace(
            "metadata: {name: web-1, namespace: shop, labels: {app: web}}",
            "metadata: {name: web-1, namespace: shop, labels: {app: web, tier: front}}",
        );
    let loaded = parse([Input {
        name: "pods.yaml".into(),
        text: changed,
    }]);
    let before = sim.now().unwrap_or_else(jiff::Timestamp::now);
    sim.replace(&loaded.snapshot);
    sim.advance(std::time::Duration::from_mins(1));
    let mut seen = Vec::new();
    while seen.len() < 3 {
        let event = stream
            .try_next()
            .await
            .unwrap()
            .expect("an event per change");
        seen.push(match event {
            WatchEvent::Bookmark(_) => continue,
            WatchEvent::Added(p) => format!("ADDED {}", p.metadata.name.unwrap_or_default()),
            WatchEvent::Modified(p) => format!("MODIFIED {}", p.metadata.name.unwrap_or_default()),
            WatchEvent::Deleted(p) => format!("DELETED {}", p.metadata.name.unwrap_or_default()),
            WatchEvent::Error(e) => format!("{e:?}"),
        });
    }
    seen.sort();
    assert_eq!(seen, ["ADDED web-3", "DELETED web-2", "MODIFIED web-1"]);
    let listed = pods.list(&ListParams::default()).await.unwrap();
    let names: Vec<String> = listed
        .items
        .into_iter()
        .filter_map(|p| p.metadata.name)
        .collect();
    assert_eq!(names, ["web-1", "web-3"]);
    let after = sim.now().expect("the clock is set");
    assert!(
        after.duration_since(before) >= jiff::SignedDuration::from_secs(60),
        "{before} then {after}"
    );
}

/// A client that sees every answer as sent: kube's own retries (of 429s among others) off.
async fn raw_client(sim: &KubeSim) -> Client {
    let kubeconfig = Kubeconfig::from_yaml(&sim.kubeconfig()).unwrap();
    let mut config =
        Config::from_custom_kubeconfig(kubeconfig, &kube::config::KubeConfigOptions::default())
            .await
            .unwrap();
    config.default_retry = false;
    Client::try_from(config).unwrap()
}

#[tokio::test]
async fn throttling_answers_as_priority_and_fairness_does() {
    let (sim, _) = start(&[("pods", Fault::Throttle { first: Some(1) })]).await;
    let client = raw_client(&sim).await;
    let request = || {
        kube::core::Request::new("/api/v1/pods")
            .list(&ListParams::default())
            .unwrap()
            .map(kube::client::Body::from)
    };
    let throttled = client.send(request()).await.unwrap();
    assert_eq!(throttled.status().as_u16(), 429);
    let header = |name: &str| {
        throttled
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    assert_eq!(
        header("retry-after"),
        Some(kubewhy_sim::RETRY_AFTER_SECONDS.to_string())
    );
    assert!(header("x-kubernetes-pf-flowschema-uid").is_some());
    assert!(header("x-kubernetes-pf-prioritylevel-uid").is_some());
    let body = throttled.into_body().collect_bytes().await.unwrap();
    let status: kube::core::Status = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        (status.code, status.reason.as_str()),
        (429, "TooManyRequests")
    );
    assert_eq!(
        status.details.map(|d| d.retry_after_seconds),
        Some(kubewhy_sim::RETRY_AFTER_SECONDS)
    );
    let served = client.send(request()).await.unwrap();
    assert_eq!(served.status().as_u16(), 200, "only the first is throttled");
}

#[tokio::test]
async fn broken_answers_break_as_asked() {
    let (sim, _) = start(&[
        ("secrets", Fault::Truncate),
        ("httproutes", Fault::Garbage),
        ("pods", Fault::Reset),
    ])
    .await;
    let client = raw_client(&sim).await;
    let send = |url: &'static str, params: ListParams| {
        let request = kube::core::Request::new(url)
            .list(&params)
            .unwrap()
            .map(kube::client::Body::from);
        client.send(request)
    };
    // A body cut short: the head arrives with the whole length, the body does not.
    let cut = send("/api/v1/secrets", ListParams::default())
        .await
        .unwrap();
    assert_eq!(cut.status().as_u16(), 200);
    assert!(cut.headers().contains_key("content-length"));
    assert!(cut.into_body().collect_bytes().await.is_err());
    // Not JSON, though it says it is.
    let garbage = send(
        "/apis/gateway.networking.k8s.io/v1/httproutes",
        ListParams::default(),
    )
    .await
    .unwrap();
    assert_eq!(
        garbage
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/json")
    );
    let body = garbage.into_body().collect_bytes().await.unwrap();
    assert!(body.starts_with(b"<html>"));
    // One pod a page, then no answer at all to the continue.
    let first = send("/api/v1/pods", ListParams::default().limit(500))
        .await
        .unwrap();
    let page: kube::core::ObjectList<Pod> =
        serde_json::from_slice(&first.into_body().collect_bytes().await.unwrap()).unwrap();
    assert_eq!(page.items.len(), 1);
    let token = page.metadata.continue_.unwrap();
    let next = send(
        "/api/v1/pods",
        ListParams::default().limit(500).continue_token(&token),
    )
    .await;
    assert!(next.is_err(), "the continue is dropped: {next:?}");
    assert!(sim.requests().iter().all(|r| r.method == "GET"));
}
