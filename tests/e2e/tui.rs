//! `kubewhy tui` driven as a user drives it: the real binary in a real terminal (tmux), keys
//! sent with `send-keys`, the screen read with `capture-pane`. When tmux is missing the tests
//! say so and pass, except under CI, where they fail (`.ci/run` installs tmux). The LLM keys
//! ask the LLM simulator, which records what reached it.

use std::{
    collections::BTreeSet,
    path::{Path, PathBuf},
    process::Command,
    time::{Duration, Instant},
};

use kubewhy_sim::{LlmSim, LlmSimOptions};

use crate::support::repo_path;

/// The shell prompt inside the test terminal.
const PROMPT: &str = "kw-e2e$";

/// A tmux server of its own, with one 120x40 window running a plain shell.
struct Tmux {
    socket: String,
    dir: tempfile::TempDir,
}

impl Tmux {
    /// Starts the shell, or `None` when tmux is not installed (outside CI).
    fn start(name: &str) -> Option<Self> {
        if Command::new("tmux").arg("-V").output().is_err() {
            assert!(
                std::env::var_os("CI").is_none(),
                "tmux is not installed; .ci/run installs it (apt-get install tmux)"
            );
            eprintln!("note: tmux is not installed; skipping the TUI end-to-end test");
            return None;
        }
        let dir = tempfile::tempdir().expect("a temp dir");
        let socket = format!("kubewhy-e2e-{name}-{}", std::process::id());
        let shell = format!(
            "env -u CI NO_COLOR=1 HOME={home} PS1='{PROMPT} ' TERM=xterm-256color bash --norc --noprofile",
            home = dir.path().display()
        );
        let tmux = Self { socket, dir };
        tmux.run(&[
            "new-session",
            "-d",
            "-x",
            "120",
            "-y",
            "40",
            "-s",
            "kw",
            &shell,
        ]);
        tmux.wait_for(PROMPT, Duration::from_secs(10));
        Some(tmux)
    }

    fn run(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux runs");
        assert!(
            out.status.success(),
            "tmux {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Types text, or a key by tmux's name (`Enter`, `Escape`, `C-c`).
    fn send(&self, keys: &str) {
        self.run(&["send-keys", "-t", "kw", keys]);
    }

    /// Types text as it is (no key names).
    fn type_text(&self, text: &str) {
        self.run(&["send-keys", "-t", "kw", "-l", text]);
    }

    fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", "kw"])
    }

    fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Waits until the screen shows `text`; fails with the screen when it does not in time.
    fn wait_for(&self, text: &str, timeout: Duration) -> String {
        self.wait_until(&format!("`{text}`"), |s| s.contains(text), timeout)
    }

    /// Waits until `wanted` accepts the screen (a capture can catch a frame half drawn).
    fn wait_until(&self, what: &str, wanted: impl Fn(&str) -> bool, timeout: Duration) -> String {
        let started = Instant::now();
        loop {
            let screen = self.screen();
            if wanted(&screen) {
                return screen;
            }
            assert!(
                started.elapsed() < timeout,
                "the screen never showed {what}:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// Saves the terminal's settings (`stty -g`) in `name`.
    fn save_stty(&self, name: &str) {
        self.type_text(&format!("stty -g > {}", self.file(name).display()));
        self.send("Enter");
    }

    /// Checks the terminal is as before: same stty settings, main screen, cursor shown, prompt.
    fn assert_restored(&self) {
        self.save_stty("after");
        let marker = "stty-compared";
        self.type_text(&format!(
            "cmp -s {} {} && echo {marker}-same || echo {marker}-differ",
            self.file("before").display(),
            self.file("after").display()
        ));
        self.send("Enter");
        let screen = self.wait_for(&format!("{marker}-"), Duration::from_secs(10));
        assert!(
            screen.contains(&format!("{marker}-same")),
            "stty settings differ after quitting:\n{screen}"
        );
        let flags = self.run(&[
            "display",
            "-p",
            "-t",
            "kw",
            "#{alternate_on} #{cursor_flag}",
        ]);
        assert_eq!(flags.trim(), "0 1", "alternate screen off, cursor shown");
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .output();
    }
}

fn binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_kubewhy"))
}

/// The LLM simulator on a runtime of its own, streaming slowly enough to be seen.
fn llm_sim() -> (tokio::runtime::Runtime, LlmSim) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a runtime");
    let sim = runtime
        .block_on(LlmSim::start(LlmSimOptions {
            chunk_chars: 12,
            chunk_delay: Duration::from_millis(25),
            ..LlmSimOptions::default()
        }))
        .expect("the LLM simulator starts");
    (runtime, sim)
}

/// Every object and namespace name of the demo report, but the public vocabulary the
/// anonymizer keeps on purpose (`kube-system`).
fn demo_names() -> BTreeSet<String> {
    let report = crate::support::kubewhy(&["demo", "-o", "json"]).json();
    let vocabulary = std::fs::read_to_string(repo_path("crates/scrub/data/vocabulary.txt"))
        .expect("the vocabulary");
    let vocabulary: BTreeSet<String> = vocabulary
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with('['))
        .flat_map(str::split_whitespace)
        .map(str::to_ascii_lowercase)
        .collect();
    let mut names = BTreeSet::new();
    for issue in report["issues"].as_array().expect("issues") {
        let objects = issue["objects"].as_array().into_iter().flatten();
        for object in std::iter::once(&issue["root"]).chain(objects) {
            for field in ["name", "namespace"] {
                if let Some(name) = object[field].as_str() {
                    names.insert(name.to_owned());
                }
            }
        }
    }
    names.retain(|n| !vocabulary.contains(&n.to_ascii_lowercase()));
    names
}

/// Whether `text` has `name` as a word of its own (not inside `cartridge` for `cart`).
fn mentions(text: &str, name: &str) -> bool {
    let glued = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '-' || c == '.');
    text.match_indices(name).any(|(i, _)| {
        !glued(text[..i].chars().next_back()) && !glued(text[i + name.len()..].chars().next())
    })
}

