//! Listing every kind once: paginated, with a bounded number of lists in flight, each page
//! parsed off the async workers as it arrives, progress reported per page, and how each kind
//! was read recorded for [`crate::Snapshot::listed`].

use std::sync::atomic::{AtomicUsize, Ordering};

use futures::future::BoxFuture;
use kube::{
    Api,
    api::{ApiResource, DynamicObject, ListParams, ObjectList, PartialObjectMeta},
};
use kubewhy_model::{Warning, WarningKind};
use serde::de::DeserializeOwned;

use super::{LiveSource, describe, fetch};
use crate::{
    Compact, Listing, Progress, Reporter, Scope, Snapshot, SourceEvent, Store, k8s::core::v1::Pod,
    store::Object,
};

/// Items per page.
const PAGE_SIZE: u32 = 500;

/// A finished list, ready to be moved into the snapshot.
pub(super) type Insert = Box<dyn FnOnce(&mut Snapshot) + Send>;

/// What listing one kind produced.
pub(super) struct Listed {
    pub kind: String,
    pub listing: Listing,
    pub insert: Option<Insert>,
    pub warning: Option<Warning>,
}

pub(super) type Lister<'a> = BoxFuture<'a, Listed>;

/// What every list of one collection shares: where to report, and how many kinds are done.
pub(super) struct Shared<'a> {
    pub source: &'a LiveSource,
    pub scope: &'a Scope,
    pub reporter: &'a Reporter,
    pub done: AtomicUsize,
    pub total: AtomicUsize,
}

/// Whether a kind lives in namespaces, known at compile time from its scope.
pub trait ScopedApi: kube::Resource<DynamicType = ()> + Sized {
    /// Whether objects of the kind live in namespaces.
    const NAMESPACED: bool;
}

impl<K> ScopedApi for K
where
    K: kube::Resource<DynamicType = ()>,
    K::Scope: ScopeKind,
{
    const NAMESPACED: bool = <K::Scope as ScopeKind>::NAMESPACED;
}

/// Compile-time scope of a kind: namespaced kinds can be listed in one namespace.
pub trait ScopeKind {
    /// Whether objects of this scope live in namespaces.
    const NAMESPACED: bool;
}

impl ScopeKind for k8s_openapi::NamespaceResourceScope {
    const NAMESPACED: bool = true;
}

impl ScopeKind for k8s_openapi::ClusterResourceScope {
    const NAMESPACED: bool = false;
}

/// How one kind is listed under `scope`. `-l` is applied on the server to Pods only: they are
/// the bulk of a cluster, and what a selector is for. Everything pods refer to (ConfigMaps,
/// Secrets, claims, Services, owners, nodes) is listed whole, so that a selected run judges
/// references exactly as an unselected one; the selector then decides what is reported.
fn params_for(kind: &str, namespaced: bool, scope: &Scope) -> (ListParams, Listing) {
    let mut params = ListParams::default().limit(PAGE_SIZE);
    let selector = scope
        .selector
        .clone()
        .filter(|_| kind == <Pod as k8s_openapi::Resource>::KIND);
    if let Some(selector) = &selector {
        params = params.labels(selector);
    }
    let excluded: Vec<String> = if namespaced {
        scope.exclude_namespaces.clone()
    } else {
        Vec::new()
    };
    if !excluded.is_empty() {
        let fields: Vec<String> = excluded
            .iter()
            .map(|ns| format!("metadata.namespace!={ns}"))
            .collect();
        params = params.fields(&fields.join(","));
    }
    let listing = Listing::Listed {
        namespace: scope.namespace.clone().filter(|_| namespaced),
        excluded,
        selector,
    };
    (params, listing)
}

