//! How long the TUI takes to draw, to show the demo's issues, and to answer a key.
//!
//! `cargo bench -p kubewhy-tui --bench render -- [ISSUES] [FRAMES]` (default 10000 issues, 200
//! frames). It prints, per view and terminal size, the time per frame (mean, p50, p99, max;
//! the target is under 5 ms at 10,000 issues); the time to rebuild the list on a filter key;
//! then, on the demo cluster through the real event loop, the time from start to the first
//! frame showing issues (target 300 ms) and the time from a key to its frame while an
//! explanation streams (target p99 50 ms), from a stub and from the LLM simulator.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use futures::stream::{self, BoxStream, StreamExt};
use kubewhy_engine::{ExplainOptions, Options, SourceSpec};
use kubewhy_llm::{BackendKind, Profile, prompt::Prompts};
use kubewhy_sim::{LlmSim, LlmSimOptions, SimAnswer};
use kubewhy_tui::{
    EngineAssistant, TuiConfig,
    action::Action,
    fixtures,
    headless::Headless,
    llm::{AnswerMeta, Assistant, LlmEvent, LlmRequest},
    state::{Settings, State},
    update::update,
    view,
};
use ratatui::{Terminal, backend::TestBackend, crossterm::event::KeyCode};

fn main() {
    let mut args = std::env::args().skip(1).filter(|a| !a.starts_with('-'));
    let issues: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let frames: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(200);
    println!("{issues} issues, {frames} frames per view");
    for stat in render(issues, frames) {
        println!("{stat}");
    }
    println!("filter key, list rebuilt: {:?}", filter_key(issues));
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        for i in 1..=3 {
            let first = first_issues(120, 40).await;
            println!(
                "demo, start to first frame with issues (run {i}): {} ms",
                first.as_millis()
            );
        }
        let latency = keystrokes(100, Duration::from_millis(2)).await;
        println!("key to frame while an explanation streams: {latency}");
        let latency = keystrokes_from_sim(100, 4, Duration::from_millis(2)).await;
        println!("key to frame while the LLM simulator streams an explanation: {latency}");
    });
}

/// Timings of one view.
pub struct Stat {
    pub view: &'static str,
    pub width: u16,
    pub height: u16,
    pub mean: Duration,
    pub p50: Duration,
    pub p99: Duration,
    pub max: Duration,
}

impl std::fmt::Display for Stat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:<12} {:>3}x{:<3} mean {:>8.3?}  p50 {:>8.3?}  p99 {:>8.3?}  max {:>8.3?}",
            self.view, self.width, self.height, self.mean, self.p50, self.p99, self.max
        )
    }
}

fn stat(view: &'static str, (width, height): (u16, u16), mut times: Vec<Duration>) -> Stat {
    times.sort();
    let at = |percent: usize| times[(times.len().saturating_sub(1) * percent).div_ceil(100)];
    Stat {
        view,
        width,
        height,
        mean: times.iter().sum::<Duration>() / u32::try_from(times.len().max(1)).unwrap_or(1),
        p50: at(50),
        p99: at(99),
        max: at(100),
    }
}

/// Draws each main view `frames` times with `issues` issues, moving the selection between
/// frames so that every frame has something new to draw.
///
/// # Panics
///
/// When a frame cannot be drawn: there is nothing to measure then.
#[must_use]
pub fn render(issues: usize, frames: usize) -> Vec<Stat> {
    let settings = Settings {
        color: true,
        watch_secs: 30,
        ..Settings::default()
    };
    let mut out = Vec::new();
    for size in [(160, 48), (80, 24)] {
        for view_name in ["list", "detail", "explanation"] {
            let mut state = fixtures::state(fixtures::many(issues), settings.clone());
            update(&mut state, Action::Bottom);
            match view_name {
                "detail" => {
                    update(&mut state, Action::Open);
                }
                "explanation" => {
                    update(&mut state, Action::Explain);
                }
                _ => {}
            }
            out.push(stat(view_name, size, frame_times(&mut state, size, frames)));
        }
    }
    out
}

fn frame_times(state: &mut State, (width, height): (u16, u16), frames: usize) -> Vec<Duration> {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("a terminal");
    let mut times = Vec::with_capacity(frames);
    for i in 0..frames {
        let step = if i % 40 < 20 {
            Action::Up
        } else {
            Action::Down
        };
        update(state, step);
        let started = Instant::now();
        terminal
            .draw(|frame| view::render(state, frame))
            .expect("it draws");
        times.push(started.elapsed());
    }
    times
}

/// The time `update` takes for one key of a filter, the whole list rebuilt.
#[must_use]
pub fn filter_key(issues: usize) -> Duration {
    let mut state = fixtures::state(fixtures::many(issues), Settings::default());
    update(&mut state, Action::StartFilter);
    let started = Instant::now();
    for c in "team-3".chars() {
        update(&mut state, Action::Type(c));
    }
    started.elapsed() / 6
}

