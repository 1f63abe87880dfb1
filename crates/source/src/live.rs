//! The live source: reads a cluster through kube-rs exactly as kubectl would (kubeconfig,
//! contexts, exec plugins, in-cluster config). Each kind is listed once, paginated, with a
//! bounded number of lists in flight. Secrets are listed metadata-only. Logs are fetched later,
//! one container at a time, only for containers that are part of an issue.

use std::{
    io::IsTerminal,
    path::PathBuf,
    sync::atomic::{AtomicUsize, Ordering},
    time::Duration,
};

use futures::{StreamExt, future::BoxFuture, stream};
use jiff::Timestamp;
use kube::{
    Api, Client, Config,
    api::{ApiResource, DynamicObject, ListParams, LogParams, ObjectList, PartialObjectMeta},
    config::{KubeConfigOptions, Kubeconfig},
};
use kubewhy_model::{LogTarget, SourceInfo, SourceKind, Warning, WarningKind};
use serde::de::DeserializeOwned;

use crate::{Collected, Scope, Snapshot, Store, k8s::core::v1::Pod, store::Object};

/// Lists in flight at once: enough to hide latency, few enough not to flood the API server.
const CONCURRENT_LISTS: usize = 8;
/// Items per page.
const PAGE_SIZE: u32 = 500;
/// Log tail fetched per container.
const LOG_TAIL_LINES: i64 = 100;
const LOG_LIMIT_BYTES: i64 = 64 * 1024;

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
    /// Report this as the observation time instead of now (the demo is frozen in time).
    pub observed_at: Option<Timestamp>,
    /// The kind reported in the source info.
    pub kind: Option<SourceKind>,
}

/// Why the cluster could not be used at all.
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    /// The kubeconfig could not be read or has no usable context.
    #[error("cannot use the kubeconfig{}: {cause}", context.as_deref().map(|c| format!(" (context {c})")).unwrap_or_default())]
    Kubeconfig {
        /// The context asked for, if any.
        context: Option<String>,
        /// What went wrong.
        cause: String,
    },
    /// The API server did not answer.
    #[error("cannot reach the cluster of context {context} at {server}: {cause}")]
    Unreachable {
        /// The context used.
        context: String,
        /// The API server URL.
        server: String,
        /// What went wrong.
        cause: String,
    },
}

