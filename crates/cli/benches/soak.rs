//! The soak of `kubewhy serve --watch`: 2,000 watch cycles (about 30 minutes at the default
//! 1 s) against the Kubernetes simulator while its snapshot changes between cycles, notifying
//! the Slack simulator. Prints the resident memory and file descriptors along the way, and
//! checks that the last cycle's memory is within 1.05 times the median of cycles 100 to 200,
//! that descriptors do not grow, and that no issue is announced twice.
//!
//!     cargo bench -p kubewhy-cli --bench soak
//!     KUBEWHY_SOAK_CYCLES=300 KUBEWHY_SOAK_INTERVAL_MS=500 cargo bench -p kubewhy-cli --bench soak

use std::time::Duration;

use kubewhy_sim::soak::{SoakOptions, run};

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

// Memory in kB, far below 2^52: exact as a float.
#[allow(clippy::cast_precision_loss)]
fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let home = tempfile::tempdir().expect("a temporary home");
    let options = SoakOptions {
        binary: env!("CARGO_BIN_EXE_kubewhy").into(),
        cycles: setting("KUBEWHY_SOAK_CYCLES", 2_000),
        interval: Duration::from_millis(setting("KUBEWHY_SOAK_INTERVAL_MS", 1_000)),
        home: home.path().to_owned(),
    };
    println!(
        "kubewhy serve --watch {:?} for {} cycles",
        options.interval, options.cycles
    );
    let report = runtime.block_on(run(&options)).expect("the soak runs");
    println!("| cycle | RSS (MB) | fds |");
    println!("|---|---|---|");
    let step = (report.samples.len() / 20).max(1);
    for sample in report
        .samples
        .iter()
        .step_by(step)
        .chain(report.samples.last())
    {
        println!(
            "| {} | {:.1} | {} |",
            sample.cycle,
            sample.rss_kb as f64 / 1024.0,
            sample.fds
        );
    }
    let last = report.samples.last().copied().expect("at least one cycle");
    let (from, to) = if last.cycle > 200 {
        (100, 200)
    } else {
        (last.cycle / 4, last.cycle / 2)
    };
    let median = report.median_rss(from, to).unwrap_or(last.rss_kb);
    let fds_early = report
        .samples
        .iter()
        .find(|s| s.cycle >= from)
        .map_or(last.fds, |s| s.fds);
    println!(
        "{} cycles in {:.0} s; RSS last {:.1} MB, median of cycles {from}-{to} {:.1} MB ({:.3}x); fds {} then {}; {} posts; {} duplicates",
        last.cycle,
        report.took.as_secs_f64(),
        last.rss_kb as f64 / 1024.0,
        median as f64 / 1024.0,
        last.rss_kb as f64 / median.max(1) as f64,
        fds_early,
        last.fds,
        report.posts,
        report.duplicates.len()
    );
    let grew = last.rss_kb as f64 > 1.05 * median as f64;
    if grew || last.fds > fds_early || !report.duplicates.is_empty() {
        eprintln!(
            "soak failed: RSS grew past 1.05x ({grew}), descriptors grew ({}), or an issue was posted twice ({})",
            last.fds > fds_early,
            report.duplicates.len()
        );
        std::process::exit(1);
    }
}
