//! The fuzzing loop. Inputs run one at a time on a worker thread, under `catch_unwind`; the
//! loop waits for each at most the time limit, and an input that takes longer is a hang (its
//! worker is left behind and a new one started). The corpus starts from the saved corpus and
//! generated inputs, and grows by the inputs that show a new behaviour ([`Features`]). Each
//! distinct crash (by where it panicked) is kept once, minimized.

use std::{
    collections::{HashMap, HashSet},
    fs,
    hash::{DefaultHasher, Hash, Hasher},
    io,
    path::{Path, PathBuf},
    sync::mpsc,
    thread,
    time::{Duration, Instant},
};

use fastrand::Rng;

use crate::{Features, Target, mutate::mutate, panics};

/// How a campaign runs.
#[derive(Debug, Clone)]
pub struct Config {
    /// How long the campaign runs.
    pub duration: Duration,
    /// At most this many executions, when set.
    pub max_execs: Option<u64>,
    /// The seed of every random choice.
    pub seed: u64,
    /// How long one input may take before it is a hang.
    pub timeout: Duration,
    /// Where the saved corpus is read from and new inputs written to.
    pub corpus_dir: Option<PathBuf>,
    /// At most this many new corpus inputs are written.
    pub save: usize,
    /// Where crashing and hanging inputs are written.
    pub crashes_dir: Option<PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            duration: Duration::from_secs(10),
            max_execs: None,
            seed: 1,
            timeout: Duration::from_secs(5),
            corpus_dir: None,
            save: 0,
            crashes_dir: None,
        }
    }
}

/// An input that panicked or hung.
#[derive(Debug, Clone)]
pub struct Crash {
    /// The input, minimized.
    pub input: Vec<u8>,
    /// The panic's message and location, or `hang`.
    pub message: String,
    /// Where it was written.
    pub saved: Option<PathBuf>,
}

/// What a campaign did.
#[derive(Debug, Default)]
pub struct Stats {
    /// Inputs run.
    pub execs: u64,
    /// For how long.
    pub elapsed: Duration,
    /// Distinct crashes and hangs.
    pub crashes: Vec<Crash>,
    /// Inputs in the corpus at the end.
    pub corpus: usize,
    /// Distinct behaviours seen.
    pub behaviours: usize,
    /// New corpus inputs written.
    pub saved: usize,
}

