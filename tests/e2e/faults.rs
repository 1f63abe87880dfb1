//! The fault matrix: one table per side (the API server, the LLM, Slack; resources are in
//! `extremes`). Each row
//! asserts that the run finishes, that what could be done was done, that the user is told
//! precisely what went wrong, and that the exit code follows the contract (1: issues found;
//! 2: something could not be read, with what could be printed first).

use std::time::{Duration, Instant};

use kubewhy_sim::{Fault, LlmFault, LlmSim, LlmSimOptions};
use serde_json::Value;
use tempfile::TempDir;

use crate::{
    live::Cluster,
    support::{Run, fixture, isolated, run_blocking},
};

/// A row of the API server's table: its name, the fault, extra flags and what to expect.
type Row = (
    &'static str,
    (&'static str, Fault),
    &'static [&'static str],
    Expect,
);

/// What a row expects.
#[derive(Default)]
struct Expect {
    code: i32,
    /// In stderr or in a warning of the report.
    says: &'static str,
    /// At least this many issues still reported.
    issues: usize,
    /// Also said, each of these.
    also: &'static [&'static str],
    /// Never said.
    never: &'static str,
    /// The run took at least this long: it waited as the API server asked.
    waited: Duration,
    /// Exactly this many objects scanned, as the report's summary says.
    scanned: Option<usize>,
}

/// A row's exit code, what it says and how many issues it still reports.
fn expect(code: i32, says: &'static str, issues: usize) -> Expect {
    Expect {
        code,
        says,
        issues,
        ..Expect::default()
    }
}

impl Expect {
    fn and(self, also: &'static [&'static str]) -> Self {
        Self { also, ..self }
    }

    fn not(self, never: &'static str) -> Self {
        Self { never, ..self }
    }

    fn after(self, waited: Duration) -> Self {
        Self { waited, ..self }
    }

    fn scanned(self, objects: usize) -> Self {
        Self {
            scanned: Some(objects),
            ..self
        }
    }
}

pub(crate) fn said(run: &Run) -> String {
    let warnings = serde_json::from_str::<Value>(&run.stdout)
        .ok()
        .and_then(|r| r["warnings"].as_array().cloned())
        .unwrap_or_default();
    let mut all = run.stderr.clone();
    for w in warnings {
        all.push('\n');
        all.push_str(w["message"].as_str().unwrap_or_default());
    }
    all
}

fn check(row: &str, run: &Run, expect: &Expect) {
    let said = said(run);
    assert_eq!(run.code, expect.code, "{row}: exit code\n{said}");
    for says in std::iter::once(&expect.says).chain(expect.also) {
        assert!(said.contains(says), "{row}: expected {says:?} in\n{said}");
    }
    assert!(
        expect.never.is_empty() || !said.contains(expect.never),
        "{row}: expected no {:?} in\n{said}",
        expect.never
    );
    let report = serde_json::from_str::<Value>(&run.stdout).ok();
    let issues = report
        .as_ref()
        .and_then(|r| r["issues"].as_array().map(Vec::len))
        .unwrap_or(0);
    assert!(
        issues >= expect.issues,
        "{row}: {issues} issues, expected at least {}",
        expect.issues
    );
    if let Some(objects) = expect.scanned {
        let scanned = report.and_then(|r| r["summary"]["objects_scanned"].as_u64());
        assert_eq!(
            scanned,
            Some(objects as u64),
            "{row}: objects scanned\n{said}"
        );
    }
}

/// The rows of the API server's table, each run against the dump fixture.
fn api_server_rows() -> Vec<Row> {
    // The dump's issues are all about pods: with pods unreadable there is nothing to report,
    // and the warning says why.
    vec![
        (
            "pods 403",
            ("pods", Fault::Status(403)),
            &[],
            expect(0, "pods is forbidden", 0),
        ),
        (
            "services 404",
            ("services", Fault::Status(404)),
            &[],
            expect(1, "services", 1),
        ),
        (
            "events 500",
            ("events", Fault::Status(500)),
            &[],
            expect(1, "events", 1),
        ),
        (
            "pods slower than --request-timeout",
            ("pods", Fault::Delay(Duration::from_secs(5))),
            &["--request-timeout", "1s"],
            expect(0, "pods", 0),
        ),
        (
            // One pod a page, so the second page's continue token has expired: pods are
            // listed again whole, and none is lost.
            "pods 410 on continue",
            ("pods", Fault::Status(410)),
            &[],
            expect(1, "", 1).not("skipped pods").scanned(4),
        ),
    ]
}