/// A connected cluster.
#[derive(Clone)]
pub struct LiveSource {
    client: Client,
    context: String,
    server: String,
    options: LiveOptions,
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
        let (config, context) = load_config(&options).await?;
        let server = config
            .cluster_url
            .to_string()
            .trim_end_matches('/')
            .to_owned();
        let unreachable = |cause: String| LiveError::Unreachable {
            context: context.clone(),
            server: server.clone(),
            cause,
        };
        let client = Client::try_from(config).map_err(|e| unreachable(e.to_string()))?;
        client
            .apiserver_version()
            .await
            .map_err(|e| unreachable(describe(&e)))?;
        Ok(Self {
            client,
            context,
            server,
            options,
        })
    }

    /// The context in use.
    #[must_use]
    pub fn context(&self) -> &str {
        &self.context
    }

    /// Lists every kind once, concurrently, and builds the snapshot.
    pub async fn collect(&self, scope: &Scope) -> Collected {
        let mut lists = listers(self, scope);
        let (optional, mut warnings) = self.optional_listers(scope).await;
        lists.extend(optional);
        let total = lists.len();
        let done = AtomicUsize::new(0);
        let progress = std::io::stderr().is_terminal();
        let results: Vec<Result<Insert, Warning>> = stream::iter(lists)
            .buffer_unordered(CONCURRENT_LISTS)
            .inspect(|_| {
                let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                if progress {
                    eprint!("\rcollecting from {}: {n}/{total} kinds", self.context);
                }
            })
            .collect()
            .await;
        if progress {
            eprint!("\r\x1b[2K");
        }
        let mut snapshot = Snapshot::default();
        for result in results {
            match result {
                Ok(insert) => insert(&mut snapshot),
                Err(warning) => warnings.push(warning),
            }
        }
        snapshot.observed_at = Some(self.options.observed_at.unwrap_or_else(Timestamp::now));
        snapshot.seal();
        let info = SourceInfo {
            kind: self.options.kind.unwrap_or(SourceKind::Live),
            context: Some(self.context.clone()),
            observed_at: snapshot.observed_at().map(|t| t.to_string()),
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
    async fn optional_listers<'a>(&'a self, scope: &'a Scope) -> (Vec<Lister<'a>>, Vec<Warning>) {
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
                listers.push(Box::pin(list_dynamic(
                    self,
                    scope,
                    api_resource,
                    resource.namespaced,
                )));
            }
        }
        (listers, warnings)
    }

    /// Fetches the tail of one container's log.
    pub async fn logs(&self, target: &LogTarget) -> Result<Option<String>, String> {
        let pods: Api<Pod> = Api::namespaced(self.client.clone(), &target.namespace);
        let params = LogParams {
            container: Some(target.container.clone()),
            tail_lines: Some(LOG_TAIL_LINES),
            limit_bytes: Some(LOG_LIMIT_BYTES),
            previous: target.previous,
            ..LogParams::default()
        };
        match pods.logs(&target.pod, &params).await {
            Ok(text) => Ok(Some(text)),
            Err(kube::Error::Api(status)) if status.code == 400 || status.code == 404 => Ok(None),
            Err(e) => Err(describe(&e)),
        }
    }
}

async fn load_config(options: &LiveOptions) -> Result<(Config, String), LiveError> {
    let kc_error = |cause: String| LiveError::Kubeconfig {
        context: options.context.clone(),
        cause,
    };
    let kubeconfig = if let Some(yaml) = &options.kubeconfig_yaml {
        Some(Kubeconfig::from_yaml(yaml).map_err(|e| kc_error(e.to_string()))?)
    } else if let Some(path) = &options.kubeconfig {
        Some(Kubeconfig::read_from(path).map_err(|e| kc_error(e.to_string()))?)
    } else {
        match Kubeconfig::read() {
            Ok(kc) => Some(kc),
            Err(e) if options.context.is_some() => return Err(kc_error(e.to_string())),
            Err(_) => None,
        }
    };
    let (mut config, context) = if let Some(kc) = kubeconfig {
        {
            let context = options
                .context
                .clone()
                .or_else(|| kc.current_context.clone())
                .unwrap_or_default();
            let opts = KubeConfigOptions {
                context: options.context.clone(),
                ..KubeConfigOptions::default()
            };
            let config = Config::from_custom_kubeconfig(kc, &opts)
                .await
                .map_err(|e| kc_error(e.to_string()))?;
            (config, context)
        }
    } else {
        let config = Config::incluster().map_err(|e| {
            kc_error(format!("no kubeconfig found (set KUBECONFIG or --kubeconfig) and not running in a cluster: {e}"))
        })?;
        (config, "in-cluster".to_owned())
    };
    config.connect_timeout = Some(Duration::from_secs(5));
    config.read_timeout = Some(Duration::from_secs(30));
    // kube retries 429/503/504 for minutes by default; a diagnosis tool should say so instead.
    config.default_retry = false;
    Ok((config, context))
}

/// A finished list, ready to be moved into the snapshot.
type Insert = Box<dyn FnOnce(&mut Snapshot) + Send>;
type Lister<'a> = BoxFuture<'a, Result<Insert, Warning>>;

/// Which namespaces a namespaced kind is listed in.
trait ScopedApi: kube::Resource + Sized {
    fn api(client: Client, namespace: Option<&str>) -> Api<Self>;
}

