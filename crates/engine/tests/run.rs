//! A run as a frontend consumes it: events in order, cancellation, and runs that do not
//! disturb each other, against the Kubernetes API simulator over HTTPS.

use std::time::{Duration, Instant};

use kubewhy_engine::{Engine, Event, EventKind, Options, SourceSpec};
use kubewhy_sim::{Fault, KubeSim, KubeSimOptions};

/// The demo served by a simulator with faults, and a spec that reads it.
async fn demo_cluster(faults: &[(&str, Fault)]) -> (KubeSim, tempfile::TempDir, SourceSpec) {
    let loaded = kubewhy_source::demo::load();
    let options = KubeSimOptions {
        faults: faults.iter().map(|(r, f)| ((*r).to_owned(), *f)).collect(),
        ..KubeSimOptions::default()
    };
    let sim = KubeSim::start(&loaded.snapshot, options)
        .await
        .expect("the simulator starts");
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("kubeconfig");
    std::fs::write(&path, sim.kubeconfig()).expect("the kubeconfig is written");
    let spec = SourceSpec::Live {
        kubeconfig: Some(path),
        contexts: Vec::new(),
        connection: kubewhy_engine::Connection::default(),
    };
    (sim, dir, spec)
}

fn name(event: &Event) -> &'static str {
    match &event.kind {
        EventKind::Started => "Started",
        EventKind::Progress(_) => "Progress",
        EventKind::Warning(_) => "Warning",
        EventKind::InputError(_) => "InputError",
        EventKind::Snapshot(_) => "Snapshot",
        EventKind::Issues(_) => "Issues",
        EventKind::LogTail { .. } => "LogTail",
        EventKind::IssuesUpdated(_) => "IssuesUpdated",
        EventKind::Explanation { .. } => "Explanation",
        EventKind::Explained { .. } => "Explained",
        EventKind::DryRun(_) => "DryRun",
        EventKind::Focus(_) => "Focus",
        EventKind::Report(_) => "Report",
        EventKind::Failed(_) => "Failed",
        EventKind::Finished { .. } => "Finished",
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_reports_in_order() {
    let mut run = Engine::start(SourceSpec::Demo, Options::default());
    let mut names = Vec::new();
    let mut clusters = Vec::new();
    while let Some(event) = run.next().await {
        clusters.push(event.cluster.clone());
        names.push(name(&event));
    }
    let first = |n: &str| names.iter().position(|x| *x == n).unwrap_or(usize::MAX);
    let last = |n: &str| names.iter().rposition(|x| *x == n).unwrap_or(0);
    assert_eq!(names.first(), Some(&"Started"));
    assert_eq!(names.last(), Some(&"Finished"));
    assert!(first("Progress") < first("Issues"), "{names:?}");
    assert!(last("Progress") < first("Issues"), "{names:?}");
    assert!(first("Issues") < first("LogTail"), "{names:?}");
    assert!(last("LogTail") < first("Report"), "{names:?}");
    assert_eq!(names.iter().filter(|n| **n == "Report").count(), 1);
    // Every event after opening names the cluster it comes from.
    assert!(
        clusters[1..]
            .iter()
            .all(|c| c.as_deref() == Some("kubewhy-sim")),
        "{clusters:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_run_stops_at_once() {
    let (_sim, _dir, spec) = demo_cluster(&[("pods", Fault::Delay(Duration::from_mins(1)))]).await;
    let mut run = Engine::start(spec, Options::default());
    while let Some(event) = run.next().await {
        if matches!(event.kind, EventKind::Progress(_)) {
            break;
        }
    }
    let cancelled = Instant::now();
    run.cancel();
    let mut rest = Vec::new();
    while let Some(event) = run.next().await {
        rest.push(name(&event));
        if let EventKind::Finished { cancelled } = event.kind {
            assert!(cancelled);
        }
    }
    // The pods list answers only after 60 s; the run ended without it, and without a report.
    assert!(
        cancelled.elapsed() < Duration::from_secs(5),
        "{:?}",
        cancelled.elapsed()
    );
    assert_eq!(rest.last(), Some(&"Finished"));
    assert!(!rest.contains(&"Report"), "{rest:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_one_run_does_not_disturb_another() {
    let (_sim, _dir, spec) =
        demo_cluster(&[("pods", Fault::Delay(Duration::from_millis(300)))]).await;
    let engine = Engine::open(&spec).await.expect("the simulator answers");
    let mut old = engine.run(Options::default());
    let newer = engine.run(Options::default());
    // The newest request wins: the old run is dropped while in flight.
    let _ = old.next().await;
    drop(old);
    let outcome = newer.outcome().await.expect("the newer run finishes");
    assert!(
        outcome.report.issues.len() > 20,
        "{}",
        outcome.report.issues.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_object_fails_with_the_closest_names() {
    let options = Options {
        focus: Some(kubewhy_model::ObjectRef::new(
            "",
            "deploy",
            Some("shop"),
            "chekout",
        )),
        ..Options::default()
    };
    let error = Engine::start(SourceSpec::Demo, options)
        .outcome()
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "deployment chekout not found in namespace shop; did you mean deploy/checkout?"
    );
}
