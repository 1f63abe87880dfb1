//! The run benchmark, small: it must keep working, whatever it measures.

#[allow(dead_code)] // The benchmark's own `main` is not called here.
#[path = "../benches/run.rs"]
mod bench;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_run_benchmark_runs_on_a_small_cluster() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let issues = bench::bench(300, 1).await;
    assert!(
        issues > 0,
        "a generated cluster with failing pods has issues"
    );
}