/// The rows where the answer breaks on the wire or is throttled: the kind is skipped with a
/// warning naming it, its URL and what happened, and the other kinds are still analyzed.
fn broken_answer_rows() -> Vec<Row> {
    let retry_after = Duration::from_secs(kubewhy_sim::RETRY_AFTER_SECONDS.into());
    vec![
        (
            "events cut short",
            ("events", Fault::Truncate),
            &[],
            expect(1, "skipped events: the response ended early", 1)
                .and(&["bytes announced", "/api/v1/events)"])
                .scanned(3),
        ),
        (
            "events not JSON",
            ("events", Fault::Garbage),
            &[],
            expect(1, "skipped events: the API server's answer was not JSON", 1)
                .and(&["/api/v1/events)", "a proxy or load balancer"])
                .scanned(3),
        ),
        (
            "pods throttled twice, then served",
            ("pods", Fault::Throttle { first: Some(2) }),
            &[],
            // All of the dump: its 2 pods, its node and its event.
            expect(1, "", 1)
                .not("skipped pods")
                .after(retry_after * 2)
                .scanned(4),
        ),
        (
            "events always throttled",
            ("events", Fault::Throttle { first: None }),
            &[],
            // Three retries, each after the simulator's Retry-After of 2 s.
            expect(1, "skipped events: throttled by the API server (429, API Priority and Fairness): still throttled after 3 retries and 6s of waiting", 1)
                .and(&["/api/v1/events)"])
                .after(retry_after * 3)
                .scanned(3),
        ),
        (
            // The simulator serves one pod a page. The page already read is dropped with the
            // rest, so that nothing judges pods from half a list; the node and the event are
            // still read and analyzed.
            "pods reset on continue",
            ("pods", Fault::Reset),
            &[],
            expect(0, "skipped pods: the connection closed before the API server answered", 0)
                .and(&["/api/v1/pods)"])
                .scanned(2),
        ),
        // No row for 410 on a watch: kubewhy never opens one (serve --watch lists again each
        // cycle), so an expired watch cannot happen.
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_server_faults() {
    let inputs = [std::path::PathBuf::from(fixture("dump"))];
    let mut failures: Vec<String> = Vec::new();
    for (row, fault, extra, expect) in api_server_rows().into_iter().chain(broken_answer_rows()) {
        let cluster = Cluster::serve(&inputs, &[fault]).await;
        let mut args = vec!["analyze", "-o", "json"];
        args.extend_from_slice(extra);
        let started = Instant::now();
        let run = cluster.kubewhy(&args).await;
        let took = started.elapsed();
        assert!(took < Duration::from_mins(1), "{row}: the run finishes");
        let checked = std::panic::catch_unwind(|| {
            check(row, &run, &expect);
            assert!(
                took >= expect.waited,
                "{row}: waited {took:?}, less than the {:?} the API server asked",
                expect.waited
            );
        });
        if let Err(failure) = checked {
            failures.push(
                failure
                    .downcast_ref::<String>()
                    .cloned()
                    .unwrap_or_else(|| row.to_owned()),
            );
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_faults() {
    let home = TempDir::new().unwrap();
    let write = |name: &str, text: &str| {
        let path = home.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    };
    let user = |user: &str| {
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {{server: 'https://127.0.0.1:9'}}\ncontexts:\n- name: c\n  context: {{cluster: c, user: u}}\ncurrent-context: c\nusers:\n- name: u\n  user: {user}\n"
        )
    };
    let rows = [
        (
            "unreachable",
            write("unreachable", &user("{token: t}")),
            "cannot reach the cluster of context c at https://127.0.0.1:9",
        ),
        (
            "kubeconfig pointing nowhere",
            home.path().join("missing").display().to_string(),
            "missing",
        ),
        (
            "exec plugin that fails",
            write(
                "exec-fails",
                &user("{exec: {apiVersion: client.authentication.k8s.io/v1, command: 'false'}}"),
            ),
            "false",
        ),
        (
            "exec plugin that hangs",
            write(
                "exec-hangs",
                &user(
                    "{exec: {apiVersion: client.authentication.k8s.io/v1, command: sleep, args: ['60']}}",
                ),
            ),
            "sleep",
        ),
    ];
    for (row, kubeconfig, says) in rows {
        let started = Instant::now();
        let run = run_blocking(isolated(
            home.path(),
            &[
                "analyze",
                "--kubeconfig",
                &kubeconfig,
                "--request-timeout",
                "2s",
            ],
        ))
        .await;
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "{row}: killed and named within the timeout"
        );
        check(row, &run, &expect(2, says, 0));
        assert!(!run.stderr.contains("panicked"), "{row}: {}", run.stderr);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn llm_faults() {
    let rows: Vec<(&str, LlmFault, &str)> = vec![
        (
            "429 with Retry-After",
            LlmFault::RateLimited {
                retry_after: Some(Duration::from_secs(1)),
            },
            "429",
        ),
        (
            "429 without Retry-After",
            LlmFault::RateLimited { retry_after: None },
            "429",
        ),
        ("500", LlmFault::ServerError, "500"),
        (
            "a timeout",
            LlmFault::Delay(Duration::from_secs(30)),
            "timeout",
        ),
        ("malformed JSON", LlmFault::MalformedJson, ""),
        (
            "a stream cut midway",
            LlmFault::CutStream { after_chunks: 2 },
            "",
        ),
        ("an empty answer", LlmFault::EmptyAnswer, "empty"),
        ("a context overflow", LlmFault::ContextOverflow, "context"),
    ];
    for (row, fault, says) in rows {
        let home = TempDir::new().unwrap();
        let sim = LlmSim::start(LlmSimOptions::default()).await.unwrap();
        sim.set_persistent_fault(Some(fault));
        let base = format!("{}/v1", sim.url());
        let args = [
            "analyze",
            "-f",
            &fixture("dump"),
            "--explain",
            "--backend",
            "local",
            "--model",
            "any",
            "--base-url",
            &base,
            "--request-timeout",
            "2s",
            "-o",
            "json",
        ];
        let started = Instant::now();
        let run = run_blocking(isolated(home.path(), &args)).await;
        assert!(
            started.elapsed() < Duration::from_mins(2),
            "{row}: the run finishes"
        );
        assert_eq!(
            run.code, 1,
            "{row}: issues are still reported with the usual exit code\n{}",
            run.stderr
        );
        let report = run.json();
        let explained: Vec<&Value> = report["issues"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|i| i.get("explanation"))
            .collect();
        assert!(
            !explained.is_empty() && explained.iter().all(|e| e["fallback"] == true),
            "{row}: every issue falls back to the offline explainer"
        );
        let reasons: String = explained
            .iter()
            .filter_map(|e| e["fallback_reason"].as_str())
            .collect::<Vec<_>>()
            .join("\n");
        assert!(
            reasons.to_lowercase().contains(&says.to_lowercase()),
            "{row}: expected {says:?} in the reasons:\n{reasons}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_token_is_one_clear_error() {
    let inputs = [std::path::PathBuf::from(fixture("dump"))];
    let cluster = Cluster::serve(&inputs, &[]).await;
    let kubeconfig = std::fs::read_to_string(cluster.kubeconfig())
        .unwrap()
        .replace("kubewhy-sim-token", "expired-token");
    let home = TempDir::new().unwrap();
    let path = home.path().join("kubeconfig");
    std::fs::write(&path, kubeconfig).unwrap();
    let run = run_blocking(isolated(
        home.path(),
        &["analyze", "--kubeconfig", &path.display().to_string()],
    ))
    .await;
    check("an expired token (401)", &run, &expect(2, "401", 0));
}
