//! The real event loop on an in-memory terminal, driven by code: tests and benchmarks send
//! keys and read each frame (when it was drawn, what it shows), as a user would see it.

use std::time::Instant;

use anyhow::Result;
use kubewhy_engine::{Options, SourceSpec};
use ratatui::{
    Terminal,
    backend::TestBackend,
    buffer::Buffer,
    crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers},
};
use tokio::{
    sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel},
    task::JoinHandle,
};

use super::{Msg, Tasks, event_loop};
use crate::{TuiConfig, state::State};

/// One frame, as drawn.
#[derive(Debug, Clone)]
pub struct Frame {
    /// When it was drawn.
    pub at: Instant,
    /// How many issues the list holds.
    pub issues: usize,
    /// The screen, one string per row.
    pub lines: Vec<String>,
}

impl Frame {
    /// Whether some row of the screen contains `text`.
    #[must_use]
    pub fn shows(&self, text: &str) -> bool {
        self.lines.iter().any(|l| l.contains(text))
    }
}

/// A TUI running on an in-memory terminal.
pub struct Headless {
    tx: UnboundedSender<Msg>,
    frames: UnboundedReceiver<Frame>,
    task: JoinHandle<Result<()>>,
}

impl Headless {
    /// Starts the TUI on a `width` × `height` terminal. Must be called within a Tokio runtime.
    #[must_use]
    pub fn start(
        spec: SourceSpec,
        options: Options,
        config: TuiConfig,
        width: u16,
        height: u16,
    ) -> Self {
        let (tx, mut rx) = unbounded_channel();
        let (frames_tx, frames) = unbounded_channel();
        let tasks_tx = tx.clone();
        let task = tokio::spawn(async move {
            let mut terminal = Terminal::new(TestBackend::new(width, height))?;
            let state = State::new(spec.clone(), options, config.settings());
            let mut tasks = Tasks::new(tasks_tx, spec, config.assistant.clone());
            let mut on_frame = |state: &State, buffer: &Buffer| {
                let _ = frames_tx.send(Frame {
                    at: Instant::now(),
                    issues: state.list.issues().len(),
                    lines: lines(buffer),
                });
            };
            event_loop(
                &mut terminal,
                &mut |_| {},
                &mut on_frame,
                state,
                &mut tasks,
                &mut rx,
            )
            .await
        });
        Self { tx, frames, task }
    }

    /// Presses a key.
    pub fn key(&self, code: KeyCode) {
        self.key_with(code, KeyModifiers::NONE);
    }

    /// Presses a key with modifiers.
    pub fn key_with(&self, code: KeyCode, modifiers: KeyModifiers) {
        let _ = self
            .tx
            .send(Msg::Input(Event::Key(KeyEvent::new(code, modifiers))));
    }

    /// Types text, one key per character.
    pub fn type_text(&self, text: &str) {
        for c in text.chars() {
            self.key(KeyCode::Char(c));
        }
    }

    /// The next frame; `None` once the TUI has quit.
    pub async fn frame(&mut self) -> Option<Frame> {
        self.frames.recv().await
    }

    /// Waits for a frame that `wanted` accepts; `None` if the TUI quits first.
    pub async fn until(&mut self, wanted: impl Fn(&Frame) -> bool) -> Option<Frame> {
        while let Some(frame) = self.frame().await {
            if wanted(&frame) {
                return Some(frame);
            }
        }
        None
    }

    /// Quits and waits for the loop to end.
    pub async fn quit(self) -> Result<()> {
        let _ = self.tx.send(Msg::Signal);
        self.task.await?
    }
}

/// The rows of a buffer as text.
#[must_use]
pub fn lines(buffer: &Buffer) -> Vec<String> {
    let width = usize::from(buffer.area.width);
    buffer
        .content
        .chunks(width.max(1))
        .map(|row| {
            let mut line = String::new();
            let mut skip = 0;
            for cell in row {
                // The cell after a wide character is part of it.
                if skip > 0 {
                    skip -= 1;
                    continue;
                }
                let symbol = cell.symbol();
                skip = crate::view::text::width(symbol).saturating_sub(1);
                line.push_str(symbol);
            }
            line.trim_end().to_owned()
        })
        .collect()
}
