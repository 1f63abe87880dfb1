//! The registry of analyzers and the checks they own, and the parallel runner.

use std::thread;

use kubewhy_model::{Category, Finding, Severity};

use crate::{
    Context,
    catalog::{Applies, CheckInfo, catalog},
};
use kubewhy_source::Snapshot;

/// A family of checks over the snapshot.
pub trait Analyzer: Sync {
    /// The ids of the checks this analyzer can produce; each has a catalog entry.
    fn checks(&self) -> &'static [&'static str];
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
        .filter_map(|id| check(id))
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
    /// when `only` names them, so that a cluster report leads with what is broken.
    pub live: bool,
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
            info.default_on && !(self.live && info.applies == Applies::Static)
        } else {
            named(&self.only)
        }
    }

    fn keeps(&self, finding: &Finding) -> bool {
        self.min_severity.is_none_or(|min| finding.severity >= min)
            && check(finding.check.as_str()).is_some_and(|info| self.enabled(info))
    }
}

/// Runs every analyzer that owns an enabled check, in parallel, then lets each look at what the
/// others found, and keeps the findings the filter lets through.
#[must_use]
pub fn run(snapshot: &Snapshot, filter: &Filter) -> Vec<Finding> {
    let owns_enabled = |filter: &Filter, a: &&dyn Analyzer| {
        a.checks()
            .iter()
            .filter_map(|id| check(id))
            .any(|info| filter.enabled(info))
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
        .filter(|a| owns_enabled(filter, a) || owns_enabled(&defaults, a))
        .collect();
    let wanted: Vec<&dyn Analyzer> = registry()
        .iter()
        .copied()
        .filter(|a| owns_enabled(filter, a))
        .collect();
    let cx = Context::new(snapshot, filter);
    let mut first = parallel(&first_pass, |analyzer| analyzer.analyze(&cx));
    // An analyzer reports all its checks; those switched off explain nothing.
    first.retain(|f| filter.keeps(f) || defaults.keeps(f));
    let rest = parallel(&wanted, |analyzer| analyzer.analyze_rest(&cx, &first));
    first
        .into_iter()
        .chain(rest)
        .filter(|f| filter.keeps(f))
        .collect()
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