impl<K> ScopedApi for K
where
    K: kube::Resource<DynamicType = ()>,
    K::Scope: ScopeKind,
{
    fn api(client: Client, namespace: Option<&str>) -> Api<Self> {
        <K::Scope as ScopeKind>::api(client, namespace)
    }
}

/// Compile-time scope of a kind: namespaced kinds can be listed in one namespace.
pub trait ScopeKind {
    /// Whether objects of this scope live in namespaces.
    const NAMESPACED: bool;
    /// The API for listing `K`.
    #[doc(hidden)]
    fn api<K: kube::Resource<DynamicType = (), Scope = Self>>(
        client: Client,
        namespace: Option<&str>,
    ) -> Api<K>
    where
        Self: Sized;
}

impl ScopeKind for k8s_openapi::NamespaceResourceScope {
    const NAMESPACED: bool = true;
    fn api<K: kube::Resource<DynamicType = (), Scope = Self>>(
        client: Client,
        namespace: Option<&str>,
    ) -> Api<K> {
        namespace.map_or_else(
            || Api::all(client.clone()),
            |ns| Api::namespaced(client.clone(), ns),
        )
    }
}

impl ScopeKind for k8s_openapi::ClusterResourceScope {
    const NAMESPACED: bool = false;
    fn api<K: kube::Resource<DynamicType = (), Scope = Self>>(
        client: Client,
        _: Option<&str>,
    ) -> Api<K> {
        Api::all(client)
    }
}

/// Optional API groups, and the kinds of each that analyzers read as dynamic objects.
const OPTIONAL_APIS: &[(&str, &[&str])] = &[(
    "gateway.networking.k8s.io",
    &["GatewayClass", "Gateway", "HTTPRoute", "GRPCRoute"],
)];

async fn list_dynamic(
    source: &LiveSource,
    scope: &Scope,
    resource: ApiResource,
    namespaced: bool,
) -> Result<Insert, Warning> {
    let api: Api<DynamicObject> = match scope.namespace.as_deref().filter(|_| namespaced) {
        Some(ns) => Api::namespaced_with(source.client.clone(), ns, &resource),
        None => Api::all_with(source.client.clone(), &resource),
    };
    let mut params = ListParams::default().limit(PAGE_SIZE);
    let mut items = Vec::new();
    loop {
        let page = api.list(&params).await.map_err(|e| {
            let message = format!(
                "skipped {}: {} (GET {}{})",
                resource.plural,
                describe(&e),
                source.server,
                api.resource_url()
            );
            Warning::new(WarningKind::SkippedKind, message)
        })?;
        items.extend(page.items);
        match page.metadata.continue_.filter(|token| !token.is_empty()) {
            Some(token) => params.continue_token = Some(token),
            None => break,
        }
    }
    Ok(Box::new(move |snapshot: &mut Snapshot| {
        // Lists leave out each item's kind; dynamic objects need it to be told apart.
        for mut item in items {
            item.types = Some(kube::api::TypeMeta {
                api_version: resource.api_version.clone(),
                kind: resource.kind.clone(),
            });
            snapshot.dynamic.push(item);
        }
    }))
}

/// Kinds that carry no workload labels of their own: `-l` would hide them from evidence.
const UNLABELLED: &[&str] = &["Event", "Endpoints", "EndpointSlice", "Node", "Namespace"];

fn list_params<K: Object>(scope: &Scope, namespaced: bool) -> ListParams {
    let mut params = ListParams::default().limit(PAGE_SIZE);
    if let Some(selector) = scope
        .selector
        .as_deref()
        .filter(|_| !UNLABELLED.contains(&K::KIND))
    {
        params = params.labels(selector);
    }
    let excluded: Vec<String> = scope
        .exclude_namespaces
        .iter()
        .map(|ns| format!("metadata.namespace!={ns}"))
        .collect();
    if !excluded.is_empty() && namespaced {
        params = params.fields(&excluded.join(","));
    }
    params
}

