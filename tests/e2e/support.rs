//! Running the binary and reading what it printed.

use std::{
    fmt::Write as _,
    io::Write,
    path::Path,
    process::{Command, Stdio},
};

use serde_json::Value;

/// What one run printed and how it exited.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }
}

impl From<std::process::Output> for Run {
    fn from(out: std::process::Output) -> Self {
        Self {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

/// The binary with `args`, its home, cache and config dir in `home` and nothing of the
/// caller's environment that would change what it does (a kubeconfig, a config file, colour).
pub fn isolated<S: AsRef<std::ffi::OsStr>>(home: &Path, args: &[S]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kubewhy"));
    command
        .args(args)
        .env_remove("KUBECONFIG")
        .env_remove("KUBEWHY_CONFIG")
        .env("NO_COLOR", "1")
        .env("HOME", home)
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .stdin(Stdio::null());
    command
}

/// Runs `command` on a blocking thread, so that simulators in this test keep serving.
pub async fn run_blocking(mut command: Command) -> Run {
    tokio::task::spawn_blocking(move || {
        Run::from(command.output().expect("the kubewhy binary runs"))
    })
    .await
    .expect("the run's thread finishes")
}

pub fn kubewhy(args: &[&str]) -> Run {
    kubewhy_with_stdin(args, None)
}

pub fn kubewhy_with_stdin(args: &[&str], stdin: Option<&str>) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kubewhy"))
        .args(args)
        .env_remove("KUBECONFIG")
        .env("NO_COLOR", "1")
        .env("HOME", std::env::temp_dir())
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the kubewhy binary runs");
    if let Some(text) = stdin {
        child
            .stdin
            .take()
            .expect("stdin is piped")
            .write_all(text.as_bytes())
            .expect("stdin accepts the input");
    }
    Run::from(child.wait_with_output().expect("kubewhy finishes"))
}

/// A path in the repository's `tests/fixtures` folder.
pub fn fixture(name: &str) -> String {
    repo_path(&format!("tests/fixtures/{name}"))
}

/// A path in the catalog's fixture manifests.
pub fn catalog_fixture(name: &str) -> String {
    repo_path(&format!("analyzers/fixtures/{name}"))
}

pub fn repo_path(relative: &str) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let root = root.canonicalize().unwrap_or(root);
    root.join(relative).display().to_string()
}

/// `(check, root kind/name)` of every issue in a JSON report.
pub fn issue_keys(report: &Value) -> Vec<(String, String)> {
    report["issues"]
        .as_array()
        .expect("issues is an array")
        .iter()
        .map(|i| {
            let root = &i["root"];
            (
                i["check"].as_str().unwrap_or("").to_owned(),
                format!(
                    "{}/{}",
                    root["kind"].as_str().unwrap_or(""),
                    root["name"].as_str().unwrap_or("")
                ),
            )
        })
        .collect()
}

/// Whether the report has an issue on `root` that `check` saw: as the check it is reported
/// under, or as one merged into it.
pub fn has_issue(report: &Value, check: &str, root: &str) -> bool {
    report["issues"]
        .as_array()
        .expect("issues is an array")
        .iter()
        .any(|i| {
            let on_root = format!(
                "{}/{}",
                i["root"]["kind"].as_str().unwrap_or(""),
                i["root"]["name"].as_str().unwrap_or("")
            ) == root;
            let merged = i["merged_checks"]
                .as_array()
                .is_some_and(|m| m.iter().any(|c| c == check));
            on_root && (i["check"] == check || merged)
        })
}

/// A YAML stream of `n` crash-looping pods spread over namespaces `ns-0`..`ns-{spread}`, each
/// labelled `app=app-{i % 3}`.
pub fn many_pods(n: usize, spread: usize) -> String {
    let mut out = String::new();
    for i in 0..n {
        let ns = i % spread;
        let app = i % 3;
        let _ = write!(
            out,
            "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: pod-{i}\n  namespace: ns-{ns}\n  uid: uid-{i}\n  labels: {{app: app-{app}}}\n\
             spec:\n  containers:\n  - {{name: main, image: 'registry.example/app:{i}'}}\n\
             status:\n  phase: Running\n  containerStatuses:\n  - name: main\n    image: 'registry.example/app:{i}'\n    imageID: ''\n    ready: false\n    restartCount: 4\n\
             \x20   state: {{waiting: {{reason: CrashLoopBackOff}}}}\n    lastState: {{terminated: {{reason: Error, exitCode: 3}}}}\n"
        );
    }
    out
}
