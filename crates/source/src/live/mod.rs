//! The live source: reads a cluster through kube-rs exactly as kubectl would (kubeconfig,
//! contexts, exec plugins, in-cluster config, `--request-timeout`, `--as`). Each kind is listed
//! once, paginated, with a bounded number of lists in flight. Secrets are listed metadata-only.
//! Logs are fetched later, only for containers that are part of an issue. The clock is the API
//! server's: ages do not depend on the client's clock.

mod config;
mod fetch;
mod list;
mod logs;

use std::{path::PathBuf, sync::atomic::AtomicUsize, time::Duration};

use futures::{StreamExt, stream};
use jiff::Timestamp;
use kube::{Client, api::ApiResource};
use kubewhy_model::{
    ClusterVersion, KubernetesVersion, SourceInfo, SourceKind, VersionFrom, Warning, WarningKind,
};

use crate::{Collected, Reporter, Scope, Snapshot, SourceEvent};

pub use config::{ExecError, contexts};
pub use list::ScopedApi as Namespaced;
use list::{Lister, Shared};
pub use logs::FetchedLog;

/// Lists in flight at once: enough to hide latency, few enough not to flood the API server.
const CONCURRENT_LISTS: usize = 8;

/// How to reach the cluster.
#[derive(Debug, Clone, Default)]
pub struct LiveOptions {
    /// `--kubeconfig`; otherwise `KUBECONFIG` (several files merged), `~/.kube/config`, or
    /// in-cluster config.
    pub kubeconfig: Option<PathBuf>,
    /// A kubeconfig given as text (the demo's, pointing at the simulator).
    pub kubeconfig_yaml: Option<String>,
    /// `--context`; otherwise the current context.
    pub context: Option<String>,
    /// The kind reported in the source info.
    pub kind: Option<SourceKind>,
    /// `--request-timeout`: how long one request (and an exec credential plugin) may take.
    pub request_timeout: Option<Duration>,
    /// `--as`: the user to impersonate.
    pub impersonate: Option<String>,
    /// `--as-group`: the groups to impersonate.
    pub impersonate_groups: Vec<String>,
}

/// Why the cluster could not be used at all.
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    /// The kubeconfig could not be read or has no usable context.
    #[error("cannot use the kubeconfig{}: {source}", context.as_deref().map(|c| format!(" (context {c})")).unwrap_or_default())]
    Kubeconfig {
        /// The context asked for, if any.
        context: Option<String>,
        /// What went wrong.
        #[source]
        source: kube::config::KubeconfigError,
    },
    /// There is no kubeconfig, and this is not a pod in a cluster.
    #[error(
        "cannot use the kubeconfig: no kubeconfig found (set KUBECONFIG or --kubeconfig) and not running in a cluster: {source}"
    )]
    NoConfig {
        /// Why in-cluster config did not work.
        #[source]
        source: kube::config::InClusterError,
    },
    /// The exec credential plugin of the context gave no credential.
    #[error("the credential plugin `{command}` of context {context} failed: {cause}")]
    ExecPlugin {
        /// The context used.
        context: String,
        /// The plugin's command.
        command: String,
        /// What went wrong.
        #[source]
        cause: ExecError,
    },
    /// The API server did not answer.
    #[error(
        "cannot reach the cluster of context {context} at {server}: {}",
        describe(source)
    )]
    Unreachable {
        /// The context used.
        context: String,
        /// The API server URL.
        server: String,
        /// What went wrong.
        #[source]
        source: kube::Error,
    },
}

/// A container log that could not be fetched.
#[derive(Debug, thiserror::Error)]
#[error(
    "logs of {namespace}/{pod} container {container}: {}",
    describe(source)
)]
pub struct LogError {
    /// The pod's namespace.
    pub namespace: String,
    /// The pod.
    pub pod: String,
    /// The container.
    pub container: String,
    /// What went wrong.
    #[source]
    pub source: kube::Error,
}

