//! A soak of `kubewhy serve --watch`: the binary watches the Kubernetes simulator, whose
//! snapshot changes between cycles (one crash-looping pod comes and goes, others stay), and
//! notifies the Slack simulator. It samples the server's resident memory and open file
//! descriptors once a cycle, and checks that no issue is announced twice while it is open.

use std::{
    collections::HashMap,
    fmt::Write as _,
    path::PathBuf,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use kubewhy_source::files::{Input, parse};

use crate::{KubeSim, KubeSimOptions, SimError, slack::SlackSim};

/// How long to soak.
#[derive(Debug, Clone)]
pub struct SoakOptions {
    /// The `kubewhy` binary.
    pub binary: PathBuf,
    /// Watch cycles to run.
    pub cycles: u64,
    /// `--watch`.
    pub interval: Duration,
    /// A directory for the server's home and store.
    pub home: PathBuf,
}

/// One sample per cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample {
    /// The watch cycle it was taken after.
    pub cycle: u64,
    /// Resident memory, in kB.
    pub rss_kb: u64,
    /// Open file descriptors.
    pub fds: usize,
}

/// What the soak saw.
#[derive(Debug, Clone, Default)]
pub struct SoakReport {
    /// A sample per cycle.
    pub samples: Vec<Sample>,
    /// Messages posted.
    pub posts: usize,
    /// Issues announced as new while already open, by fingerprint.
    pub duplicates: Vec<String>,
    /// How long it ran.
    pub took: Duration,
}

impl SoakReport {
    /// The median resident memory over cycles `from..to`, in kB.
    #[must_use]
    pub fn median_rss(&self, from: u64, to: u64) -> Option<u64> {
        let mut window: Vec<u64> = self
            .samples
            .iter()
            .filter(|s| s.cycle >= from && s.cycle < to)
            .map(|s| s.rss_kb)
            .collect();
        window.sort_unstable();
        window.get(window.len() / 2).copied()
    }
}

/// Crash-looping pods `pod-0..n` in namespaces of their own.
fn cluster(pods: impl Iterator<Item = usize>) -> kubewhy_source::Snapshot {
    let mut text = String::new();
    for i in pods {
        let _ = write!(
            text,
            "---\napiVersion: v1\nkind: Pod\nmetadata: {{name: pod-{i}, namespace: ns-{i}, uid: uid-{i}}}\nspec: {{containers: [{{name: main, image: 'app:1'}}]}}\n\
             status:\n  phase: Running\n  containerStatuses:\n  - name: main\n    image: 'app:1'\n    imageID: ''\n    ready: false\n    restartCount: 4\n    state: {{waiting: {{reason: CrashLoopBackOff}}}}\n"
        );
    }
    parse([Input {
        name: "pods.yaml".into(),
        text,
    }])
    .snapshot
}

/// Runs the soak.
pub async fn run(options: &SoakOptions) -> Result<SoakReport, SimError> {
    let kube = KubeSim::start(&cluster(0..3), KubeSimOptions::default()).await?;
    let slack = SlackSim::start(crate::slack::SlackSimOptions::default()).await?;
    let kubeconfig = options.home.join("kubeconfig");
    std::fs::write(&kubeconfig, kube.kubeconfig()).map_err(|e| SimError::Soak(e.to_string()))?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_or(18_080, |a| a.port());
    let listen = format!("127.0.0.1:{port}");
    let interval = format!("{}ms", options.interval.as_millis());
    let child = Command::new(&options.binary)
        .args([
            "serve",
            "--listen",
            &listen,
            "--kubeconfig",
            &kubeconfig.display().to_string(),
            "--watch",
            &interval,
            "--notify-channel",
            "C0SOAK",
        ])
        .env("HOME", &options.home)
        .env("XDG_CACHE_HOME", options.home.join("cache"))
        .env("XDG_CONFIG_HOME", options.home.join("config"))
        .env("XDG_STATE_HOME", options.home.join("state"))
        .env("SLACK_BOT_TOKEN", "xoxb-sim-token")
        .env("KUBEWHY_SLACK_API_URL", slack.api_url())
        .env_remove("KUBECONFIG")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| SimError::Soak(format!("cannot start {}: {e}", options.binary.display())))?;
    // Stopped however the soak ends, a panic included.
    let child = Stopped(child);
    let started = Instant::now();
    let metrics = format!("http://{listen}/metrics");
    let http = reqwest::Client::new();
    let mut report = SoakReport::default();
    let mut last = 0;
    // Generous: a cycle that takes ten intervals has stalled.
    let deadline =
        started + options.interval * u32::try_from(options.cycles * 10 + 100).unwrap_or(u32::MAX);
    while last < options.cycles && Instant::now() < deadline {
        tokio::time::sleep(options.interval / 4).await;
        let Ok(text) = http
            .get(&metrics)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
        else {
            continue;
        };
        let text = text.text().await.unwrap_or_default();
        let cycle = text
            .lines()
            .find_map(|l| l.strip_prefix("kubewhy_watch_cycles_total "))
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0);
        // A count of cycles: far below 2^52, exact as a float.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let cycle = cycle as u64;
        if cycle <= last {
            continue;
        }
        last = cycle;
        // pod-3 comes and goes every other cycle; the others stay.
        let pods = if cycle.is_multiple_of(2) { 4 } else { 3 };
        kube.replace(&cluster(0..pods));
        report.samples.push(Sample {
            cycle,
            rss_kb: rss_kb(child.0.id()),
            fds: fds(child.0.id()),
        });
    }
    drop(child);
    report.took = started.elapsed();
    let posts = slack.posts();
    report.posts = posts.len();
    report.duplicates = duplicates(&posts);
    Ok(report)
}

/// Fingerprints announced as new while an earlier announcement was not yet resolved.
fn duplicates(posts: &[crate::slack::Post]) -> Vec<String> {
    let mut open: HashMap<String, bool> = HashMap::new();
    let mut twice = Vec::new();
    for post in posts
        .iter()
        .filter(|p| p.via == crate::slack::Via::PostMessage)
    {
        let Some(fingerprint) = post
            .text
            .split("fingerprint ")
            .nth(1)
            .map(|f| f.chars().take(16).collect::<String>())
        else {
            continue;
        };
        if post.text.contains("resolved") {
            open.insert(fingerprint, false);
        } else if post.thread_ts.is_none() && open.insert(fingerprint.clone(), true) == Some(true) {
            twice.push(fingerprint);
        }
    }
    twice
}

fn rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

fn fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, Iterator::count)
}

/// A child process killed and reaped when dropped.
struct Stopped(std::process::Child);

impl Drop for Stopped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
