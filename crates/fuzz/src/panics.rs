//! Panics as findings. A hook records the first panic of an input (its message and where it
//! happened, also when it happened on a thread the target spawned) instead of printing it;
//! panics on threads that are not running an input print as usual.

use std::{
    any::Any,
    cell::Cell,
    panic::{self, AssertUnwindSafe},
    sync::{
        Mutex, Once, PoisonError,
        atomic::{AtomicBool, Ordering},
    },
};

static FIRST: Mutex<Option<String>> = Mutex::new(None);
static INSTALL: Once = Once::new();
static QUIET: AtomicBool = AtomicBool::new(false);

thread_local! {
    /// Whether this thread is running an input.
    static RUNNING: Cell<bool> = const { Cell::new(false) };
}

/// Installs the recording hook, once per process.
pub fn install() {
    INSTALL.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            let message = format!("{}{}", payload_text(info.payload()), at(info.location()));
            let mut first = FIRST.lock().unwrap_or_else(PoisonError::into_inner);
            if first.is_none() {
                *first = Some(message);
            }
            drop(first);
            if !RUNNING.with(Cell::get) && !QUIET.load(Ordering::Relaxed) {
                previous(info);
            }
        }));
    });
}

/// Silences every panic, also on threads the targets spawn: for campaigns, which report each
/// crash once in their summary.
pub fn quiet() {
    install();
    QUIET.store(true, Ordering::Relaxed);
}

fn at(location: Option<&panic::Location<'_>>) -> String {
    location.map_or_else(String::new, |l| {
        format!(" at {}:{}:{}", l.file(), l.line(), l.column())
    })
}

fn payload_text(payload: &dyn Any) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic without a message".to_owned()
    }
}

/// Runs `f` on this thread, catching a panic: `Err` holds the first panic's message and
/// location. A panic on another thread while `f` runs counts too, even when it was caught
/// there (a task's panic that a runtime turned into an error is still a bug).
pub fn catch<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    install();
    *FIRST.lock().unwrap_or_else(PoisonError::into_inner) = None;
    RUNNING.with(|r| r.set(true));
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    RUNNING.with(|r| r.set(false));
    let first = FIRST.lock().unwrap_or_else(PoisonError::into_inner).take();
    match (result, first) {
        (Ok(value), None) => Ok(value),
        (Ok(_), Some(message)) => Err(message),
        (Err(payload), first) => Err(first.unwrap_or_else(|| payload_text(payload.as_ref()))),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_panic_is_caught_with_where_it_happened() {
        let caught = super::catch(|| {
            let v: Vec<u8> = Vec::new();
            v[usize::from(std::hint::black_box(3u8))]
        });
        let message = caught.unwrap_err();
        assert!(message.contains("index out of bounds"), "{message}");
        assert!(message.contains("panics.rs"), "{message}");
        assert_eq!(super::catch(|| 7), Ok(7));
    }
}
