//! The registry of analyzers and the checks they own, and the parallel runner.

use std::thread;

use kubewhy_model::{Category, CheckId, Finding, Severity};
use kubewhy_source::Snapshot;

/// Where a check can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applies {
    /// On live state (status, events): clusters, dumps, the demo.
    Live,
    /// On manifests as written, and on live objects' specs.
    Static,
}

/// A check's identity card: everything but its documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckInfo {
    /// The stable id.
    pub id: CheckId,
    /// A short title naming the problem.
    pub title: &'static str,
    /// The severity it usually fires with; a finding may raise or lower it.
    pub severity: Severity,
    /// Its family.
    pub category: Category,
    /// Where it applies.
    pub applies: Applies,
}

/// A family of checks over the snapshot.
pub trait Analyzer: Sync {
    /// The checks this analyzer can produce.
    fn checks(&self) -> &'static [CheckInfo];
    /// Finds problems. Must be deterministic.
    fn analyze(&self, snapshot: &Snapshot) -> Vec<Finding>;
}

/// Every analyzer, in the order their findings are reported before sorting.
#[must_use]
pub fn registry() -> &'static [&'static dyn Analyzer] {
    &[&crate::pods::PodAnalyzer]
}

/// Every check of every analyzer.
pub fn all_checks() -> impl Iterator<Item = &'static CheckInfo> {
    registry().iter().flat_map(|analyzer| analyzer.checks())
}

/// The check with this id.
#[must_use]
pub fn check(id: &str) -> Option<&'static CheckInfo> {
    all_checks().find(|info| info.id.as_str() == id)
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

    /// Whether a check is enabled.
    #[must_use]
    pub fn enabled(&self, info: &CheckInfo) -> bool {
        let named = |names: &[String]| {
            names
                .iter()
                .any(|n| n == info.id.as_str() || n == info.category.as_str())
        };
        (self.only.is_empty() || named(&self.only)) && !named(&self.skip)
    }

    fn keeps(&self, finding: &Finding) -> bool {
        self.min_severity.is_none_or(|min| finding.severity >= min)
            && check(finding.check.as_str()).is_some_and(|info| self.enabled(info))
    }
}

/// Runs every analyzer that owns an enabled check, in parallel, and keeps the findings the
/// filter lets through.
#[must_use]
pub fn run(snapshot: &Snapshot, filter: &Filter) -> Vec<Finding> {
    let wanted: Vec<&dyn Analyzer> = registry()
        .iter()
        .copied()
        .filter(|a| a.checks().iter().any(|info| filter.enabled(info)))
        .collect();
    let results: Vec<Vec<Finding>> = thread::scope(|scope| {
        let handles: Vec<_> = wanted
            .iter()
            .map(|analyzer| scope.spawn(move || analyzer.analyze(snapshot)))
            .collect();
        // A panicking analyzer is a bug; re-raising it keeps the panic message intact.
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    results
        .into_iter()
        .flatten()
        .filter(|f| filter.keeps(f))
        .collect()
}

/// Declares a check: `check!(ID, "title", Error, Reliability, Live)`.
#[macro_export]
#[doc(hidden)]
macro_rules! check_info {
    ($id:literal, $title:literal, $severity:ident, $category:ident, $applies:ident) => {
        $crate::CheckInfo {
            id: kubewhy_model::CheckId($id),
            title: $title,
            severity: kubewhy_model::Severity::$severity,
            category: kubewhy_model::Category::$category,
            applies: $crate::Applies::$applies,
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

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
