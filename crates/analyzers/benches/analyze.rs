//! The analyzer phase against parsing, on a generated 10,000-pod cluster (`cargo bench -p
//! kubewhy-analyzers`). Prints CPU time (all threads, from /proc/self/stat) and wall time of
//! parsing the YAML into a snapshot and of running every check over it, and their ratio.

use std::time::Instant;

use kubewhy_analyzers::{Context, Filter, all_checks, registry, run};
use kubewhy_sim::{GenerateOptions, generate};
use kubewhy_source::files::{Input, parse};

/// CPU seconds this process has used, all threads included (USER_HZ is 100 on Linux).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

fn measure<T>(f: impl FnOnce() -> T) -> (T, f64, f64) {
    let (cpu, wall) = (cpu_seconds(), Instant::now());
    let out = f();
    (out, cpu_seconds() - cpu, wall.elapsed().as_secs_f64())
}

fn main() {
    let pods = std::env::var("BENCH_PODS")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(10_000);
    let text = generate(GenerateOptions {
        pods,
        failing: 0.1,
        seed: 42,
    });
    println!("generated {pods} pods: {} KiB of YAML", text.len() / 1024);
    let (loaded, parse_cpu, parse_wall) = measure(|| {
        parse([Input {
            name: "bench.yaml".into(),
            text,
        }])
    });
    assert!(loaded.errors.is_empty(), "{:?}", loaded.errors.first());
    println!(
        "parse:   {parse_cpu:.2} s CPU, {parse_wall:.2} s wall ({} objects)",
        loaded.snapshot.objects_scanned()
    );
    let every = Filter {
        only: all_checks().map(|c| c.id.as_str().to_owned()).collect(),
        ..Filter::default()
    };
    for (label, filter) in [
        ("default checks", Filter::default()),
        ("every check", every),
    ] {
        const ROUNDS: u32 = 5;
        let (findings, cpu, wall) = measure(|| {
            let mut findings = 0;
            for _ in 0..ROUNDS {
                findings = run(&loaded.snapshot, &filter).len();
            }
            findings
        });
        let (cpu, wall) = (cpu / f64::from(ROUNDS), wall / f64::from(ROUNDS));
        println!(
            "analyze ({label}): {cpu:.3} s CPU, {wall:.3} s wall per run, {} findings; CPU {:.1}% of parsing",
            findings,
            cpu / parse_cpu * 100.0
        );
    }
    // Each analyzer alone, to show where the time goes.
    let defaults = Filter::default();
    for analyzer in registry() {
        const ROUNDS: u32 = 5;
        let (found, cpu, _) = measure(|| {
            let mut found = 0;
            for _ in 0..ROUNDS {
                let cx = Context::new(&loaded.snapshot, &defaults);
                found = analyzer.analyze(&cx).len();
            }
            found
        });
        let cpu = cpu / f64::from(ROUNDS);
        let id = analyzer.checks().first().map_or("?", |c| c.as_str());
        println!(
            "  {:<40} {cpu:.3} s CPU, {found} findings",
            format!("{id}...")
        );
    }
}
