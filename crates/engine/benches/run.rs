//! How soon a run shows something, and how long it takes: a generated cluster served by the
//! Kubernetes API simulator over HTTPS on loopback, read through the engine as every frontend
//! reads it.
//!
//! `cargo bench -p kubewhy-engine --bench run -- [PODS] [RUNS]` (default 10000 pods, 3 runs).
//! It prints the time from start to the first `Progress` event, to `Issues`, and to `Report`.

use std::time::{Duration, Instant};

use kubewhy_engine::{Connection, Engine, EventKind, Options, SourceSpec};
use kubewhy_sim::{GenerateOptions, KubeSim, KubeSimOptions};

fn main() {
    let mut args = std::env::args().skip(1).filter(|a| !a.starts_with('-'));
    let pods: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let runs: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(3);
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(bench(pods, runs));
}

/// Serves `pods` generated pods and times `runs` runs; returns the issues of the last.
///
/// # Panics
///
/// When the simulator cannot start or a run fails: a benchmark has nothing to measure then.
pub async fn bench(pods: usize, runs: usize) -> usize {
    let text = kubewhy_sim::generate(GenerateOptions {
        pods,
        failing: 0.1,
        seed: 1,
    });
    let loaded = kubewhy_source::files::parse(vec![kubewhy_source::files::Input {
        name: "generated.yaml".into(),
        text,
    }]);
    let sim = KubeSim::start(&loaded.snapshot, KubeSimOptions::default())
        .await
        .expect("the simulator starts");
    let dir = tempfile::tempdir().expect("a temp dir");
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(&kubeconfig, sim.kubeconfig()).expect("the kubeconfig is written");
    let spec = SourceSpec::Live {
        kubeconfig: Some(kubeconfig),
        contexts: Vec::new(),
        connection: Connection::default(),
    };
    println!("{pods} pods through the simulator, {runs} runs");
    println!(
        "{:>6} {:>16} {:>12} {:>12} {:>8}",
        "run", "first progress", "issues", "report", "issues"
    );
    let mut last = 0;
    for i in 1..=runs {
        let started = Instant::now();
        let mut run = Engine::start(spec.clone(), Options::default());
        let (mut first, mut issues_at, mut report_at) =
            (None::<Duration>, None::<Duration>, None::<Duration>);
        let mut count = 0;
        while let Some(event) = run.next().await {
            match event.kind {
                EventKind::Progress(_) if first.is_none() => first = Some(started.elapsed()),
                EventKind::Issues(issues) => {
                    issues_at = Some(started.elapsed());
                    count = issues.len();
                }
                EventKind::Report(_) => report_at = Some(started.elapsed()),
                EventKind::Failed(e) => panic!("the run failed: {e}"),
                _ => {}
            }
        }
        let ms = |d: Option<Duration>| {
            d.map_or_else(|| "-".to_owned(), |d| format!("{} ms", d.as_millis()))
        };
        println!(
            "{i:>6} {:>16} {:>12} {:>12} {count:>8}",
            ms(first),
            ms(issues_at),
            ms(report_at)
        );
        last = count;
    }
    last
}
