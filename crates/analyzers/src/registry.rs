//! The registry of analyzers and the checks they own, and the parallel runner.

use std::{
    collections::{BTreeMap, BTreeSet},
    thread,
};

use kubewhy_model::{Category, CheckCount, CheckId, Finding, ObjectRef, Severity};

use crate::{
    Context,
    catalog::{Applies, CheckInfo, catalog},
    exempt::{Exemption, exempt, system_components},
    k8s::namespace_of,
    twins,
};
use kubewhy_source::Snapshot;

/// A family of checks over the snapshot.
pub trait Analyzer: Sync {
    /// The ids of the checks this analyzer can produce, as [`ids`](crate::ids) constants.
    fn checks(&self) -> &'static [CheckId];
    /// Finds problems. Must be deterministic.
    fn analyze(&self, cx: &Context<'_>) -> Vec<Finding>;

    /// Finds problems that the other analyzers' findings leave unexplained. Runs after every
    /// `analyze`; most analyzers have nothing to add here.
    fn analyze_rest(&self, _cx: &Context<'_>, _found: &[Finding]) -> Vec<Finding> {
        Vec::new()
    }
}

/// Every analyzer, in the order their findings are reported before sorting.
#[must_use]
pub fn registry() -> &'static [&'static dyn Analyzer] {
    &[
        &crate::pods::PodAnalyzer,
        &crate::controllers::ControllerAnalyzer,
        &crate::nodes::NodeAnalyzer,
        &crate::network::NetworkAnalyzer,
        &crate::storage::StorageAnalyzer,
        &crate::references::ReferenceAnalyzer,
        &crate::ai::AiAnalyzer,
        &crate::static_checks::security::SecurityAnalyzer,
        &crate::static_checks::reliability::ReliabilityAnalyzer,
        &crate::events::EventAnalyzer,
    ]
}

/// Every check of every analyzer that has a catalog entry (the catalog test requires all).
pub fn all_checks() -> impl Iterator<Item = &'static CheckInfo> {
    registry()
        .iter()
        .flat_map(|analyzer| analyzer.checks())
        .filter_map(|id| check(id.as_str()))
}

/// The catalog entry of the check with this id.
#[must_use]
pub fn check(id: &str) -> Option<&'static CheckInfo> {
    catalog().entries.get(id)
}

/// Which checks run and which findings are kept: `--check`, `--skip`, `--min-severity`.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Check ids or category names to keep; empty keeps all.
    pub only: Vec<String>,
    /// Check ids or category names to drop.
    pub skip: Vec<String>,
    /// Findings below this severity are dropped.
    pub min_severity: Option<Severity>,
    /// The source is a cluster: static checks (written for manifests) run on its objects only
    /// when `only` names them, or when their catalog entry says `clusters: on`, so that a
    /// cluster report leads with what is broken.
    pub live: bool,
    /// The system components whose security findings a cluster report leaves out; `None` for
    /// the documented default list ([`system_components`](crate::system_components)).
    pub exempt: Option<Vec<Exemption>>,
}

impl Filter {
    /// Names in `only` and `skip` that are neither a check id nor a category.
    #[must_use]
    pub fn unknown_names(&self) -> Vec<&str> {
        self.only
            .iter()
            .chain(&self.skip)
            .map(String::as_str)
            .filter(|name| {
                check(name).is_none() && !Category::ALL.iter().any(|c| c.as_str() == *name)
            })
            .collect()
    }

    /// Whether a check is enabled. Naming a check or its category in `only` enables it even
    /// when it is off by default.
    #[must_use]
    pub fn enabled(&self, info: &CheckInfo) -> bool {
        let named = |names: &[String]| {
            names
                .iter()
                .any(|n| n == info.id.as_str() || n == info.category.as_str())
        };
        if named(&self.skip) {
            return false;
        }
        if self.only.is_empty() {
            let held_back = self.live && info.applies == Applies::Static && !info.on_clusters;
            info.default_on && !held_back
        } else {
            named(&self.only)
        }
    }

    /// Whether a cluster report summarises this check instead of listing its findings: a
    /// static security or configuration check, on for manifests, off on clusters (see
    /// [`Self::live`]), and not asked for by name.
    #[must_use]
    pub fn summarizes(&self, info: &CheckInfo) -> bool {
        let named = |names: &[String]| {
            names
                .iter()
                .any(|n| n == info.id.as_str() || n == info.category.as_str())
        };
        self.live
            && self.only.is_empty()
            && !named(&self.skip)
            && info.applies == Applies::Static
            && info.default_on
            && !info.on_clusters
            && matches!(info.category, Category::Security | Category::Configuration)
    }

    fn holds_back(&self, finding: &Finding) -> bool {
        self.min_severity.is_none_or(|min| finding.severity >= min)
            && check(finding.check.as_str()).is_some_and(|info| self.summarizes(info))
    }

    fn keeps(&self, finding: &Finding) -> bool {
        self.min_severity.is_none_or(|min| finding.severity >= min)
            && check(finding.check.as_str()).is_some_and(|info| self.enabled(info))
    }
}

/// What one run found.
#[derive(Debug, Default)]
pub struct Analysis {
    /// The findings the filter keeps.
    pub findings: Vec<Finding>,
    /// On clusters and dumps, the findings of the static security and configuration checks
    /// that are on for manifests but not listed one by one on a cluster: the report summarises
    /// them ([`summarize`]).
    pub held_back: Vec<Finding>,
    /// On clusters and dumps, the security findings left out because they are on system
    /// components ([`Filter::exempt`]); [`count_objects`] says on how many.
    pub exempted: Vec<Finding>,
}

