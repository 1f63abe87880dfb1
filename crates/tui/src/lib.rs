//! kubewhy's terminal UI, with k9s's keys. It is split as gitui and bottom split theirs:
//!
//! - [`state`]: everything shown, in one value;
//! - [`action`]: what can happen (a key, news from a background task), and the [`Effect`]s
//!   `update` asks for;
//! - [`update`]: the only place the state changes; it never blocks;
//! - [`view`]: `render(&state, frame)`, which never awaits and draws only what is in sight;
//! - the runtime: the event loop, the terminal (restored on every path), and the background
//!   tasks — runs of the engine, LLM requests — reporting over one channel, the newest request
//!   winning.
//!
//! LLM backends plug in through [`llm::Assistant`]; [`EngineAssistant`] answers from the
//! engine's explain pipeline. Without one, the explanation pane shows the check catalog's
//! "How to fix" and the LLM keys say so.
//!
//! [`Effect`]: action::Effect

pub mod action;
mod assistant;
mod clipboard;
pub mod filter;
#[doc(hidden)]
pub mod fixtures;
pub mod keys;
pub mod llm;
mod runtime;
pub mod state;
pub mod update;
pub mod view;
mod yaml;

use std::{sync::Arc, time::Duration};

use kubewhy_engine::{Options, SourceSpec};

pub use assistant::EngineAssistant;
#[doc(hidden)]
pub use runtime::headless;

/// How the TUI looks and what it can use, beyond the source.
#[derive(Clone)]
pub struct TuiConfig {
    /// Colour on or off; severity is always spelt out in text too.
    pub color: bool,
    /// Time between two runs while auto-refresh (`w`) is on.
    pub watch_interval: Duration,
    /// Explain an issue as soon as it is opened (only with a backend).
    pub auto_explain: bool,
    /// The LLM backend, when one is configured.
    pub assistant: Option<Arc<dyn llm::Assistant>>,
}

impl Default for TuiConfig {
    fn default() -> Self {
        Self {
            color: true,
            watch_interval: Duration::from_secs(30),
            auto_explain: false,
            assistant: None,
        }
    }
}

impl std::fmt::Debug for TuiConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TuiConfig")
            .field("color", &self.color)
            .field("watch_interval", &self.watch_interval)
            .field("auto_explain", &self.auto_explain)
            .field(
                "assistant",
                &self.assistant.as_ref().map(|a| a.backend().to_owned()),
            )
            .finish()
    }
}

impl TuiConfig {
    /// The defaults, with colour off when `NO_COLOR` is set to anything but the empty string.
    #[must_use]
    pub fn from_env() -> Self {
        Self {
            color: std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
            ..Self::default()
        }
    }

    fn settings(&self) -> state::Settings {
        state::Settings {
            color: self.color,
            backend: self
                .assistant
                .as_ref()
                .map(|a| (a.backend().to_owned(), a.model().to_owned())),
            watch_secs: self.watch_interval.as_secs().max(1),
            auto_explain: self.auto_explain,
        }
    }
}

/// Runs the TUI on the terminal until the user quits. The first frame is drawn at once; issues
/// appear as the run finds them. Needs a terminal on stdin and stdout, and a Tokio runtime.
pub async fn run(spec: SourceSpec, options: Options, config: TuiConfig) -> anyhow::Result<()> {
    runtime::run(spec, options, config).await
}
