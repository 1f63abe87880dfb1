//! The baselines kubewhy's client is held to: a bare HTTP client fetching the same pages with
//! the same concurrency, and the CPU it takes just to deserialize those pages into the typed
//! objects kubewhy reads (the parse floor).

use std::{
    path::Path,
    sync::Arc,
    time::{Duration, Instant},
};

use base64::Engine as _;

/// Lists at once, as kubewhy's live source runs them.
const CONCURRENT_LISTS: usize = 8;

/// Every page fetched, by plural, and how long fetching took.
pub struct Fetched {
    pub pages: Vec<(String, Vec<u8>)>,
    pub wall: Duration,
}

/// The server, CA and token of a simulator's kubeconfig.
fn endpoint(kubeconfig: &Path) -> (String, Option<Vec<u8>>, Option<String>) {
    let text = std::fs::read_to_string(kubeconfig).expect("the kubeconfig is readable");
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(name).map(|v| v.trim().to_owned()))
    };
    let server = field("server:").expect("the kubeconfig names a server");
    let ca = field("certificate-authority-data:").map(|b| {
        base64::engine::general_purpose::STANDARD
            .decode(b)
            .expect("the CA is base64")
    });
    (server, ca, field("token:"))
}

/// Fetches every list in `lists` (paths and their first query), following continue tokens,
/// `CONCURRENT_LISTS` at a time.
///
/// # Panics
///
/// When the simulator cannot be reached.
pub fn fetch(kubeconfig: &Path, lists: &[(String, String)]) -> Fetched {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let (server, ca, token) = endpoint(kubeconfig);
    let mut builder = reqwest::Client::builder();
    if let Some(ca) = ca {
        builder = builder
            .add_root_certificate(reqwest::Certificate::from_pem(&ca).expect("the CA is PEM"));
    }
    let client = builder.build().expect("the HTTP client builds");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let started = Instant::now();
    let pages = runtime.block_on(async {
        let limit = Arc::new(tokio::sync::Semaphore::new(CONCURRENT_LISTS));
        let mut tasks = tokio::task::JoinSet::new();
        for (path, query) in lists {
            let (path, query) = (path.clone(), query.clone());
            let (client, server, token, limit) = (
                client.clone(),
                server.clone(),
                token.clone(),
                Arc::clone(&limit),
            );
            tasks.spawn(async move {
                let _permit = limit
                    .acquire_owned()
                    .await
                    .expect("the semaphore stays open");
                list(&client, &server, token.as_deref(), &path, &query).await
            });
        }
        let mut pages = Vec::new();
        while let Some(done) = tasks.join_next().await {
            pages.extend(done.expect("a list task completes"));
        }
        pages
    });
    Fetched {
        pages,
        wall: started.elapsed(),
    }
}

async fn list(
    client: &reqwest::Client,
    server: &str,
    token: Option<&str>,
    path: &str,
    query: &str,
) -> Vec<(String, Vec<u8>)> {
    let plural = path.rsplit('/').next().unwrap_or_default().to_owned();
    let accept = if plural == "secrets" {
        "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"
    } else {
        "application/json"
    };
    let mut pages = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let mut url = format!("{server}{path}?{query}");
        if let Some(token) = &next {
            url.push_str("&continue=");
            url.push_str(token);
        }
        let mut request = client.get(&url).header("accept", accept);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let body = request
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .expect("the simulator answers");
        let body = body.bytes().await.expect("the page arrives").to_vec();
        next = continue_token(&body);
        pages.push((plural.clone(), body));
        if next.is_none() {
            return pages;
        }
    }
}

/// The `metadata.continue` of a page, read without parsing its items.
fn continue_token(body: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Head {
        metadata: Meta,
    }
    #[derive(serde::Deserialize)]
    struct Meta {
        #[serde(rename = "continue")]
        next: Option<String>,
    }
    let head: Head = serde_json::from_slice(body).ok()?;
    head.metadata.next.filter(|c| !c.is_empty())
}

macro_rules! typed_parsers {
    ($($field:ident: $ty:ty),* $(,)?) => {
        /// Deserializes a page of `plural` into its typed objects; returns how many.
        fn parse_page(plural: &str, body: &[u8]) -> usize {
            #[derive(serde::Deserialize)]
            struct Page<T> {
                items: Vec<T>,
            }
            $(
                if plural == <$ty as k8s_openapi::Resource>::URL_PATH_SEGMENT {
                    let page: Page<$ty> = serde_json::from_slice(body).expect("the page holds typed objects");
                    return std::hint::black_box(page.items).len();
                }
            )*
            0
        }
    };
}

kubewhy_source::for_each_kind!(typed_parsers);

/// Deserializes every page into typed objects, on one thread; returns how many objects.
pub fn parse_floor(pages: &[(String, Vec<u8>)]) -> usize {
    pages
        .iter()
        .map(|(plural, body)| parse_page(plural, body))
        .sum()
}