async fn list_kind<K>(
    source: &LiveSource,
    scope: &Scope,
    store: fn(&mut Snapshot) -> &mut Store<K>,
) -> Result<Insert, Warning>
where
    K: Object + ScopedApi + Clone + DeserializeOwned + std::fmt::Debug + Send + 'static,
    <K as kube::Resource>::Scope: ScopeKind,
{
    let api = K::api(source.client.clone(), scope.namespace.as_deref());
    let metadata_only = <K as k8s_openapi::Resource>::KIND == "Secret";
    let base = list_params::<K>(
        scope,
        <<K as kube::Resource>::Scope as ScopeKind>::NAMESPACED,
    );
    let items = match list_pages(&api, &base, metadata_only).await {
        // An expired continue token (410): start over in one unpaginated list.
        Err(kube::Error::Api(status)) if status.code == 410 => {
            let mut whole = base.clone();
            whole.limit = None;
            list_pages(&api, &whole, metadata_only).await
        }
        other => other,
    };
    let items = items.map_err(|e| {
        let plural = <K as k8s_openapi::Resource>::URL_PATH_SEGMENT;
        let url = api.resource_url();
        Warning::new(
            WarningKind::SkippedKind,
            format!(
                "skipped {plural}: {} (GET {}{url}); checks that need them saw none",
                describe(&e),
                source.server
            ),
        )
    })?;
    Ok(Box::new(move |snapshot: &mut Snapshot| {
        let target = store(snapshot);
        for item in items {
            target.push(item);
        }
    }))
}

async fn list_pages<K>(api: &Api<K>, base: &ListParams, metadata_only: bool) -> kube::Result<Vec<K>>
where
    K: Object + Clone + DeserializeOwned + std::fmt::Debug,
{
    let mut items = Vec::new();
    let mut params = base.clone();
    loop {
        let (page, next) = if metadata_only {
            let page: ObjectList<PartialObjectMeta<K>> = api.list_metadata(&params).await?;
            let next = page.metadata.continue_.clone();
            let items = page
                .items
                .into_iter()
                .map(|p| from_metadata::<K>(&p))
                .collect::<Result<Vec<_>, _>>();
            (items.map_err(kube::Error::SerdeError)?, next)
        } else {
            let page = api.list(&params).await?;
            let next = page.metadata.continue_.clone();
            (page.items, next)
        };
        items.extend(page);
        match next.filter(|token| !token.is_empty()) {
            Some(token) => params.continue_token = Some(token),
            None => return Ok(items),
        }
    }
}

/// Builds an object from its metadata alone. Only used for Secrets, whose other fields
/// kubewhy must never see.
fn from_metadata<K: Object + DeserializeOwned>(
    partial: &PartialObjectMeta<K>,
) -> serde_json::Result<K> {
    serde_json::from_value(serde_json::json!({ "metadata": partial.metadata }))
}

macro_rules! define_listers {
    ($($field:ident: $ty:ty),* $(,)?) => {
        fn listers<'a>(source: &'a LiveSource, scope: &'a Scope) -> Vec<Lister<'a>> {
            vec![$(Box::pin(list_kind::<$ty>(source, scope, |s| &mut s.$field)),)*]
        }
    };
}

crate::for_each_kind!(define_listers);

/// A kube error in words a user can act on, without Rust type names.
fn describe(error: &kube::Error) -> String {
    if let kube::Error::Api(status) = error {
        let what = match status.code {
            401 => "unauthorized (401): the credentials were rejected".to_owned(),
            403 => "forbidden (403)".to_owned(),
            404 => "not found (404): the API server does not serve this kind".to_owned(),
            code => format!("the API server answered {code} {}", status.reason),
        };
        return if status.message.is_empty() {
            what
        } else {
            format!("{what}: {}", status.message)
        };
    }
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
    let mut last = error.to_string();
    while let Some(e) = cause {
        last = e.to_string();
        cause = e.source();
    }
    last
}
