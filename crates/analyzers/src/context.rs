//! What an analyzer sees: the snapshot (through `Deref`), which checks are wanted, and what
//! several analyzers derive from the snapshot, computed once per run.

use std::{collections::BTreeMap, ops::Deref, sync::OnceLock};

use kubewhy_source::Snapshot;

use crate::{
    Filter, check,
    workload::{Workload, workloads},
};

/// One run's view of the snapshot.
pub struct Context<'a> {
    snapshot: &'a Snapshot,
    filter: &'a Filter,
    workloads: OnceLock<Vec<Workload<'a>>>,
    by_namespace: OnceLock<BTreeMap<String, Vec<usize>>>,
}

impl<'a> Context<'a> {
    /// A context that runs the checks `filter` enables, and those on by default (their findings
    /// decide what other findings explain).
    #[must_use]
    pub fn new(snapshot: &'a Snapshot, filter: &'a Filter) -> Self {
        Self {
            snapshot,
            filter,
            workloads: OnceLock::new(),
            by_namespace: OnceLock::new(),
        }
    }

    /// Whether the check's findings can be kept. Analyzers skip the work of checks that are
    /// off: some (key order, owner labels) would fire on nearly every object.
    #[must_use]
    pub fn enabled(&self, id: &str) -> bool {
        check(id).is_some_and(|info| {
            self.filter.enabled(info)
                || Filter {
                    live: self.filter.live,
                    ..Filter::default()
                }
                .enabled(info)
        })
    }

    /// Every pod-making object with its template, computed on first use.
    pub fn workloads(&self) -> &[Workload<'a>] {
        self.workloads.get_or_init(|| workloads(self.snapshot))
    }

    /// The workloads in one namespace: selector questions stay inside a namespace, and scanning
    /// every workload for every Service is quadratic on a large cluster.
    pub fn workloads_in(&self, namespace: &str) -> impl Iterator<Item = &Workload<'a>> {
        let index = self.by_namespace.get_or_init(|| {
            let mut index: BTreeMap<String, Vec<usize>> = BTreeMap::new();
            for (i, w) in self.workloads().iter().enumerate() {
                index
                    .entry(w.object.namespace.clone().unwrap_or_default())
                    .or_default()
                    .push(i);
            }
            index
        });
        let all = self.workloads();
        index
            .get(namespace)
            .into_iter()
            .flatten()
            .map(move |&i| &all[i])
    }
}

impl Deref for Context<'_> {
    type Target = Snapshot;

    fn deref(&self) -> &Snapshot {
        self.snapshot
    }
}
