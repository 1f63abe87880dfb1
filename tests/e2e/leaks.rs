//! The anonymizer's leak corpus through the binary: a generated dump with hundreds of planted
//! names, addresses, ids and credentials (many of them only referred to), analyzed with
//! `--explain` against the LLM simulator in the OpenAI, Azure and Ollama wire formats. No
//! planted value, and no distinctive fragment of one, may reach the wire; no planted secret may
//! reach any output, even after the answer is unscrubbed.

mod chat;
mod corpus;
mod objects;

use std::{
    collections::{BTreeMap, BTreeSet, HashSet},
    fmt::Write as _,
    path::Path,
};

use kubewhy_sim::{LlmSim, LlmSimOptions, RecordedLlmRequest, SimAnswer};
use serde_json::Value;

use crate::support::{Run, isolated, run_blocking};
use corpus::{Corpus, Planted};

/// The fixed seed: the same corpus on every run.
const SEED: u64 = 0x6b75_6265_7768_7921;
/// A window this long of a random part of a secret counts as the secret.
const WINDOW: usize = 8;
/// The key the profiles read; the simulator records it masked.
const KEY_ENV: &str = "KUBEWHY_LEAKS_KEY";

/// The three wire formats, as config profiles.
fn config(sim: &LlmSim) -> String {
    let url = sim.url();
    format!(
        "[backends.sim-openai]\nkind = \"openai\"\nbase_url = \"{url}/v1\"\nmodel = \"gpt-4o-mini\"\napi_key_env = \"{KEY_ENV}\"\n\n\
         [backends.sim-azure]\nkind = \"azure\"\nendpoint = \"{url}\"\ndeployment = \"gpt-4o\"\napi_key_env = \"{KEY_ENV}\"\n\n\
         [backends.sim-ollama]\nkind = \"ollama\"\nbase_url = \"{url}\"\nmodel = \"llama3.2\"\n"
    )
}

/// Runs kubewhy with its config, cache and home in `home`, on a blocking thread so that the
/// simulator keeps serving.
async fn kubewhy(home: &Path, args: Vec<String>) -> Run {
    let mut command = isolated(home, &args);
    command
        .env("KUBEWHY_CONFIG", home.join("config.toml"))
        .env(KEY_ENV, "sk-test-not-a-real-key-000000000000");
    run_blocking(command).await
}

