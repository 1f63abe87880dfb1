//! What an analyzer sees: the snapshot (through `Deref`), which checks are wanted, and what
//! several analyzers derive from the snapshot, computed once per run: the index of every object
//! that makes pods, by namespace and by kind, namespace and name.

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    ops::Deref,
    sync::OnceLock,
};

use kubewhy_model::CheckId;
use kubewhy_source::Snapshot;

use crate::{
    Exemption, Filter, check,
    k8s::{namespace_of, service_account_of},
    system_components,
    workload::{Workload, pod_makers},
};

/// One run's view of the snapshot.
pub struct Context<'a> {
    snapshot: &'a Snapshot,
    filter: &'a Filter,
    index: OnceLock<Index<'a>>,
    accounts_in_use: OnceLock<HashSet<(String, String)>>,
}

/// Every pod maker, and where to find each.
struct Index<'a> {
    all: Vec<Workload<'a>>,
    /// Positions in `all` of the workloads checks judge, in `all`'s order.
    judged: Vec<usize>,
    /// Positions in `all` by namespace (`default` for objects written without one).
    by_namespace: BTreeMap<String, Vec<usize>>,
    /// Positions in `all` of the judged workloads, by namespace: most pods are controlled, and
    /// a selector question about templates should not scan them.
    judged_by_namespace: BTreeMap<String, Vec<usize>>,
    /// Positions in `all` by kind, namespace and name.
    by_name: HashMap<(String, String, String), usize>,
}

impl<'a> Index<'a> {
    fn new(snapshot: &'a Snapshot) -> Self {
        let all = pod_makers(snapshot);
        let mut judged = Vec::new();
        let mut by_namespace: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        let mut judged_by_namespace: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        let mut by_name = HashMap::with_capacity(all.len());
        for (i, w) in all.iter().enumerate() {
            let namespace = namespace_of(&w.object).to_owned();
            if w.judged() {
                judged.push(i);
                judged_by_namespace
                    .entry(namespace.clone())
                    .or_default()
                    .push(i);
            }
            by_namespace.entry(namespace.clone()).or_default().push(i);
            by_name.insert((w.object.kind.clone(), namespace, w.object.name.clone()), i);
        }
        Self {
            all,
            judged,
            by_namespace,
            judged_by_namespace,
            by_name,
        }
    }
}

impl<'a> Context<'a> {
    /// A context that runs the checks `filter` enables, and those on by default (their findings
    /// decide what other findings explain).
    #[must_use]
    pub fn new(snapshot: &'a Snapshot, filter: &'a Filter) -> Self {
        Self {
            snapshot,
            filter,
            index: OnceLock::new(),
            accounts_in_use: OnceLock::new(),
        }
    }

    /// Whether the check's findings can be kept. Analyzers skip the work of checks that are
    /// off: some (key order, owner labels) would fire on nearly every object.
    #[must_use]
    pub fn enabled(&self, id: CheckId) -> bool {
        check(id.as_str()).is_some_and(|info| {
            self.filter.enabled(info)
                || Filter {
                    live: self.filter.live,
                    ..Filter::default()
                }
                .enabled(info)
        })
    }

