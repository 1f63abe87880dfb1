//! kubewhy's pipeline, shared by every frontend: collect a snapshot from a source, run the
//! analyzers, group findings into issues by root cause, attach bounded log evidence, and build
//! the report. Frontends only render what comes out.

mod group;
mod logs;

use kubewhy_analyzers::Filter;
use kubewhy_model::Report;
use kubewhy_source::{Scope, Source};

/// What to analyze and which findings to keep.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Which objects.
    pub scope: Scope,
    /// Which checks and severities.
    pub filter: Filter,
}

/// A finished run.
#[derive(Debug)]
pub struct Outcome {
    /// The report, partial when `errors` is not empty.
    pub report: Report,
    /// Inputs that could not be read. The report holds everything else.
    pub errors: Vec<String>,
}

/// Runs the whole pipeline once.
pub async fn analyze(source: &Source, options: &Options) -> Outcome {
    let collected = source.collect(&options.scope).await;
    let snapshot = &collected.snapshot;
    // Dumps and `kubectl get` output are a cluster's state too: lead with what is broken.
    let live = matches!(source, Source::Live(_)) || snapshot.observed();
    let filter = Filter {
        live,
        ..options.filter.clone()
    };
    let findings: Vec<_> = kubewhy_analyzers::run(snapshot, &filter)
        .into_iter()
        .filter(|f| {
            options
                .scope
                .includes_namespace(f.object.namespace.as_deref())
        })
        .collect();
    let mut grouped = group::issues(snapshot, findings);
    let mut warnings = collected.warnings;
    warnings.extend(logs::attach(source, snapshot, &mut grouped).await);
    let issues = grouped.into_iter().map(|g| g.issue).collect();
    let report = Report::new(collected.info, issues, warnings, snapshot.objects_scanned());
    Outcome {
        report,
        errors: collected.errors,
    }
}
