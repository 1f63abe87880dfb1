//! One row of the scale benchmark: generate a cluster, serve it from `kubewhy sim serve` in its
//! own process, and measure `kubewhy analyze`, `kubectl get` of the same kinds and a bare HTTP
//! client fetching the same pages against it: wall time, CPU and peak RSS of each, the
//! simulator's CPU while it serves kubewhy, and the time to deserialize the pages into typed
//! objects (the parse floor).

use std::{
    collections::BTreeSet,
    fmt::Write as _,
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::Instant,
};

use super::fetch;

/// What one process used.
#[derive(Debug, Clone, Copy, Default)]
pub struct Usage {
    /// Wall seconds.
    pub wall: f64,
    /// User plus system CPU seconds.
    pub cpu: f64,
    /// Peak resident set, in MB.
    pub rss_mb: f64,
}

/// One size's measurements.
#[derive(Debug, Clone, Default)]
pub struct Row {
    pub pods: usize,
    /// Bytes of JSON the simulator serves for the kinds kubewhy lists.
    pub bytes: usize,
    pub kubewhy: Usage,
    pub kubectl: Usage,
    /// The simulator's CPU seconds while it served kubewhy.
    pub sim_cpu: f64,
    /// Wall seconds of a bare client fetching kubewhy's pages with its concurrency.
    pub bare_wall: f64,
    /// CPU seconds to deserialize those pages into the typed objects kubewhy reads.
    pub parse_floor: f64,
    /// The checks the generated failures should raise.
    pub expected: BTreeSet<String>,
    /// Those of them kubewhy reported.
    pub found: BTreeSet<String>,
}

/// The binaries a row runs.
pub struct Tools {
    pub kubewhy: PathBuf,
    pub kubectl: PathBuf,
    /// Where clusters, kubeconfigs and outputs go.
    pub dir: PathBuf,
}

/// `/usr/bin/time` measures children's CPU and peak RSS as the kernel accounts them.
const TIME: &str = "/usr/bin/time";

fn timed(
    tools: &Tools,
    name: &str,
    program: &Path,
    args: &[&str],
    kubeconfig: &Path,
) -> (Usage, Vec<u8>) {
    let report = tools.dir.join(format!("{name}.time"));
    let output = Command::new(TIME)
        .arg("-f")
        .arg("%e %U %S %M")
        .arg("-o")
        .arg(&report)
        .arg(program)
        .args(args)
        .env("KUBECONFIG", kubeconfig)
        .env("HOME", &tools.dir)
        .env("XDG_CACHE_HOME", tools.dir.join("cache"))
        .env("XDG_CONFIG_HOME", tools.dir.join("config"))
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stderr(
            std::fs::File::create(tools.dir.join(format!("{name}.stderr"))).expect("a log file"),
        )
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()));
    let text = std::fs::read_to_string(&report).unwrap_or_default();
    let numbers: Vec<f64> = text
        .lines()
        .last()
        .unwrap_or("")
        .split_whitespace()
        .filter_map(|n| n.parse().ok())
        .collect();
    assert!(numbers.len() == 4, "{TIME} reported `{text}` for {name}");
    let usage = Usage {
        wall: numbers[0],
        cpu: numbers[1] + numbers[2],
        rss_mb: numbers[3] / 1024.0,
    };
    (usage, output.stdout)
}

/// CPU seconds a live process has used so far, from `/proc/PID/stat`.
fn process_cpu(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The fields after the command name, which is in parentheses and may hold spaces: the
    // state, then eight more, then utime and stime in clock ticks (100 a second on Linux).
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    let ticks = field(11) + field(12);
    ticks / 100.0
}

/// The simulator, in its own process, stopped when dropped.
struct Sim {
    child: Child,
    kubeconfig: PathBuf,
    log: PathBuf,
}