/// Filters the list to `checkout`, opens its issue and looks at the previous instance's logs.
fn open_checkout(tmux: &Tmux) {
    tmux.send("/");
    tmux.type_text("checkout");
    tmux.send("Enter");
    let screen = tmux.wait_until(
        "the list filtered to checkout",
        |s| s.contains(" of ") && s.contains("filter checkout") && !s.contains("frontend"),
        Duration::from_secs(10),
    );
    assert!(screen.contains("Deployment/checkout"), "{screen}");

    tmux.send("Enter");
    let wanted = [
        "Container is crash looping",
        "Detail",
        "Chain",
        "kubectl logs checkout-",
        "Explanation · offline (catalog)",
    ];
    // The chain comes with the log tails, a moment after the issues.
    tmux.wait_until(
        &format!("{wanted:?}"),
        |s| wanted.iter().all(|w| s.contains(w)),
        Duration::from_secs(20),
    );
    tmux.send("p");
    let screen = tmux.wait_for("Logs (previous instance)", Duration::from_secs(10));
    assert!(
        screen.contains("▶ 2026-11-20 09:20:30,595 WARNING checkout.db"),
        "{screen}"
    );
    tmux.send("Escape");
}

/// `x` and the answer streaming, then a follow-up question and its answer.
fn explain_and_ask(tmux: &Tmux, sim: &LlmSim) {
    tmux.send("x");
    let asked = Instant::now();
    let screen = tmux.wait_until(
        "the answer streaming",
        |s| s.contains("streaming…") && s.contains("summary"),
        Duration::from_secs(30),
    );
    eprintln!(
        "first tokens on screen after about {} ms",
        asked.elapsed().as_millis()
    );
    assert!(!screen.contains("deployment-1"), "{screen}");
    // Keys keep working while the answer streams: the pane scrolls back to the top.
    tmux.send("g");
    let screen = tmux.wait_for("tokens ·", Duration::from_secs(30));
    assert!(screen.contains("Explanation · local x"), "{screen}");
    assert!(screen.contains("Root cause:"), "{screen}");
    assert!(
        !screen.contains("namespace-1") && !screen.contains("deployment-1"),
        "a pseudonym reached the screen:\n{screen}"
    );
    assert_eq!(sim.chat_requests().len(), 1, "one explanation request");

    tmux.send("c");
    tmux.wait_for("ask:", Duration::from_secs(10));
    tmux.type_text("why does checkout crash?");
    tmux.send("Enter");
    let screen = tmux.wait_until(
        "the follow-up answered",
        |s| s.contains("you:") && s.contains("kubewhy:") && s.contains("is failing"),
        Duration::from_secs(30),
    );
    assert!(screen.contains("why does checkout crash?"), "{screen}");
    assert_eq!(sim.chat_requests().len(), 2, "the follow-up was sent");
}