impl Stats {
    /// Executions per second.
    #[must_use]
    #[allow(clippy::cast_precision_loss)] // A rate, exact up to 2^52 executions.
    pub fn per_second(&self) -> f64 {
        self.execs as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// What running one input gave.
enum Outcome {
    Ran(Features),
    Panicked(String),
    Hung,
}

/// A thread that runs inputs through one target.
struct Worker {
    inputs: mpsc::Sender<Vec<u8>>,
    results: mpsc::Receiver<Result<Features, String>>,
}

impl Worker {
    fn start(target: &'static Target) -> io::Result<Self> {
        let (inputs, rx) = mpsc::channel::<Vec<u8>>();
        let (tx, results) = mpsc::channel();
        thread::Builder::new()
            .name(format!("fuzz-{}", target.name))
            .stack_size(64 << 20)
            .spawn(move || {
                for input in rx {
                    let result = panics::catch(|| {
                        let mut features = Features::default();
                        (target.run)(&input, &mut features);
                        features
                    });
                    if tx.send(result).is_err() {
                        break;
                    }
                }
            })?;
        Ok(Self { inputs, results })
    }
}

/// Runs inputs, replacing a worker that hung.
struct Runner {
    target: &'static Target,
    worker: Worker,
    timeout: Duration,
    hangs: usize,
}

impl Runner {
    fn run(&mut self, input: &[u8]) -> io::Result<Outcome> {
        if self.worker.inputs.send(input.to_vec()).is_err() {
            self.worker = Worker::start(self.target)?;
            return Ok(Outcome::Panicked("the worker thread died".into()));
        }
        match self.worker.results.recv_timeout(self.timeout) {
            Ok(Ok(features)) => Ok(Outcome::Ran(features)),
            Ok(Err(message)) => Ok(Outcome::Panicked(message)),
            Err(_) => {
                self.hangs += 1;
                self.worker = Worker::start(self.target)?;
                Ok(Outcome::Hung)
            }
        }
    }
}

/// One campaign over one target.
pub struct Campaign;

impl Campaign {
    /// Runs `target` under `config`.
    pub fn run(target: &'static Target, config: &Config) -> io::Result<Stats> {
        let mut rng = Rng::with_seed(config.seed);
        let mut runner = Runner {
            target,
            worker: Worker::start(target)?,
            timeout: config.timeout,
            hangs: 0,
        };
        let mut corpus = match &config.corpus_dir {
            Some(dir) => read_dir(dir)?,
            None => Vec::new(),
        };
        let known: HashSet<u64> = corpus.iter().map(|i| hash(i)).collect();
        corpus.extend((0..64).map(|_| (target.generate)(&mut rng)));
        let mut seen = HashSet::new();
        let mut crashes: HashMap<String, Crash> = HashMap::new();
        let mut fresh: Vec<Vec<u8>> = Vec::new();
        let mut stats = Stats::default();
        let start = Instant::now();
        let mut queue: Vec<Vec<u8>> = corpus.clone();
        loop {
            let over = start.elapsed() >= config.duration
                || config.max_execs.is_some_and(|m| stats.execs >= m)
                || runner.hangs >= 3;
            if over {
                break;
            }
            let input = queue
                .pop()
                .unwrap_or_else(|| next(&mut rng, target, &corpus));
            stats.execs += 1;
            match runner.run(&input)? {
                Outcome::Ran(features) => {
                    let mut new = false;
                    for h in features.hashes() {
                        new |= seen.insert(*h);
                    }
                    if new && corpus.len() < 8192 {
                        if !known.contains(&hash(&input)) {
                            fresh.push(input.clone());
                        }
                        corpus.push(input);
                    }
                }
                Outcome::Panicked(message) => {
                    let key = crash_key(&message);
                    crashes.entry(key).or_insert_with(|| {
                        let input = minimize(&mut runner, &input, &message);
                        Crash {
                            input,
                            message,
                            saved: None,
                        }
                    });
                }
                Outcome::Hung => {
                    crashes.entry("hang".into()).or_insert_with(|| Crash {
                        input,
                        message: format!("hang: more than {:?}", config.timeout),
                        saved: None,
                    });
                }
            }
        }
        stats.elapsed = start.elapsed();
        stats.corpus = corpus.len();
        stats.behaviours = seen.len();
        if let Some(dir) = &config.corpus_dir {
            stats.saved = save_fresh(dir, &mut fresh, config.save)?;
        }
        stats.crashes = crashes.into_values().collect();
        stats.crashes.sort_by(|a, b| a.message.cmp(&b.message));
        if let Some(dir) = &config.crashes_dir {
            for crash in &mut stats.crashes {
                crash.saved = Some(write_input(dir, &crash.input)?);
            }
        }
        Ok(stats)
    }
}

/// The next input: now and then a generated one, otherwise a mutation of the corpus.
fn next(rng: &mut Rng, target: &Target, corpus: &[Vec<u8>]) -> Vec<u8> {
    if corpus.is_empty() || rng.u8(0..10) == 0 {
        return (target.generate)(rng);
    }
    let input = &corpus[rng.usize(..corpus.len())];
    let other = &corpus[rng.usize(..corpus.len())];
    mutate(rng, input, other, target.tokens)
}

/// Crashes are the same when they panic at the same place.
fn crash_key(message: &str) -> String {
    message
        .rfind(" at ")
        .map_or(message, |i| &message[i..])
        .to_owned()
}

/// The smallest input found, within a budget, that still panics at the same place.
fn minimize(runner: &mut Runner, input: &[u8], message: &str) -> Vec<u8> {
    let key = crash_key(message);
    let mut best = input.to_vec();
    let mut chunk = best.len() / 2;
    let mut tries = 0;
    while chunk > 0 && tries < 400 {
        let mut at = 0;
        while at < best.len() && tries < 400 {
            let mut candidate = best.clone();
            candidate.drain(at..(at + chunk).min(best.len()));
            tries += 1;
            match runner.run(&candidate) {
                Ok(Outcome::Panicked(m)) if crash_key(&m) == key => best = candidate,
                _ => at += chunk,
            }
        }
        chunk /= 2;
    }
    best
}

fn hash(input: &[u8]) -> u64 {
    let mut hasher = DefaultHasher::new();
    input.hash(&mut hasher);
    hasher.finish()
}

/// Every file in `dir`, in name order; none when it does not exist.
pub fn read_dir(dir: &Path) -> io::Result<Vec<Vec<u8>>> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    paths.sort();
    paths.iter().map(fs::read).collect()
}

/// Writes the smallest of the new inputs, at most `limit` of them.
fn save_fresh(dir: &Path, fresh: &mut Vec<Vec<u8>>, limit: usize) -> io::Result<usize> {
    fresh.sort_by_key(Vec::len);
    fresh.dedup();
    let mut saved = 0;
    for input in fresh.iter().filter(|i| i.len() <= 16 * 1024).take(limit) {
        write_input(dir, input)?;
        saved += 1;
    }
    Ok(saved)
}

/// Writes an input under its hash.
fn write_input(dir: &Path, input: &[u8]) -> io::Result<PathBuf> {
    fs::create_dir_all(dir)?;
    let path = dir.join(format!("{:016x}", hash(input)));
    fs::write(&path, input)?;
    Ok(path)
}