/// Runs every analyzer that owns an enabled check, in parallel, then lets each look at what the
/// others found, and keeps the findings the filter lets through.
#[must_use]
pub fn run(snapshot: &Snapshot, filter: &Filter) -> Vec<Finding> {
    analyze(snapshot, filter).findings
}

/// [`run`], with what a cluster report summarises and what it leaves out.
#[must_use]
pub fn analyze(snapshot: &Snapshot, filter: &Filter) -> Analysis {
    let owns = |a: &&dyn Analyzer, wanted: &dyn Fn(&CheckInfo) -> bool| {
        a.checks()
            .iter()
            .filter_map(|id| check(id.as_str()))
            .any(wanted)
    };
    // What counts as explained must not depend on which checks the user wants to see, so the
    // first pass also runs every analyzer that is on by default.
    let defaults = Filter {
        live: filter.live,
        ..Filter::default()
    };
    let first_pass: Vec<&dyn Analyzer> = registry()
        .iter()
        .copied()
        .filter(|a| {
            owns(a, &|i| {
                filter.enabled(i) || defaults.enabled(i) || filter.summarizes(i)
            })
        })
        .collect();
    let wanted: Vec<&dyn Analyzer> = registry()
        .iter()
        .copied()
        .filter(|a| owns(a, &|i| filter.enabled(i)))
        .collect();
    let cx = Context::new(snapshot, filter);
    let mut first = parallel(&first_pass, |analyzer| analyzer.analyze(&cx));
    // Of a live and a static check answering one question, one speaks.
    first.retain(|f| twins::reports(&cx, f.check));
    let mut analysis = Analysis::default();
    if filter.live {
        let list = filter.exempt.clone().unwrap_or_else(system_components);
        let (exempted, kept): (Vec<Finding>, Vec<Finding>) =
            first.into_iter().partition(|f| exempt(snapshot, &list, f));
        first = kept;
        analysis.exempted = exempted
            .into_iter()
            .filter(|f| filter.keeps(f) || filter.holds_back(f))
            .collect();
    }
    analysis.held_back = first
        .iter()
        .filter(|f| filter.holds_back(f))
        .cloned()
        .collect();
    // An analyzer reports all its checks; those switched off explain nothing.
    first.retain(|f| filter.keeps(f) || defaults.keeps(f));
    let rest = parallel(&wanted, |analyzer| analyzer.analyze_rest(&cx, &first));
    analysis.findings = first
        .into_iter()
        .chain(rest)
        .filter(|f| filter.keeps(f))
        .collect();
    analysis
}

/// One line per check of `held_back`: on how many objects, in how many namespaces, most
/// objects first.
#[must_use]
pub fn summarize(held_back: &[Finding]) -> Vec<CheckCount> {
    let mut by_check: BTreeMap<CheckId, (BTreeSet<&ObjectRef>, BTreeSet<&str>)> = BTreeMap::new();
    for finding in held_back {
        let (objects, namespaces) = by_check.entry(finding.check).or_default();
        objects.insert(&finding.object);
        namespaces.insert(namespace_of(&finding.object));
    }
    let mut counts: Vec<CheckCount> = by_check
        .into_iter()
        .map(|(check, (objects, namespaces))| CheckCount {
            check,
            objects: objects.len(),
            namespaces: namespaces.len(),
        })
        .collect();
    counts.sort_by(|a, b| b.objects.cmp(&a.objects).then(a.check.cmp(&b.check)));
    counts
}

/// How many distinct objects `findings` are about.
#[must_use]
pub fn count_objects(findings: &[Finding]) -> usize {
    findings
        .iter()
        .map(|f| &f.object)
        .collect::<BTreeSet<_>>()
        .len()
}

/// Runs `work` for every analyzer on its own thread; results come back in registry order.
fn parallel<F>(analyzers: &[&dyn Analyzer], work: F) -> Vec<Finding>
where
    F: Fn(&dyn Analyzer) -> Vec<Finding> + Sync,
{
    thread::scope(|scope| {
        let work = &work;
        let handles: Vec<_> = analyzers
            .iter()
            .map(|a| scope.spawn(move || work(*a)))
            .collect();
        // A panicking analyzer is a bug; re-raising it keeps the panic message intact.
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn static_checks_wait_to_be_named_on_live_sources() {
        let info = CheckInfo {
            applies: Applies::Static,
            ..*check("pod-crash-looping").unwrap()
        };
        let live = Filter {
            live: true,
            ..Filter::default()
        };
        assert!(!live.enabled(&info));
        assert!(
            Filter {
                only: vec!["reliability".into()],
                ..live
            }
            .enabled(&info)
        );
        assert!(Filter::default().enabled(&info));
        let off = CheckInfo {
            default_on: false,
            ..info
        };
        assert!(!Filter::default().enabled(&off));
        assert!(
            Filter {
                only: vec!["pod-crash-looping".into()],
                ..Filter::default()
            }
            .enabled(&off)
        );
    }

    #[test]
    fn check_ids_are_unique_kebab_case() {
        let mut ids: Vec<&str> = all_checks().map(|c| c.id.as_str()).collect();
        for id in &ids {
            assert!(
                id.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
                "{id}"
            );
        }
        let count = ids.len();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), count, "duplicate check ids");
    }

    #[test]
    fn filters_accept_ids_and_categories() {
        let info = check("pod-crash-looping").unwrap();
        let only = |names: &[&str]| Filter {
            only: names.iter().map(|s| (*s).to_owned()).collect(),
            ..Filter::default()
        };
        assert!(only(&["reliability"]).enabled(info));
        assert!(!only(&["security"]).enabled(info));
        let skip = Filter {
            skip: vec!["pod-crash-looping".into()],
            ..Filter::default()
        };
        assert!(!skip.enabled(info));
        assert_eq!(only(&["pod-crashloop"]).unknown_names(), ["pod-crashloop"]);
    }
}