fn analyze(dir: &Path, backend: &str, output: &str) -> Vec<String> {
    [
        "analyze",
        "-f",
        &dir.display().to_string(),
        "--explain",
        "--backend",
        backend,
        "--min-severity",
        "info",
        "--max-concurrency",
        "4",
        "-o",
        output,
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect()
}

/// Every string inside a JSON value, one a line: what a server reads once it decodes the body.
fn strings(value: &Value, out: &mut String) {
    match value {
        Value::String(s) => {
            out.push_str(s);
            out.push('\n');
        }
        Value::Array(items) => items.iter().for_each(|v| strings(v, out)),
        Value::Object(map) => {
            for (k, v) in map {
                out.push_str(k);
                out.push('\n');
                strings(v, out);
            }
        }
        _ => {}
    }
}

/// What the simulator received: every request line, header and body, raw and decoded.
fn wire(requests: &[RecordedLlmRequest]) -> String {
    let mut out = String::new();
    for r in requests {
        let _ = writeln!(out, "{} {}?{}", r.method, r.path, r.query);
        for (name, value) in &r.headers {
            let _ = writeln!(out, "{name}: {value}");
        }
        out.push_str(&r.body_text());
        out.push('\n');
        if let Some(json) = r.json() {
            strings(&json, &mut out);
        }
    }
    out
}

/// Text to search, with its 8-character windows indexed.
struct Haystack {
    lower: String,
    windows: HashSet<String>,
}

impl Haystack {
    fn new(text: &str) -> Self {
        let lower = text.to_lowercase();
        let chars: Vec<char> = lower.chars().collect();
        let windows = chars.windows(WINDOW).map(|w| w.iter().collect()).collect();
        Self { lower, windows }
    }

    /// What of `p` is in the text (the value, a fragment or a window of a random part), and
    /// where.
    fn find(&self, p: &Planted) -> Option<String> {
        let value = p.value.to_lowercase();
        let escaped = serde_json::to_string(&value).unwrap();
        let forms = [value.as_str(), &escaped[1..escaped.len() - 1]];
        let fragments = p.fragments.iter().map(|f| f.to_lowercase());
        let windows = p.windows.iter().flat_map(|random| {
            let chars: Vec<char> = random.to_lowercase().chars().collect();
            chars
                .windows(WINDOW)
                .map(|w| w.iter().collect::<String>())
                .collect::<Vec<_>>()
        });
        forms
            .into_iter()
            .map(str::to_owned)
            .chain(fragments)
            .find(|f| self.lower.contains(f.as_str()))
            .or_else(|| windows.into_iter().find(|w| self.windows.contains(w)))
            .map(|f| self.context(&f))
    }

    /// `piece` with the text around its first occurrence.
    fn context(&self, piece: &str) -> String {
        let at = self.lower.find(piece).unwrap_or(0);
        let mut start = at.saturating_sub(60);
        while !self.lower.is_char_boundary(start) {
            start -= 1;
        }
        let mut end = (at + piece.len() + 60).min(self.lower.len());
        while !self.lower.is_char_boundary(end) {
            end += 1;
        }
        format!("{piece:?} in {:?}", &self.lower[start..end])
    }

    /// Whether `word` stands in the text as a word of its own, in any case.
    fn has_word(&self, word: &str) -> bool {
        let word = word.to_lowercase();
        let glued = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
        self.lower.match_indices(&word).any(|(i, _)| {
            !glued(self.lower[..i].chars().next_back())
                && !glued(self.lower[i + word.len()..].chars().next())
        })
    }
}

/// The planted values (and hard cases) found in `text`, with what was found.
fn found<'c>(corpus: &'c Corpus, text: &str) -> Vec<(&'c Planted, String)> {
    let hay = Haystack::new(text);
    let mut out: Vec<(&Planted, String)> = corpus
        .planted
        .iter()
        .filter_map(|p| hay.find(p).map(|what| (p, what)))
        .collect();
    out.extend(
        corpus
            .hard
            .iter()
            .filter(|p| hay.has_word(&p.value))
            .map(|p| (p, hay.context(&p.value))),
    );
    out
}

