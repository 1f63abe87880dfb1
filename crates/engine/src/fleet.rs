//! Several clusters in one run (`--context a --context b`, `--all-contexts`): one run per
//! context, concurrently, their progress forwarded with the cluster named, and one report at
//! the end. Its issues are the union, each naming its cluster, with fingerprints that include
//! the cluster (two clusters' `deploy/web` are two issues); `clusters` gives each cluster's
//! server, summary and warnings. A cluster that cannot be read is reported, and the others are
//! not held up by it.

use std::collections::HashMap;

use futures::StreamExt;
use kubewhy_model::{
    ClusterReport, Fingerprint, Report, SourceInfo, SourceKind, Warning, WarningKind,
};
use tokio_util::sync::CancellationToken;

use crate::{Connection, EventKind, Options, SourceSpec, run::Sender};

/// Runs every context of a live spec and sends the merged report.
pub(crate) async fn run(
    kubeconfig: Option<std::path::PathBuf>,
    contexts: Vec<String>,
    connection: Connection,
    options: &Options,
    sender: &Sender,
    cancel: &CancellationToken,
) {
    let runs = contexts.iter().map(|context| {
        let spec = SourceSpec::Live {
            kubeconfig: kubeconfig.clone(),
            contexts: vec![context.clone()],
            connection: connection.clone(),
        };
        let name = context.clone();
        crate::run::start(spec, options.clone()).map(move |event| (name.clone(), event))
    });
    let mut events = futures::stream::select_all(runs);
    let mut outcomes: HashMap<String, Result<Report, String>> = HashMap::new();
    loop {
        let next = tokio::select! {
            next = events.next() => next,
            () = cancel.cancelled() => return,
        };
        let Some((context, event)) = next else { break };
        match event.kind {
            EventKind::Report(report) => {
                outcomes.insert(context, Ok(*report));
            }
            EventKind::Failed(error) => {
                outcomes.insert(context, Err(error.to_string()));
            }
            // The merged report carries these, with fingerprints that name the cluster.
            EventKind::Started
            | EventKind::Finished { .. }
            | EventKind::Snapshot(_)
            | EventKind::Issues(_)
            | EventKind::IssuesUpdated(_)
            | EventKind::LogTail { .. }
            | EventKind::Explanation { .. }
            | EventKind::Explained { .. }
            | EventKind::Warning(_) => {}
            kind @ (EventKind::Progress(_)
            | EventKind::InputError(_)
            | EventKind::DryRun(_)
            | EventKind::Focus(_)) => sender.send_for(Some(context), kind),
        }
    }
    let report = merge(&contexts, outcomes);
    sender.send(EventKind::Issues(report.issues.clone()));
    sender.send(EventKind::Report(Box::new(report)));
}

/// One report of many, in the order the contexts were given.
pub(crate) fn merge(
    contexts: &[String],
    mut outcomes: HashMap<String, Result<Report, String>>,
) -> Report {
    let mut issues = Vec::new();
    let mut warnings = Vec::new();
    let mut clusters = Vec::new();
    let mut objects = 0;
    for context in contexts {
        let outcome = outcomes
            .remove(context)
            .unwrap_or_else(|| Err("the run ended without a report".to_owned()));
        match outcome {
            Ok(report) => {
                let renamed: HashMap<Fingerprint, Fingerprint> = report
                    .issues
                    .iter()
                    .map(|i| (i.fingerprint, i.fingerprint.in_cluster(context)))
                    .collect();
                for mut issue in report.issues {
                    issue.fingerprint = renamed[&issue.fingerprint];
                    for cause in &mut issue.caused_by {
                        *cause = renamed.get(cause).copied().unwrap_or(*cause);
                    }
                    issue.cluster = Some(context.clone());
                    issues.push(issue);
                }
                warnings.extend(report.warnings.iter().map(|w| Warning {
                    kind: w.kind,
                    message: format!("{context}: {}", w.message),
                }));
                objects += report.summary.objects_scanned;
                clusters.push(ClusterReport {
                    context: context.clone(),
                    server: report.source.server,
                    summary: report.summary,
                    warnings: report.warnings,
                    error: None,
                });
            }
            Err(error) => {
                warnings.push(Warning::new(
                    WarningKind::Cluster,
                    format!("{context}: {error}"),
                ));
                clusters.push(ClusterReport {
                    context: context.clone(),
                    server: None,
                    summary: Report::new(live(), Vec::new(), Vec::new(), 0).summary,
                    warnings: Vec::new(),
                    error: Some(error),
                });
            }
        }
    }
    let mut report = Report::new(live(), issues, warnings, objects);
    report.clusters = clusters;
    report
}

/// The source of a run over several clusters: live, with no one context.
fn live() -> SourceInfo {
    SourceInfo {
        kind: SourceKind::Live,
        context: None,
        server: None,
        observed_at: None,
        observed_at_inferred: false,
        kubernetes_version: None,
    }
}