/// A connected cluster.
#[derive(Clone)]
pub struct LiveSource {
    client: Client,
    context: String,
    server: String,
    kind: SourceKind,
    /// The namespace of the context (`default` when it names none).
    default_namespace: String,
    /// The API server's clock at its first answer (its `Date` header).
    server_time: Option<Timestamp>,
    /// The release the API server reports at `/version`.
    server_version: Option<KubernetesVersion>,
}

impl std::fmt::Debug for LiveSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveSource")
            .field("context", &self.context)
            .field("server", &self.server)
            .finish_non_exhaustive()
    }
}

impl LiveSource {
    /// Loads the kubeconfig, builds a client and checks that the API server answers.
    pub async fn connect(options: LiveOptions) -> Result<Self, LiveError> {
        let (config, context) = config::load(&options).await?;
        let server = config
            .cluster_url
            .to_string()
            .trim_end_matches('/')
            .to_owned();
        let timeout = options.request_timeout.unwrap_or(config::DEFAULT_TIMEOUT);
        let default_namespace = config.default_namespace.clone();
        let unreachable = |source| LiveError::Unreachable {
            context: context.clone(),
            server: server.clone(),
            source,
        };
        let client = Client::try_from(config).map_err(unreachable)?;
        let (server_time, server_version) = tokio::time::timeout(timeout, server_date(&client))
            .await
            .unwrap_or_else(|_| {
                Err(kube::Error::Service(
                    format!("no answer within {}s", timeout.as_secs()).into(),
                ))
            })
            .map_err(unreachable)?;
        Ok(Self {
            client,
            context,
            server,
            kind: options.kind.unwrap_or(SourceKind::Live),
            default_namespace,
            server_time,
            server_version,
        })
    }

    /// The context in use.
    #[must_use]
    pub fn context(&self) -> &str {
        &self.context
    }

    /// The namespace the context names, as kubectl uses it without `-n`.
    #[must_use]
    pub fn default_namespace(&self) -> &str {
        &self.default_namespace
    }

    /// The API server URL.
    #[must_use]
    pub fn server(&self) -> &str {
        &self.server
    }

    /// Lists every kind once, concurrently, and builds the snapshot. Progress and warnings are
    /// reported as they happen; a cancelled run stops between pages.
    pub async fn collect(&self, scope: &Scope, reporter: &Reporter) -> Collected {
        let shared = Shared {
            source: self,
            scope,
            reporter,
            done: AtomicUsize::new(0),
            total: AtomicUsize::new(0),
        };
        let mut lists = list::listers(&shared);
        let (optional, mut warnings) = self.optional_listers(&shared).await;
        lists.extend(optional);
        shared
            .total
            .store(lists.len(), std::sync::atomic::Ordering::Relaxed);
        let results: Vec<list::Listed> = stream::iter(lists)
            .buffer_unordered(CONCURRENT_LISTS)
            .take_until(reporter.token().cancelled())
            .collect()
            .await;
        let mut snapshot = Snapshot::default();
        for listed in results {
            if let Some(warning) = listed.warning {
                reporter.send(SourceEvent::Warning(warning.clone()));
                warnings.push(warning);
            }
            if let Some(insert) = listed.insert {
                insert(&mut snapshot);
            }
            snapshot.listings.record(&listed.kind, listed.listing);
        }
        snapshot.set_clock(self.server_time.unwrap_or_else(Timestamp::now));
        snapshot.cluster_version = self.server_version.map(|version| ClusterVersion {
            version,
            from: VersionFrom::Cluster,
            file: None,
        });
        let snapshot = seal(snapshot).await;
        let info = SourceInfo {
            kind: self.kind,
            context: Some(self.context.clone()),
            // The demo's simulator listens on a new port each run: its URL says nothing.
            server: (self.kind == SourceKind::Live).then(|| self.server.clone()),
            observed_at: snapshot.observed_at().map(|t| t.to_string()),
            observed_at_inferred: false,
            kubernetes_version: Some(snapshot.kubernetes_version()),
        };
        Collected {
            snapshot,
            info,
            warnings,
            errors: Vec::new(),
        }
    }

