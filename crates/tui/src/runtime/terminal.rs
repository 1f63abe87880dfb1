//! The real terminal: raw mode and the alternate screen on the way in, and back out on every
//! path — a normal exit and an error (the guard's drop), a panic (the hook), SIGTERM, SIGINT
//! and SIGHUP (a quit action, so the guard runs). Keys are read on a thread of their own, so
//! the event loop never blocks on the terminal.

use std::{
    io::{self, Write},
    sync::{
        Arc, Once,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use ratatui::{
    Terminal,
    backend::CrosstermBackend,
    crossterm::{
        cursor::{Hide, Show},
        event, execute,
        terminal::{EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode},
    },
};
use tokio::sync::mpsc::UnboundedSender;

use super::tasks::Msg;

/// True while the TUI owns the terminal.
static ACTIVE: AtomicBool = AtomicBool::new(false);
/// Set by the panic hook: the event loop stops at once.
static PANICKED: AtomicBool = AtomicBool::new(false);

/// Whether a thread panicked while the TUI ran.
pub fn panicked() -> bool {
    PANICKED.load(Ordering::SeqCst)
}

/// Owns the terminal's raw mode and alternate screen; dropping it gives them back.
pub struct Guard {
    _private: (),
}

impl Guard {
    /// Takes the terminal over.
    pub fn enter() -> io::Result<(Self, Terminal<CrosstermBackend<FrameWriter>>)> {
        install_panic_hook();
        enable_raw_mode()?;
        ACTIVE.store(true, Ordering::SeqCst);
        // From here on, the guard restores whatever happens next.
        let guard = Self { _private: () };
        execute!(io::stdout(), EnterAlternateScreen, Hide)?;
        let terminal = Terminal::new(CrosstermBackend::new(FrameWriter::default()))?;
        Ok((guard, terminal))
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        restore();
    }
}

/// Collects a frame and writes it at once, as one synchronized update (DEC mode 2026): the
/// terminal shows whole frames, never half of one.
#[derive(Default)]
pub struct FrameWriter {
    frame: Vec<u8>,
}

impl Write for FrameWriter {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.frame.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.frame.is_empty() {
            return Ok(());
        }
        let mut out = io::stdout().lock();
        out.write_all(b"\x1b[?2026h")?;
        out.write_all(&self.frame)?;
        out.write_all(b"\x1b[?2026l")?;
        self.frame.clear();
        out.flush()
    }
}

/// Gives the terminal back: cooked mode, the main screen, the cursor. Safe to call twice.
pub fn restore() {
    if ACTIVE.swap(false, Ordering::SeqCst) {
        let _ = disable_raw_mode();
        let _ = execute!(io::stdout(), LeaveAlternateScreen, Show);
        let _ = io::stdout().flush();
    }
}

/// Restores the terminal before the panic is printed, so the message is readable and the
/// shell usable; the event loop then stops.
fn install_panic_hook() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            PANICKED.store(true, Ordering::SeqCst);
            restore();
            previous(info);
        }));
    });
}

/// Writes an escape sequence (OSC 52) straight to the terminal.
pub fn write_escape(sequence: &str) {
    let mut out = io::stdout();
    let _ = out.write_all(sequence.as_bytes());
    let _ = out.flush();
}

/// Reads keys and resizes on a thread until `stop` is set or the channel closes.
pub fn spawn_input(tx: UnboundedSender<Msg>, stop: Arc<AtomicBool>) {
    std::thread::spawn(move || {
        while !stop.load(Ordering::SeqCst) {
            match event::poll(Duration::from_millis(50)) {
                Ok(true) => match event::read() {
                    Ok(ev) => {
                        if tx.send(Msg::Input(ev)).is_err() {
                            break;
                        }
                    }
                    Err(_) => break,
                },
                Ok(false) => {}
                Err(_) => break,
            }
        }
    });
}

/// Turns SIGTERM, SIGINT and SIGHUP into a quit, so that the terminal is restored.
pub fn spawn_signals(tx: UnboundedSender<Msg>) -> io::Result<tokio::task::JoinHandle<()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    let mut hup = signal(SignalKind::hangup())?;
    Ok(tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
                _ = hup.recv() => {}
            }
            if tx.send(Msg::Signal).is_err() {
                break;
            }
        }
    }))
}

/// Sends a tick every second (auto-refresh counts them; a panic is noticed within one).
pub fn spawn_ticks(tx: UnboundedSender<Msg>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(Duration::from_secs(1));
        interval.tick().await;
        loop {
            interval.tick().await;
            if tx.send(Msg::Tick).is_err() {
                break;
            }
        }
    })
}
