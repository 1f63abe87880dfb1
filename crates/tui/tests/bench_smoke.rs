//! The render benchmark, small: it must keep working, whatever it measures.

#[allow(dead_code)] // The benchmark's own `main` is not called here.
#[path = "../benches/render.rs"]
mod bench;

use std::time::Duration;

#[test]
fn the_render_benchmark_draws_every_view() {
    let stats = bench::render(300, 5);
    assert_eq!(stats.len(), 6, "three views at two sizes");
    // Generous: a debug build on a busy machine. The release benchmark reports the real number.
    for stat in &stats {
        assert!(stat.max < Duration::from_millis(500), "{stat}");
    }
    assert!(bench::filter_key(300) < Duration::from_millis(500));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_shows_issues_and_keys_answer_while_an_explanation_streams() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let first = bench::first_issues(80, 24).await;
    assert!(first < Duration::from_secs(30), "{first:?}");
    let latency = bench::keystrokes(6, Duration::from_millis(2)).await;
    assert_eq!(latency.keys, 6);
    assert!(latency.max < Duration::from_secs(5), "{latency}");
    let latency = bench::keystrokes_from_sim(6, 4, Duration::from_millis(2)).await;
    eprintln!("key to frame while the LLM simulator streams: {latency}");
    assert!(latency.max < Duration::from_secs(5), "{latency}");
}