    /// Discovers which optional APIs the cluster serves and returns a lister for each of their
    /// kinds that kubewhy reads. A cluster without them is normal and says nothing.
    async fn optional_listers<'a>(
        &self,
        shared: &'a Shared<'a>,
    ) -> (Vec<Lister<'a>>, Vec<Warning>) {
        let groups = match self.client.list_api_groups().await {
            Ok(groups) => groups.groups,
            Err(e) => {
                let message = format!(
                    "skipped API discovery: {} (GET {}/apis); optional APIs were not read",
                    describe(&e),
                    self.server
                );
                return (
                    Vec::new(),
                    vec![Warning::new(WarningKind::SkippedKind, message)],
                );
            }
        };
        let mut listers: Vec<Lister<'a>> = Vec::new();
        let mut warnings = Vec::new();
        for (group, kinds) in OPTIONAL_APIS {
            let Some(found) = groups.iter().find(|g| g.name == *group) else {
                continue;
            };
            let Some(version) = found.preferred_version.as_ref().or(found.versions.first()) else {
                continue;
            };
            let resources = match self
                .client
                .list_api_group_resources(&version.group_version)
                .await
            {
                Ok(list) => list.resources,
                Err(e) => {
                    let message = format!(
                        "skipped {group}: {} (GET {}/apis/{})",
                        describe(&e),
                        self.server,
                        version.group_version
                    );
                    warnings.push(Warning::new(WarningKind::SkippedKind, message));
                    continue;
                }
            };
            for resource in resources
                .into_iter()
                .filter(|r| kinds.contains(&r.kind.as_str()) && !r.name.contains('/'))
            {
                let api_resource = ApiResource {
                    group: (*group).to_owned(),
                    version: version.version.clone(),
                    api_version: version.group_version.clone(),
                    kind: resource.kind.clone(),
                    plural: resource.name.clone(),
                };
                listers.push(Box::pin(list::list_dynamic(
                    shared,
                    api_resource,
                    resource.namespaced,
                )));
            }
        }
        (listers, warnings)
    }
}

/// Sorts and indexes the snapshot off the async workers.
async fn seal(mut snapshot: Snapshot) -> Snapshot {
    tokio::task::spawn_blocking(move || {
        snapshot.seal();
        snapshot
    })
    .await
    .unwrap_or_default()
}

/// Asks for `/version` and returns the server's clock from the answer's `Date` header.
/// Asks `/version`: its `Date` header is the API server's clock, its body the release.
async fn server_date(
    client: &Client,
) -> kube::Result<(Option<Timestamp>, Option<KubernetesVersion>)> {
    let request = http::Request::get("/version")
        .body(kube::client::Body::empty())
        .map_err(kube::Error::HttpError)?;
    let response = client.send(request).await?;
    let status = response.status();
    let date = response
        .headers()
        .get(http::header::DATE)
        .and_then(|v| v.to_str().ok())
        .and_then(parse_http_date);
    if !status.is_success() {
        return Err(kube::Error::Api(
            kube::core::Status::failure(
                &format!("GET /version answered {status}"),
                status.canonical_reason().unwrap_or(""),
            )
            .with_code(status.as_u16())
            .boxed(),
        ));
    }
    // An answer without a readable release still proves the server is there.
    let version = match response.into_body().collect_bytes().await {
        Ok(body) => release_of(&body),
        Err(_) => None,
    };
    Ok((date, version))
}

/// The release in a `/version` body: `gitVersion`, else `major` and `minor`.
fn release_of(body: &[u8]) -> Option<KubernetesVersion> {
    let info: serde_json::Value = serde_json::from_slice(body).ok()?;
    let field = |name: &str| info.get(name).and_then(serde_json::Value::as_str);
    field("gitVersion")
        .and_then(|v| v.parse().ok())
        .or_else(|| {
            format!("{}.{}", field("major")?, field("minor")?)
                .parse()
                .ok()
        })
}