/// The requests the simulator recorded: the explanation, then the follow-up, and no demo name
/// in any of them.
fn assert_scrubbed_on_the_wire(sim: &LlmSim) {
    let calls = sim.chat_requests();
    assert!(
        calls[0].body_text().contains("root object"),
        "the issue prompt"
    );
    let follow_up = calls[1].body_text();
    assert!(follow_up.contains("follow-up question"), "{follow_up}");
    assert!(follow_up.contains("why does "), "{follow_up}");
    let names = demo_names();
    assert!(names.contains("checkout") && names.len() > 20, "{names:?}");
    let leaked: BTreeSet<&String> = calls
        .iter()
        .flat_map(|call| {
            let body = call.body_text();
            names
                .iter()
                .filter(move |n| mentions(&body, n))
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(leaked.is_empty(), "{leaked:?} reached the wire");
}

#[test]
fn the_tui_opens_the_demo_filters_explains_chats_previews_and_quits_restoring_the_terminal() {
    let Some(tmux) = Tmux::start("main") else {
        return;
    };
    let (_runtime, sim) = llm_sim();
    tmux.save_stty("before");
    tmux.type_text(&format!(
        "{} tui --demo --backend local --base-url {}/v1 --model x",
        binary().display(),
        sim.url()
    ));
    let started = Instant::now();
    tmux.send("Enter");
    let screen = tmux.wait_for("Issues (", Duration::from_secs(45));
    eprintln!(
        "first frame with issues after about {} ms (tmux polled every 25 ms)",
        started.elapsed().as_millis()
    );
    assert!(screen.contains("source demo"), "{screen}");
    assert!(screen.contains("llm local x"), "{screen}");
    assert!(
        screen.contains("ERROR") && screen.contains("CRIT"),
        "{screen}"
    );

    open_checkout(&tmux);
    explain_and_ask(&tmux, &sim);

    tmux.send("Escape");
    tmux.send("P");
    let screen = tmux.wait_for("nothing was sent", Duration::from_secs(30));
    assert!(screen.contains("Preview"), "{screen}");
    assert_eq!(sim.chat_requests().len(), 2, "a preview sends nothing");

    tmux.send("Escape");
    tmux.send("q");
    tmux.wait_for(PROMPT, Duration::from_secs(10));
    tmux.assert_restored();

    assert_scrubbed_on_the_wire(&sim);
}

#[test]
fn sigterm_restores_the_terminal() {
    let Some(tmux) = Tmux::start("term") else {
        return;
    };
    tmux.save_stty("before");
    let pid = tmux.file("pid");
    tmux.type_text(&format!(
        "sh -c 'echo $$ > {}; exec {} tui --demo'",
        pid.display(),
        binary().display()
    ));
    tmux.send("Enter");
    tmux.wait_for("Issues (", Duration::from_secs(45));
    tmux.send("x");
    tmux.wait_for("no LLM backend configured", Duration::from_secs(10));
    let pid = std::fs::read_to_string(&pid).expect("the pid file");
    let killed = Command::new("kill")
        .args(["-TERM", pid.trim()])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    tmux.wait_for(PROMPT, Duration::from_secs(10));
    tmux.assert_restored();
}