impl Shared<'_> {
    /// Lists pages of `url` until the last, parsing each off the async workers.
    async fn pages<T>(
        &self,
        plural: &str,
        url: &str,
        base: &ListParams,
        metadata_only: bool,
    ) -> kube::Result<Vec<T>>
    where
        T: Clone + Compact + DeserializeOwned + kube::Resource + Send + 'static,
    {
        let request = kube::core::Request::new(url);
        let (mut items, mut pages, mut bytes) = (Vec::new(), 0, 0u64);
        let mut params = base.clone();
        loop {
            if self.reporter.is_cancelled() {
                return Ok(items);
            }
            let build = || {
                if metadata_only {
                    request.list_metadata(&params)
                } else {
                    request.list(&params)
                }
                .map_err(kube::Error::BuildRequest)
            };
            // Throttling is waited out per page; a page that fails otherwise (an error status,
            // the connection dropped, a body cut short) fails the whole kind, pages already
            // read included: a kind listed in part would make absence checks lie, so it is
            // recorded as `Listing::Failed`, never as `Listed`.
            let client = &self.source.client;
            let Some(text) = fetch::page_text(client, self.reporter, build).await? else {
                return Ok(items);
            };
            bytes += text.len() as u64;
            pages += 1;
            // `managedFields` is blanked out of the text, never parsed; each object is
            // compacted as soon as its page is parsed, so it is held at its real size.
            let parse = move || {
                let mut bytes = text.into_bytes();
                crate::compact::blank_managed_fields(&mut bytes);
                serde_json::from_slice::<ObjectList<T>>(&bytes).map(|mut page| {
                    page.items.iter_mut().for_each(Compact::compact);
                    page
                })
            };
            let page: ObjectList<T> = tokio::task::spawn_blocking(parse)
                .await
                .map_err(|e| kube::Error::Service(Box::new(e)))?
                .map_err(kube::Error::SerdeError)?;
            items.extend(page.items);
            self.reporter.send(SourceEvent::Progress(Progress {
                what: plural.to_owned(),
                items: items.len(),
                pages,
                bytes,
                done: false,
                steps_done: self.done.load(Ordering::Relaxed),
                steps: self.total.load(Ordering::Relaxed),
            }));
            match page.metadata.continue_.filter(|token| !token.is_empty()) {
                Some(token) => params.continue_token = Some(token),
                None => return Ok(items),
            }
        }
    }

    /// Lists with pages; an expired continue token (410) starts over in one unpaginated list.
    async fn list_all<T>(
        &self,
        plural: &str,
        url: &str,
        base: &ListParams,
        metadata_only: bool,
    ) -> kube::Result<Vec<T>>
    where
        T: Clone + Compact + DeserializeOwned + kube::Resource + Send + 'static,
    {
        match self.pages(plural, url, base, metadata_only).await {
            Err(kube::Error::Api(status)) if status.code == 410 => {
                let mut whole = base.clone();
                whole.limit = None;
                self.pages(plural, url, &whole, metadata_only).await
            }
            other => other,
        }
    }

    /// Marks one kind done and reports it.
    fn finish(&self, plural: &str, items: usize) {
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        self.reporter.send(SourceEvent::Progress(Progress {
            what: plural.to_owned(),
            items,
            pages: 0,
            bytes: 0,
            done: true,
            steps_done: done,
            steps: self.total.load(Ordering::Relaxed),
        }));
    }

    fn failed(&self, kind: &str, plural: &str, url: &str, error: &kube::Error) -> Listed {
        self.finish(plural, 0);
        let reason = describe(error);
        let message = format!(
            "skipped {plural}: {reason} (GET {}{url}); checks that need them saw none",
            self.source.server
        );
        Listed {
            kind: kind.to_owned(),
            listing: Listing::Failed { reason },
            insert: None,
            warning: Some(Warning::new(WarningKind::SkippedKind, message)),
        }
    }
}

pub(super) async fn list_kind<K>(
    shared: &Shared<'_>,
    store: fn(&mut Snapshot) -> &mut Store<K>,
) -> Listed
where
    K: Object + Compact + ScopedApi + Clone + DeserializeOwned + std::fmt::Debug + Send + 'static,
{
    let kind = <K as k8s_openapi::Resource>::KIND;
    let plural = <K as k8s_openapi::Resource>::URL_PATH_SEGMENT;
    let namespace = shared.scope.namespace.as_deref().filter(|_| K::NAMESPACED);
    let url = <K as kube::Resource>::url_path(&(), namespace);
    let (params, listing) = params_for(kind, K::NAMESPACED, shared.scope);
    // Secrets are read as metadata only: their values never enter the process.
    let items: kube::Result<Vec<K>> = if kind == "Secret" {
        shared
            .list_all::<PartialObjectMeta<K>>(plural, &url, &params, true)
            .await
            .and_then(|partial| {
                partial
                    .iter()
                    .map(from_metadata::<K>)
                    .collect::<Result<_, _>>()
                    .map_err(kube::Error::SerdeError)
            })
    } else {
        shared.list_all::<K>(plural, &url, &params, false).await
    };
    match items {
        Ok(items) => {
            shared.finish(plural, items.len());
            Listed {
                kind: kind.to_owned(),
                listing,
                insert: Some(Box::new(move |snapshot: &mut Snapshot| {
                    store(snapshot).extend(items);
                })),
                warning: None,
            }
        }
        Err(e) => shared.failed(kind, plural, &url, &e),
    }
}

pub(super) async fn list_dynamic(
    shared: &Shared<'_>,
    resource: ApiResource,
    namespaced: bool,
) -> Listed {
    let client = shared.source.client.clone();
    let api: Api<DynamicObject> = match shared.scope.namespace.as_deref().filter(|_| namespaced) {
        Some(ns) => Api::namespaced_with(client, ns, &resource),
        None => Api::all_with(client, &resource),
    };
    let (params, listing) = params_for(&resource.kind, namespaced, shared.scope);
    let url = api.resource_url().to_owned();
    match shared
        .list_all::<DynamicObject>(&resource.plural, &url, &params, false)
        .await
    {
        Ok(items) => {
            shared.finish(&resource.plural, items.len());
            let kind = resource.kind.clone();
            Listed {
                kind,
                listing,
                insert: Some(Box::new(move |snapshot: &mut Snapshot| {
                    // Lists leave out each item's kind; dynamic objects need it to be told apart.
                    for mut item in items {
                        item.types = Some(kube::api::TypeMeta {
                            api_version: resource.api_version.clone(),
                            kind: resource.kind.clone(),
                        });
                        snapshot.dynamic.push(item);
                    }
                })),
                warning: None,
            }
        }
        Err(e) => shared.failed(&resource.kind, &resource.plural, &url, &e),
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
        /// One lister per typed kind.
        pub(super) fn listers<'a>(shared: &'a Shared<'a>) -> Vec<Lister<'a>> {
            vec![$(Box::pin(list_kind::<$ty>(shared, |s| &mut s.$field)),)*]
        }
    };
}

crate::for_each_kind!(define_listers);