fn describe(leaks: &[(&Planted, String)]) -> String {
    leaks
        .iter()
        .map(|(p, what)| format!("{} {:?}: {what}", p.what, p.value))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The explanation texts of a JSON report.
fn explanations(report: &Value) -> Vec<String> {
    report["issues"]
        .as_array()
        .expect("issues")
        .iter()
        .filter_map(|i| i["explanation"]["text"].as_str().map(str::to_owned))
        .collect()
}

/// The explanation blocks of a text report: the indented lines under each `explanation (...)`.
fn text_explanations(stdout: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for line in stdout.lines() {
        if line.trim_start().starts_with("explanation (") {
            inside = true;
            continue;
        }
        if inside && (line.is_empty() || line.starts_with(&" ".repeat(13))) {
            out.push_str(line);
            out.push('\n');
        } else {
            inside = false;
        }
    }
    out
}

fn write_corpus(corpus: &Corpus, dir: &Path) {
    for (path, text) in &corpus.files {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

fn secrets_in(corpus: &Corpus, text: &str) -> Vec<String> {
    let hay = Haystack::new(text);
    corpus
        .planted
        .iter()
        .filter(|p| p.secret)
        .filter_map(|p| {
            hay.find(p)
                .map(|what| format!("{} {:?}: {what}", p.what, p.value))
        })
        .collect()
}

/// The simulator echoes the whole prompt and every pseudonym in it, so that unscrubbing has
/// everything to restore and every secret pseudonym to leave alone.
fn echo() -> SimAnswer {
    SimAnswer::Template(
        "The prompt, as read:\n{last_user}\n\nNames in it: {pseudonyms}. Start with {first_pseudonym}."
            .into(),
    )
}

/// What one wire format let through.
struct Outcome {
    line: String,
    leaked: Vec<String>,
    failures: Vec<String>,
}

/// Analyzes and explains the corpus through `backend`, and checks what reached the wire and
/// what the unscrubbed explanations show.
async fn one_format(
    corpus: &Corpus,
    sim: &LlmSim,
    home: &Path,
    dump: &Path,
    backend: &str,
) -> Outcome {
    sim.clear_requests();
    let run = kubewhy(home, analyze(dump, backend, "json")).await;
    assert_eq!(run.code, 1, "{backend}: {}", run.stderr);
    let report = run.json();
    let issues = report["issues"].as_array().unwrap();
    assert!(issues.len() > 40, "{backend}: {} issues", issues.len());
    for issue in issues {
        assert_eq!(
            issue["explanation"]["fallback"], false,
            "{backend}: {issue}"
        );
    }
    let requests = sim.requests();
    let calls = requests.iter().filter(|r| r.is_chat()).count();
    let on_wire = found(corpus, &wire(&requests));
    let mut shown = String::new();
    strings(&report, &mut shown);
    let exposed = found(corpus, &shown).len();
    let issues_text = Haystack::new(&shown);
    for hard in &corpus.hard {
        assert!(
            issues_text.has_word(&hard.value),
            "{backend}: the hard case {:?} is in no explained issue",
            hard.value
        );
    }
    let mut failures = Vec::new();
    if !on_wire.is_empty() {
        failures.push(format!(
            "{backend}: {} reached the wire:\n{}",
            on_wire.len(),
            describe(&on_wire)
        ));
    }
    let explained = explanations(&report).join("\n");
    // Every string of the report: issues, evidence, chains and the unscrubbed explanations.
    let after = secrets_in(corpus, &shown);
    if !after.is_empty() {
        failures.push(format!(
            "{backend}: secrets in the report:\n{}",
            after.join("\n")
        ));
    }
    let restored = found(corpus, &explained);
    assert!(
        restored.iter().filter(|(p, _)| !p.secret).count() > 50,
        "{backend}: the answers' pseudonyms are restored: {}",
        restored.len()
    );
    Outcome {
        line: format!(
            "{backend}: {calls} calls for {} issues; {exposed} planted values in the issues and \
             their explanations, {} reached the wire",
            issues.len(),
            on_wire.len()
        ),
        leaked: on_wire.iter().map(|(p, _)| p.value.clone()).collect(),
        failures,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_planted_value_reaches_the_wire_in_any_format_nor_a_secret_any_output() {
    let corpus = corpus::generate(SEED, 15, 4);
    let planted = corpus.planted.len();
    let refs_only = corpus.planted.iter().filter(|p| p.refs_only).count();
    let secrets = corpus.planted.iter().filter(|p| p.secret).count();
    let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
    for p in &corpus.planted {
        *kinds.entry(p.what).or_default() += 1;
    }
    assert!(planted >= 300, "{planted} planted");
    assert!(refs_only >= 50, "{refs_only} refs-only");
    let home = tempfile::tempdir().unwrap();
    let dump = home.path().join("dump");
    write_corpus(&corpus, &dump);
    let sim = LlmSim::start(LlmSimOptions {
        answer: echo(),
        ..LlmSimOptions::default()
    })
    .await
    .expect("the LLM simulator starts");
    std::fs::write(home.path().join("config.toml"), config(&sim)).unwrap();

    let mut report_lines = vec![format!(
        "planted {planted} values ({refs_only} only as references, {secrets} secrets, {} hard cases) in {} categories",
        corpus.hard.len(),
        kinds.len()
    )];
    let mut failures = Vec::new();
    let mut leaked: BTreeSet<String> = BTreeSet::new();
    for backend in ["sim-openai", "sim-azure", "sim-ollama"] {
        let outcome = one_format(&corpus, &sim, home.path(), &dump, backend).await;
        report_lines.push(outcome.line);
        leaked.extend(outcome.leaked);
        failures.extend(outcome.failures);
    }

    // The text report, from the cache: unscrubbed again, and still no secret.
    sim.clear_requests();
    let text = kubewhy(home.path(), analyze(&dump, "sim-openai", "text")).await;
    assert_eq!(text.code, 1, "{}", text.stderr);
    assert_eq!(sim.chat_requests().len(), 0, "the text run hits the cache");
    let blocks = text_explanations(&text.stdout);
    assert!(blocks.lines().count() > 100, "{}", text.stdout);
    let after = secrets_in(&corpus, &text.stdout);
    if !after.is_empty() {
        failures.push(format!(
            "text output: secrets in the report:\n{}",
            after.join("\n")
        ));
    }
    let summary = report_lines.join("\n");
    eprintln!("{summary}");
    eprintln!(
        "planted {} values, {} reached the wire",
        planted + corpus.hard.len(),
        leaked.len()
    );
    assert!(failures.is_empty(), "{summary}\n{}", failures.join("\n\n"));
}