/// Parses an HTTP date (`Fri, 20 Nov 2026 09:30:00 GMT`).
fn parse_http_date(text: &str) -> Option<Timestamp> {
    let text = text.trim().strip_suffix(" GMT")?;
    jiff::fmt::strtime::parse("%a, %d %b %Y %H:%M:%S", text)
        .ok()?
        .to_datetime()
        .ok()?
        .to_zoned(jiff::tz::TimeZone::UTC)
        .ok()
        .map(|z| z.timestamp())
}

/// Optional API groups, and the kinds of each that analyzers read as dynamic objects.
const OPTIONAL_APIS: &[(&str, &[&str])] = &[(
    "gateway.networking.k8s.io",
    &["GatewayClass", "Gateway", "HTTPRoute", "GRPCRoute"],
)];

/// A kube error in words a user can act on, without Rust type names.
pub(crate) fn describe(error: &kube::Error) -> String {
    match error {
        kube::Error::Api(status) => {
            let what = match status.code {
                401 => "unauthorized (401): the credentials were rejected".to_owned(),
                403 => "forbidden (403)".to_owned(),
                404 => "not found (404): the API server does not serve this kind".to_owned(),
                429 => "throttled by the API server (429)".to_owned(),
                code => format!("the API server answered {code} {}", status.reason),
            };
            return if status.message.is_empty() {
                what
            } else {
                format!("{what}: {}", status.message)
            };
        }
        kube::Error::Service(inner) => {
            if let Some(page) = inner.downcast_ref::<fetch::PageError>() {
                return page.to_string();
            }
        }
        kube::Error::SerdeError(e) => {
            use serde_json::error::Category;
            let proxy = "; a proxy or load balancer in front of it may have answered instead";
            let (what, hint) = match e.classify() {
                Category::Syntax => ("was not JSON", proxy),
                Category::Eof => ("was not complete JSON", proxy),
                Category::Data => ("was JSON, but not the list asked for", ""),
                Category::Io => ("could not be read", ""),
            };
            return format!("the API server's answer {what} ({e}){hint}");
        }
        _ => {}
    }
    causes(error)
        .last()
        .map_or_else(String::new, ToString::to_string)
}

/// `error` and the errors it was caused by, outermost first.
pub(crate) fn causes(
    error: &kube::Error,
) -> impl Iterator<Item = &(dyn std::error::Error + 'static)> {
    std::iter::successors(Some(error as &(dyn std::error::Error + 'static)), |e| {
        e.source()
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn http_dates_parse_as_utc() {
        let t = super::parse_http_date("Fri, 20 Nov 2026 09:30:00 GMT");
        assert_eq!(
            t.map(|t| t.to_string()).as_deref(),
            Some("2026-11-20T09:30:00Z")
        );
        assert_eq!(super::parse_http_date("yesterday"), None);
    }

    #[test]
    fn an_answer_that_is_not_json_is_named_so() {
        let html = serde_json::from_str::<serde_json::Value>("<html></html>").unwrap_err();
        let said = super::describe(&kube::Error::SerdeError(html));
        assert!(
            said.starts_with("the API server's answer was not JSON (expected value at line 1"),
            "{said}"
        );
        let throttled = kube::core::Status::failure("slow down", "TooManyRequests").with_code(429);
        let said = super::describe(&kube::Error::Api(throttled.boxed()));
        assert_eq!(said, "throttled by the API server (429): slow down");
    }

    #[test]
    fn the_release_comes_from_the_version_body() {
        let eks = br#"{"major":"1","minor":"27+","gitVersion":"v1.27.4-eks-2d98532"}"#;
        assert_eq!(
            super::release_of(eks).map(|v| v.to_string()).as_deref(),
            Some("1.27")
        );
        let bare = br#"{"major":"1","minor":"20"}"#;
        assert_eq!(
            super::release_of(bare).map(|v| v.to_string()).as_deref(),
            Some("1.20")
        );
        assert_eq!(super::release_of(b"<html>"), None);
    }
}
