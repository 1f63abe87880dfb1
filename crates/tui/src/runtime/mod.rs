//! The event loop: draw, wait for the next message (a key, a run's event, an answer token, a
//! tick), turn it into an action, update, carry out the effects, and draw again. Bursts (a
//! fast-streaming answer, a run's progress) are applied together before the next frame, so
//! keys keep their latency whatever streams.

pub mod headless;
mod tasks;
pub(crate) mod terminal;

use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};

use anyhow::{Context as _, Result, bail};
use kubewhy_engine::{Options, SourceSpec};
use ratatui::{
    Terminal,
    backend::Backend,
    buffer::Buffer,
    crossterm::event::{Event as TermEvent, KeyCode, KeyEvent, KeyModifiers},
};
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};

use crate::{TuiConfig, action::Effect, keys, state::State, update, view};
use tasks::{Msg, Tasks};

/// Messages applied at most before a frame is drawn anyway.
const BURST: usize = 512;

/// Runs the TUI on the real terminal until the user quits.
pub(crate) async fn run(spec: SourceSpec, options: Options, config: TuiConfig) -> Result<()> {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        bail!(
            "the TUI needs a terminal on stdin and stdout; use `kubewhy analyze` to print a report"
        );
    }
    let (tx, mut rx) = unbounded_channel();
    let (guard, mut terminal) = terminal::Guard::enter().context("cannot set up the terminal")?;
    let stop = Arc::new(AtomicBool::new(false));
    terminal::spawn_input(tx.clone(), Arc::clone(&stop));
    let signals = terminal::spawn_signals(tx.clone()).context("cannot watch for signals")?;
    let ticks = terminal::spawn_ticks(tx.clone());
    let state = State::new(spec.clone(), options, config.settings());
    let mut tasks = Tasks::new(tx, spec, config.assistant.clone());
    let mut clipboard = terminal::write_escape;
    let result = event_loop(
        &mut terminal,
        &mut clipboard,
        &mut |_: &State, _: &Buffer| {},
        state,
        &mut tasks,
        &mut rx,
    )
    .await;
    stop.store(true, Ordering::SeqCst);
    signals.abort();
    ticks.abort();
    drop(tasks);
    let _ = terminal.show_cursor();
    drop(terminal);
    drop(guard);
    if terminal::panicked() {
        bail!(
            "kubewhy stopped on an internal error (the panic is printed above); the terminal was restored"
        );
    }
    result
}

/// Draws, waits, updates, until the state says quit or the channel closes. `on_frame` sees the
/// state and the screen after each frame (tests and benchmarks measure with it).
pub(crate) async fn event_loop<B: Backend>(
    terminal: &mut Terminal<B>,
    clipboard: &mut (dyn FnMut(&str) + Send),
    on_frame: &mut (dyn FnMut(&State, &Buffer) + Send),
    mut state: State,
    tasks: &mut Tasks,
    rx: &mut UnboundedReceiver<Msg>,
) -> Result<()>
where
    B::Error: Send + Sync + 'static,
{
    for effect in update::refresh(&mut state) {
        tasks.apply(effect, clipboard);
    }
    loop {
        let frame = terminal
            .draw(|frame| view::render(&state, frame))
            .context("cannot draw")?;
        on_frame(&state, frame.buffer);
        if state.quit {
            return Ok(());
        }
        let Some(msg) = rx.recv().await else {
            return Ok(());
        };
        // Effects are carried out at once: a refresh must drop the old run before the next
        // message of that run is read.
        for effect in handle(&mut state, tasks, msg) {
            tasks.apply(effect, clipboard);
        }
        for _ in 0..BURST {
            if state.quit || terminal::panicked() {
                break;
            }
            let Ok(msg) = rx.try_recv() else { break };
            for effect in handle(&mut state, tasks, msg) {
                tasks.apply(effect, clipboard);
            }
        }
        if terminal::panicked() {
            return Ok(());
        }
    }
}

/// Applies one message; returns the effects to carry out.
fn handle(state: &mut State, tasks: &mut Tasks, msg: Msg) -> Vec<Effect> {
    let action = match msg {
        // A terminal sends `esc` then a key typed quickly after it as alt and the key: both.
        Msg::Input(TermEvent::Key(mut key))
            if key.modifiers == KeyModifiers::ALT && matches!(key.code, KeyCode::Char(_)) =>
        {
            let esc = KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE);
            let mut effects = keys::action(state, esc)
                .map_or_else(Vec::new, |action| update::update(state, action));
            key.modifiers = KeyModifiers::NONE;
            if let Some(action) = keys::action(state, key) {
                effects.extend(update::update(state, action));
            }
            return effects;
        }
        Msg::Input(TermEvent::Key(key)) => keys::action(state, key),
        // The next draw fits the new size.
        Msg::Input(_) => None,
        other => tasks.receive(other),
    };
    action.map_or_else(Vec::new, |action| update::update(state, action))
}
