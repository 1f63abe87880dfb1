//! Benchmark: the time and memory to build the dictionary of a 50,000-pod snapshot (targets:
//! under 1 s and 200 MB), and scrub throughput on one core over the evidence of 10,000 pods.
//!
//! `cargo bench -p kubewhy-scrub --bench dictionary` runs it; without `--bench` (as `cargo test
//! --benches` runs it) it does one small round and prints nothing timed; `--pods N` changes the
//! size.

#[path = "support/cluster.rs"]
mod cluster;

use std::sync::Arc;
use std::time::{Duration, Instant};

use kubewhy_scrub::{Dictionary, Policy, ScrubConfig, Scrubber};
use kubewhy_source::{Snapshot, files};

const PODS: usize = 50_000;
const EVIDENCE_PODS: usize = 10_000;
const ROUNDS: usize = 3;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let timed = args.iter().any(|a| a == "--bench");
    // `--pods N` runs a smaller cluster, for profiling.
    let pods_arg = args
        .iter()
        .position(|a| a == "--pods")
        .and_then(|i| args.get(i + 1)?.parse().ok());
    let (pods, evidence_pods) = match (timed, pods_arg) {
        (_, Some(n)) => (n, EVIDENCE_PODS.min(n)),
        (true, None) => (PODS, EVIDENCE_PODS),
        (false, None) => (400, 100),
    };
    let started = Instant::now();
    let loaded = files::parse([files::Input {
        name: "cluster.json".into(),
        text: cluster::cluster_json(pods),
    }]);
    let parse = started.elapsed();
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors.first());
    let snapshot = loaded.snapshot;
    assert_eq!(snapshot.pods.len(), pods);
    let build = build(&snapshot);
    let scrub = scrub(&build.dictionary, pods, evidence_pods);
    if timed {
        println!(
            "snapshot: {pods} pods, {} objects, generated and parsed in {}",
            snapshot.objects_scanned(),
            ms(parse)
        );
        report(&build, &scrub, evidence_pods);
    }
}

struct Build {
    dictionary: Arc<Dictionary>,
    /// Sorted.
    times: Vec<Duration>,
    /// The median time spent walking the snapshot, before the matchers are built.
    collect: Duration,
    /// The median CPU time of the thread (Linux), which other load on the machine inflates less.
    cpu: Option<Duration>,
    peak_growth: Option<usize>,
}

/// Builds the dictionary `ROUNDS` times, measuring each build and the last one's peak memory.
fn build(snapshot: &Snapshot) -> Build {
    let mut times = Vec::new();
    let mut collect_times = Vec::new();
    let mut cpu_times = Vec::new();
    let mut peak_growth = None;
    let mut dictionary = None;
    for _ in 0..ROUNDS {
        drop(dictionary.take());
        let before = memory::rss();
        memory::reset_peak();
        let started = Instant::now();
        let cpu = memory::cpu_time();
        let mut builder = Dictionary::builder();
        builder.snapshot(snapshot);
        let collected = started.elapsed();
        let built = builder.build().expect("the dictionary builds");
        times.push(started.elapsed());
        cpu_times.push(
            memory::cpu_time()
                .zip(cpu)
                .map(|(after, before)| after.saturating_sub(before)),
        );
        collect_times.push(collected);
        // Later rounds reuse the memory the allocator kept from the first: its peak is the one.
        let growth = memory::peak()
            .zip(before)
            .map(|(peak, before)| peak.saturating_sub(before));
        peak_growth = peak_growth.max(growth);
        dictionary = Some(built);
    }
    times.sort();
    collect_times.sort();
    cpu_times.sort();
    Build {
        cpu: cpu_times[ROUNDS / 2],
        collect: collect_times[ROUNDS / 2],
        dictionary: Arc::new(dictionary.expect("at least one round")),
        times,
        peak_growth,
    }
}

struct Scrub {
    bytes: usize,
    elapsed: Duration,
    cpu: Option<Duration>,
    pseudonyms: usize,
}

/// Scrubs the evidence of `evidence_pods` pods, one pod's evidence per call, as explanations do.
fn scrub(dictionary: &Arc<Dictionary>, pods: usize, evidence_pods: usize) -> Scrub {
    let evidence: Vec<String> = (0..evidence_pods)
        .map(|i| cluster::evidence(i / 4 % pods.div_ceil(4), i % 4))
        .collect();
    let mut scrubber = Scrubber::new(
        dictionary.clone(),
        &ScrubConfig::default(),
        Policy::Pseudonymize,
    )
    .expect("the scrubber builds");
    let started = Instant::now();
    let cpu = memory::cpu_time();
    for text in &evidence {
        scrubber.scrub_text(text).expect("evidence scrubs");
    }
    Scrub {
        bytes: evidence.iter().map(String::len).sum(),
        elapsed: started.elapsed(),
        cpu: memory::cpu_time()
            .zip(cpu)
            .map(|(after, before)| after.saturating_sub(before)),
        pseudonyms: scrubber.table().len(),
    }
}

fn report(build: &Build, scrub: &Scrub, evidence_pods: usize) {
    // Byte counts far below 2^52 convert to f64 exactly enough for a report.
    #[allow(clippy::cast_precision_loss)]
    let mb = |b: usize| b as f64 / 1_000_000.0;
    println!(
        "dictionary: {} names; build min {} / median {} over {ROUNDS} rounds (CPU {}), of \
         which {} walking the snapshot (target < 1000 ms)",
        build.dictionary.len(),
        ms(build.times[0]),
        ms(build.times[ROUNDS / 2]),
        build.cpu.map_or_else(|| "n/a".to_owned(), ms),
        ms(build.collect),
    );
    println!(
        "dictionary memory: {:.1} MB held (automaton, names, index); peak RSS growth while \
         building {} (target < 200 MB)",
        mb(build.dictionary.memory_usage()),
        build
            .peak_growth
            .map_or_else(|| "n/a".to_owned(), |p| format!("{:.1} MB", mb(p))),
    );
    println!(
        "scrub: {:.1} MB of evidence for {evidence_pods} pods in {} = {:.1} MB/s on one core \
         ({:.1} MB/s of CPU time; {} pseudonyms)",
        mb(scrub.bytes),
        ms(scrub.elapsed),
        mb(scrub.bytes) / scrub.elapsed.as_secs_f64(),
        scrub
            .cpu
            .map_or(0.0, |cpu| mb(scrub.bytes) / cpu.as_secs_f64().max(0.001)),
        scrub.pseudonyms,
    );
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

/// Resident memory from `/proc/self/status` (Linux); `None` elsewhere.
mod memory {
    use std::time::Duration;

    fn field(name: &str) -> Option<usize> {
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        let line = status.lines().find(|l| l.starts_with(name))?;
        let kb: usize = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kb * 1024)
    }

    pub fn rss() -> Option<usize> {
        field("VmRSS:")
    }

    pub fn peak() -> Option<usize> {
        field("VmHWM:")
    }

    /// The CPU time this thread has used, from `/proc/thread-self/stat` (in 1/100 s ticks).
    pub fn cpu_time() -> Option<Duration> {
        let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
        // Fields after the command name, which is in parentheses and may contain spaces.
        let fields: Vec<&str> = stat.get(stat.rfind(')')? + 2..)?.split(' ').collect();
        let ticks: u64 =
            fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
        Some(Duration::from_millis(ticks * 10))
    }

    /// Resets the peak to the current RSS, so that the next peak is the build's.
    pub fn reset_peak() {
        let _ = std::fs::write("/proc/self/clear_refs", "5");
    }
}
