//! Entering Python from the engine's threads, and keeping them out once the interpreter
//! begins to shut down. A worker that calls into Python while the interpreter finalizes is
//! torn down by CPython mid-call (a forced unwind through Rust frames, or a thread state
//! released after it was freed), which aborts the whole process; so the interpreter's exit
//! (an `atexit` hook, which runs before finalization) closes the door and waits for the calls
//! already inside to return.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use pyo3::prelude::*;

use crate::engine::{Error, Result};

static SHUTTING_DOWN: AtomicBool = AtomicBool::new(false);
/// Engine threads inside (or about to enter) Python.
static INSIDE: AtomicUsize = AtomicUsize::new(0);

/// Leave to touch the interpreter from an engine thread, held for as long as the thread may
/// take or hold the GIL; `shut_down` waits until every one is dropped.
pub struct Inside(());

impl Drop for Inside {
    fn drop(&mut self) {
        INSIDE.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Leave to enter the interpreter, or `None` once it is shutting down. Any engine thread that
/// takes the GIL, or restores or creates a thread state, holds one for the whole time: a
/// thread that asks CPython for the GIL during finalization is ended by a forced unwind
/// through Rust frames, which crashes the process.
pub fn enter() -> Option<Inside> {
    // Counted before the flag is read: `shut_down` sets the flag, then waits for the count,
    // so a caller either sees the flag or is waited for.
    INSIDE.fetch_add(1, Ordering::SeqCst);
    let inside = Inside(());
    (!shutting_down()).then_some(inside)
}

/// Runs `f` with the GIL on an engine thread; refused with `Cancelled` once the interpreter
/// is shutting down.
pub fn attach<R>(f: impl for<'py> FnOnce(Python<'py>) -> Result<R>) -> Result<R> {
    let Some(_inside) = enter() else {
        return Err(Error::Cancelled);
    };
    Python::attach(f)
}

/// Whether the interpreter has begun to exit; engine threads must not touch Python then.
pub fn shutting_down() -> bool {
    SHUTTING_DOWN.load(Ordering::SeqCst)
}

/// Called once when the interpreter exits: no engine thread enters Python from now on, and
/// the calls in progress (a map function, a generator step) get up to `timeout` seconds to
/// return, with the GIL released so that they can; Ctrl-C ends the wait. Returns whether
/// they all returned.
#[pyfunction]
pub fn shut_down(py: Python<'_>, timeout: f64) -> bool {
    SHUTTING_DOWN.store(true, Ordering::SeqCst);
    let deadline = Instant::now() + Duration::from_secs_f64(timeout.max(0.0));
    loop {
        let settled = py.detach(|| {
            let slice = Instant::now() + Duration::from_millis(100);
            while INSIDE.load(Ordering::SeqCst) > 0 {
                if Instant::now() >= slice.min(deadline) {
                    return false;
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            true
        });
        if settled {
            return true;
        }
        if Instant::now() >= deadline || py.check_signals().is_err() {
            return false;
        }
    }
}