/// The time from start to the first frame that shows issues, on the demo, through the real
/// event loop.
///
/// # Panics
///
/// When the TUI quits before showing issues.
pub async fn first_issues(width: u16, height: u16) -> Duration {
    let started = Instant::now();
    let mut tui = Headless::start(
        SourceSpec::Demo,
        Options::default(),
        TuiConfig::default(),
        width,
        height,
    );
    let frame = tui
        .until(|f| f.issues > 0)
        .await
        .expect("the demo shows issues");
    let _ = tui.quit().await;
    frame.at - started
}

/// Streams tokens every `every`, forever (until dropped).
struct Streaming {
    every: Duration,
}

impl Assistant for Streaming {
    fn backend(&self) -> &'static str {
        "bench"
    }

    fn model(&self) -> &'static str {
        "stream"
    }

    fn request(&self, _: LlmRequest) -> BoxStream<'static, LlmEvent> {
        let every = self.every;
        stream::unfold(0u32, move |n| async move {
            tokio::time::sleep(every).await;
            let event = if n == 100_000 {
                LlmEvent::Done(AnswerMeta::default())
            } else {
                LlmEvent::Token(format!("token{n} "))
            };
            Some((event, n + 1))
        })
        .boxed()
    }
}

/// Key-to-frame latencies while an explanation streams a token every `every`.
pub struct Latency {
    pub keys: usize,
    pub p50: Duration,
    pub p99: Duration,
    pub max: Duration,
}

impl std::fmt::Display for Latency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} keys, p50 {:.3?}, p99 {:.3?}, max {:.3?}",
            self.keys, self.p50, self.p99, self.max
        )
    }
}

/// Opens the demo's first issue, starts a streaming explanation, then toggles the help `keys`
/// times, timing each key to the frame that shows its effect.
///
/// # Panics
///
/// When the TUI quits early.
pub async fn keystrokes(keys: usize, every: Duration) -> Latency {
    let assistant = Arc::new(Streaming { every });
    keystrokes_with(keys, assistant, |f| f.shows("token3")).await
}

/// The same, with the explanation streamed by the LLM simulator through the engine's explain
/// pipeline (scrubbed, sent over loopback HTTP, names restored as it streams): a chunk of
/// `chunk` characters every `every`.
///
/// # Panics
///
/// When the simulator does not start or the TUI quits early.
pub async fn keystrokes_from_sim(keys: usize, chunk: usize, every: Duration) -> Latency {
    let sim = LlmSim::start(LlmSimOptions {
        answer: SimAnswer::Template(format!("{} ", "{first_pseudonym} is failing.".repeat(400))),
        chunk_chars: chunk,
        chunk_delay: every,
        ..LlmSimOptions::default()
    })
    .await
    .expect("the LLM simulator");
    let mut profile = Profile::new(BackendKind::Local);
    profile.model = Some("x".to_owned());
    profile.base_url = Some(format!("{}/v1", sim.url()));
    let backend = kubewhy_llm::build("local", &profile, &|_| None).expect("a backend");
    let prompts = Arc::new(Prompts::embedded().expect("the prompts"));
    let assistant = Arc::new(EngineAssistant::new(ExplainOptions::new(
        Some(backend),
        prompts,
    )));
    keystrokes_with(keys, assistant, |f| f.shows("is failing.")).await
}

async fn keystrokes_with(
    keys: usize,
    assistant: Arc<dyn Assistant>,
    streaming: impl Fn(&kubewhy_tui::headless::Frame) -> bool,
) -> Latency {
    let config = TuiConfig {
        assistant: Some(assistant),
        ..TuiConfig::default()
    };
    let mut tui = Headless::start(SourceSpec::Demo, Options::default(), config, 120, 40);
    tui.until(|f| f.issues > 0).await.expect("issues");
    tui.key(KeyCode::Enter);
    tui.key(KeyCode::Char('x'));
    tui.until(|f| streaming(f) && f.shows("streaming…"))
        .await
        .expect("streaming");
    let mut times = Vec::with_capacity(keys);
    for i in 0..keys {
        let open = i % 2 == 0;
        let started = Instant::now();
        tui.key(if open {
            KeyCode::Char('?')
        } else {
            KeyCode::Esc
        });
        let frame = tui
            .until(|f| f.shows("Help · every key") == open)
            .await
            .expect("a frame");
        times.push(frame.at - started);
    }
    let _ = tui.quit().await;
    let s = stat("keys", (0, 0), times);
    Latency {
        keys,
        p50: s.p50,
        p99: s.p99,
        max: s.max,
    }
}