    fn index(&self) -> &Index<'a> {
        self.index.get_or_init(|| Index::new(self.snapshot))
    }

    /// The workloads checks judge by their pod spec (see [`Workload::judged`]), in kind order,
    /// then namespace and name.
    pub fn workloads(&self) -> impl Iterator<Item = &Workload<'a>> {
        let index = self.index();
        index.judged.iter().map(|&i| &index.all[i])
    }

    /// The judged workloads of one namespace: selector questions stay inside a namespace, and
    /// scanning every workload for every Service is quadratic on a large cluster.
    pub fn workloads_in(&self, namespace: &str) -> impl Iterator<Item = &Workload<'a>> {
        let index = self.index();
        let namespace = if namespace.is_empty() {
            "default"
        } else {
            namespace
        };
        index
            .judged_by_namespace
            .get(namespace)
            .into_iter()
            .flatten()
            .map(|&i| &index.all[i])
    }

    /// Every object that makes pods, and every Pod, judged or not: what a selector may match.
    pub fn pod_makers(&self) -> &[Workload<'a>] {
        &self.index().all
    }

    /// Every pod maker of one namespace (`default` holds objects written without one).
    pub fn pod_makers_in(&self, namespace: &str) -> impl Iterator<Item = &Workload<'a>> {
        let index = self.index();
        let namespace = if namespace.is_empty() {
            "default"
        } else {
            namespace
        };
        index
            .by_namespace
            .get(namespace)
            .into_iter()
            .flatten()
            .map(|&i| &index.all[i])
    }

    /// The pod maker of this kind and name in `namespace` (`None` means `default`).
    #[must_use]
    pub fn workload(
        &self,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
    ) -> Option<&Workload<'a>> {
        let index = self.index();
        let namespace = namespace.filter(|ns| !ns.is_empty()).unwrap_or("default");
        let key = (kind.to_owned(), namespace.to_owned(), name.to_owned());
        index.by_name.get(&key).map(|&i| &index.all[i])
    }
}

impl<'a> Context<'a> {
    /// Whether the source is a cluster, a dump or `kubectl get` output rather than manifests.
    #[must_use]
    pub fn live(&self) -> bool {
        self.filter.live
    }

    /// The snapshot, for borrows that must outlive this context's own.
    #[must_use]
    pub fn snapshot(&self) -> &'a Snapshot {
        self.snapshot
    }

    /// Whether the filter keeps the check's findings in the report (not only computes them).
    #[must_use]
    pub fn kept(&self, id: CheckId) -> bool {
        check(id.as_str()).is_some_and(|info| self.filter.enabled(info))
    }

    /// Whether `--check` names the check or its category: the user wants every finding of it.
    #[must_use]
    pub fn named(&self, id: CheckId) -> bool {
        check(id.as_str()).is_some_and(|info| {
            self.filter
                .only
                .iter()
                .any(|n| n == info.id.as_str() || n == info.category.as_str())
        })
    }

    /// The system components whose security findings a cluster report leaves out.
    #[must_use]
    pub fn exemptions(&self) -> Vec<Exemption> {
        self.filter.exempt.clone().unwrap_or_else(system_components)
    }

    /// Whether the snapshot holds every object of `kind` in `namespace` that there is to see, so
    /// that "nothing selects it" or "it does not exist" can be claimed: on a cluster, a
    /// complete listing ([`Snapshot::listed`]); files are judged as given, as linters judge
    /// manifests. Checks that name a missing object of a kind the input may simply leave out
    /// (Secrets, ConfigMaps) use `listed` instead, which for files asks that the input hold
    /// objects of that kind.
    #[must_use]
    pub fn collected(&self, kind: &str, namespace: Option<&str>) -> bool {
        self.snapshot.listings().is_files() || self.snapshot.listed(kind, namespace)
    }

    /// Whether a Running pod in `namespace` uses the ServiceAccount `name`: proof that it
    /// exists, since the API server admits no pod whose ServiceAccount is missing, whatever
    /// the snapshot's own list of ServiceAccounts (partial, or forbidden) says.
    #[must_use]
    pub fn service_account_in_use(&self, namespace: Option<&str>, name: &str) -> bool {
        let in_use = self.accounts_in_use.get_or_init(|| {
            self.snapshot
                .pods
                .iter()
                .filter(|p| p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running"))
                .filter_map(|p| {
                    let account = service_account_of(p.spec.as_ref()?);
                    let namespace = p.metadata.namespace.as_deref().filter(|n| !n.is_empty());
                    Some((
                        namespace.unwrap_or("default").to_owned(),
                        account.to_owned(),
                    ))
                })
                .collect()
        });
        let namespace = namespace.filter(|n| !n.is_empty()).unwrap_or("default");
        in_use.contains(&(namespace.to_owned(), name.to_owned()))
    }
}

impl Deref for Context<'_> {
    type Target = Snapshot;

    fn deref(&self) -> &Snapshot {
        self.snapshot
    }
}
