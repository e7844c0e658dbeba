//! Python thread states for the engine's worker threads. Attaching a thread that has none
//! makes CPython create and destroy a thread state on every call, which costs microseconds
//! per element; a worker instead keeps one from its start to its end, released (no GIL held)
//! whenever it is not running Python.

use std::cell::Cell;
use std::sync::Arc;

use pyo3::ffi;

use super::interpreter;
use crate::engine::pool::ThreadHooks;

thread_local! {
    static KEPT: Cell<Option<(ffi::PyGILState_STATE, *mut ffi::PyThreadState)>> =
        const { Cell::new(None) };
}

fn keep_thread_state() {
    let Some(_inside) = interpreter::enter() else {
        return;
    };
    // SAFETY: called once on a fresh engine thread that holds no GIL; the state is released at
    // once and restored by `drop_thread_state` on the same thread.
    unsafe {
        if ffi::Py_IsInitialized() == 0 {
            return;
        }
        let gil = ffi::PyGILState_Ensure();
        let state = ffi::PyEval_SaveThread();
        KEPT.with(|k| k.set(Some((gil, state))));
    }
}

fn drop_thread_state() {
    if let Some((gil, state)) = KEPT.with(Cell::take) {
        // Once the interpreter is exiting, its finalization may free the state at any
        // moment: it is left to it (a thread state is all that leaks, at exit).
        let Some(_inside) = interpreter::enter() else {
            return;
        };
        // SAFETY: the pair saved by `keep_thread_state` on this thread, restored once, and
        // the interpreter cannot begin to finalize while `_inside` is held.
        unsafe {
            if ffi::Py_IsInitialized() == 0 {
                return;
            }
            ffi::PyEval_RestoreThread(state);
            ffi::PyGILState_Release(gil);
        }
    }
}

/// Hooks that give every pipeline thread one Python thread state for its lifetime.
pub fn python_thread_hooks() -> ThreadHooks {
    ThreadHooks {
        on_start: Arc::new(keep_thread_state),
        on_exit: Arc::new(drop_thread_state),
    }
}
