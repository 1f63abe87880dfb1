//! The explain benchmark, small: it must keep working, and what it counts must hold.

#[allow(dead_code)] // The benchmark's own `main` is not called here.
#[path = "../benches/explain.rs"]
mod bench;

use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_explain_benchmark_makes_one_call_per_root_cause() {
    let numbers = bench::bench(3, 4, Duration::from_millis(5)).await;
    assert_eq!(numbers.failing_pods, 12);
    assert_eq!(numbers.grouped_calls, 3, "{numbers}");
    assert_eq!(numbers.per_object_calls, 12, "{numbers}");
    assert!(
        numbers.grouped_tokens * 2 < numbers.per_object_tokens,
        "{numbers}"
    );
    assert_eq!(numbers.second_run_calls, 0, "{numbers}");
}
