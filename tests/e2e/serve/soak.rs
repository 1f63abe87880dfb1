//! The smoke variant of the soak (`cargo bench -p kubewhy-cli --bench soak`): thirty watch
//! cycles while the cluster changes between them. Memory does not run away, descriptors do not
//! grow, and no issue is announced twice while it is open.

use std::time::Duration;

use kubewhy_sim::soak::{SoakOptions, run};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soak_smoke_memory_descriptors_and_posts_stay_put() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let home = tempfile::tempdir().unwrap();
    let options = SoakOptions {
        binary: env!("CARGO_BIN_EXE_kubewhy").into(),
        cycles: 30,
        interval: Duration::from_millis(500),
        home: home.path().to_owned(),
    };
    let report = run(&options).await.expect("the soak runs");
    let last = *report.samples.last().expect("cycles ran");
    assert!(last.cycle >= 30, "{} cycles", last.cycle);
    assert_eq!(
        report.duplicates,
        Vec::<String>::new(),
        "an open issue was announced twice"
    );
    // pod-3 comes and goes: it is announced and resolved again and again.
    assert!(report.posts >= 20, "{} posts", report.posts);
    let early = report
        .samples
        .iter()
        .find(|s| s.cycle >= 10)
        .copied()
        .expect("a sample at cycle 10");
    assert!(
        last.fds <= early.fds + 4,
        "descriptors grow: {} then {}",
        early.fds,
        last.fds
    );
    let median = report.median_rss(10, 20).expect("samples of cycles 10-20");
    assert!(
        last.rss_kb <= median * 3 / 2,
        "memory runs away: median {median} kB, last {} kB",
        last.rss_kb
    );
}