impl Sim {
    fn start(tools: &Tools, snapshot: &Path) -> Self {
        let kubeconfig = tools.dir.join("kubeconfig");
        let log = tools.dir.join("sim.log");
        let _ = std::fs::remove_file(&kubeconfig);
        let mut child = Command::new(&tools.kubewhy)
            .args(["sim", "serve", "--snapshot"])
            .arg(snapshot)
            .arg("--kubeconfig-out")
            .arg(&kubeconfig)
            .env("KUBEWHY_LOG", "kubewhy_sim=debug")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).expect("the simulator's log can be created"))
            .spawn()
            .expect("the simulator starts");
        let stdout = child
            .stdout
            .take()
            .expect("the simulator's stdout is piped");
        // It prints its URL once it serves; the kubeconfig is written by then.
        let ready = BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .any(|line| line.starts_with("Press Ctrl-C"));
        assert!(
            ready,
            "the simulator stopped before serving; see {}",
            log.display()
        );
        Self {
            child,
            kubeconfig,
            log,
        }
    }

    /// `GET path?query` of every list the simulator has served so far.
    fn lists(&self) -> Vec<(String, String)> {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        text.lines()
            .filter_map(|line| {
                let request = line.split_once("GET ")?.1;
                let (target, _) = request.split_once(" -> 200")?;
                let (path, query) = target.split_once('?').unwrap_or((target, ""));
                Some((path.to_owned(), query.to_owned()))
            })
            .collect()
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The plural of a list path: `/api/v1/pods`, `/apis/apps/v1/deployments`.
fn plural(path: &str) -> Option<&str> {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match segments.as_slice() {
        ["api", _, plural] | ["apis", _, _, plural] => Some(plural),
        _ => None,
    }
}

/// Measures one size. `failing` is the fraction of failing apps.
///
/// # Panics
///
/// When a tool cannot run or prints what it should not: a benchmark has nothing to report then.
pub fn row(tools: &Tools, pods: usize, failing: f64) -> Row {
    let cluster = tools.dir.join(format!("cluster-{pods}"));
    std::fs::create_dir_all(&cluster).expect("the cluster folder can be created");
    let file = cluster.join("cluster.json");
    let status = Command::new(&tools.kubewhy)
        .args([
            "sim",
            "generate",
            "--seed",
            "1",
            "--pods",
            &pods.to_string(),
            "--failing",
            &failing.to_string(),
            "-o",
        ])
        .arg(&file)
        .status()
        .expect("kubewhy sim generate runs");
    assert!(status.success(), "kubewhy sim generate failed");
    let expected = kubewhy_sim::generate_cluster(kubewhy_sim::GenerateOptions {
        pods,
        failing,
        seed: 1,
    })
    .failures
    .into_keys()
    .map(str::to_owned)
    .collect();
    let sim = Sim::start(tools, &cluster);
    let before = process_cpu(sim.child.id());
    let (kubewhy, report) = timed(
        tools,
        "kubewhy",
        &tools.kubewhy,
        &["analyze", "-o", "json"],
        &sim.kubeconfig,
    );
    let sim_cpu = process_cpu(sim.child.id()) - before;
    let lists: Vec<(String, String)> = sim
        .lists()
        .into_iter()
        .filter(|(p, q)| plural(p).is_some() && !q.contains("continue"))
        .collect();
    let kinds: BTreeSet<&str> = lists.iter().filter_map(|(p, _)| plural(p)).collect();
    let kinds = kinds.into_iter().collect::<Vec<_>>().join(",");
    let (kubectl, _) = timed(
        tools,
        "kubectl",
        &tools.kubectl,
        &["get", &kinds, "-A", "-o", "json"],
        &sim.kubeconfig,
    );
    let fetched = fetch::fetch(&sim.kubeconfig, &lists);
    let started = Instant::now();
    fetch::parse_floor(&fetched.pages);
    let parse_floor = started.elapsed().as_secs_f64();
    drop(sim);
    Row {
        pods,
        bytes: fetched.pages.iter().map(|(_, body)| body.len()).sum(),
        kubewhy,
        kubectl,
        sim_cpu,
        bare_wall: fetched.wall.as_secs_f64(),
        parse_floor,
        found: found_checks(&report),
        expected,
    }
}

/// Every check id kubewhy's JSON report names, displayed or merged.
fn found_checks(report: &[u8]) -> BTreeSet<String> {
    let report: serde_json::Value = serde_json::from_slice(report).unwrap_or_else(|e| {
        panic!(
            "kubewhy analyze did not print a JSON report ({e}): {}",
            String::from_utf8_lossy(&report[..report.len().min(400)])
        )
    });
    let mut found = BTreeSet::new();
    for issue in report["issues"].as_array().into_iter().flatten() {
        found.extend(issue["check"].as_str().map(str::to_owned));
        for merged in issue["merged_checks"].as_array().into_iter().flatten() {
            found.extend(merged.as_str().map(str::to_owned));
        }
    }
    found
}

/// The table of rows, with the issue's targets as ratios.
pub fn table(rows: &[Row]) -> String {
    let mut out = String::new();
    out.push_str("   pods    MB | kubewhy wall   CPU    RSS | kubectl wall   CPU    RSS | sim CPU | bare wall | parse floor | wall/kubectl  CPU/floor  wall/bare | failures found\n");
    for r in rows {
        #[allow(clippy::cast_precision_loss)] // Byte counts far below 2^52.
        let mb = r.bytes as f64 / 1e6;
        let found = r.expected.intersection(&r.found).count();
        // Writing to a String cannot fail.
        let _ = writeln!(
            out,
            "{:>7} {:>5.0} | {:>10.2}s {:>5.2}s {:>4.0}MB | {:>10.2}s {:>5.2}s {:>4.0}MB | {:>6.2}s | {:>8.2}s | {:>10.2}s | {:>12.2} {:>10.2} {:>10.2} | {found}/{}",
            r.pods,
            mb,
            r.kubewhy.wall,
            r.kubewhy.cpu,
            r.kubewhy.rss_mb,
            r.kubectl.wall,
            r.kubectl.cpu,
            r.kubectl.rss_mb,
            r.sim_cpu,
            r.bare_wall,
            r.parse_floor,
            r.kubewhy.wall / r.kubectl.wall.max(1e-9),
            r.kubewhy.cpu / r.parse_floor.max(1e-9),
            r.kubewhy.wall / r.bare_wall.max(1e-9),
            r.expected.len()
        );
    }
    out
}
