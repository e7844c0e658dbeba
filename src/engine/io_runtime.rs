//! The one tokio runtime every pipeline in the process shares for blocking work: reading the
//! open inputs of parallel interleaves (file reads, decompression, generators). Its blocking
//! pool reuses threads across inputs, epochs and pipelines, and bounds how many exist at once,
//! so a pipeline that reads 64 files at a time does not start 64 threads of its own.
//!
//! A process forked from one that used the runtime (a `DataLoader` worker, say) inherits the
//! runtime's state but none of its threads: work given to it would wait for good. So each
//! process starts a runtime of its own, and a forked child leaves its parent's untouched (it
//! cannot be shut down there: shutting down waits on threads the child does not have).

use std::sync::atomic::{AtomicPtr, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

use tokio::runtime::{Builder, Runtime};

use super::pool::ThreadHooks;

/// Most threads the blocking pool runs at once. Reading jobs never wait for their consumer,
/// so more inputs than threads queue up rather than deadlock.
pub const MAX_IO_THREADS: usize = 16;

static HOOKS: OnceLock<ThreadHooks> = OnceLock::new();
/// The runtime of the process that last started one, with that process's id.
static RUNTIME: AtomicPtr<ProcessRuntime> = AtomicPtr::new(std::ptr::null_mut());

struct ProcessRuntime {
    pid: u32,
    runtime: Runtime,
}

/// Sets what the runtime's threads run first and last; effective only before its first use.
pub fn set_thread_hooks(hooks: ThreadHooks) {
    let _ = HOOKS.set(hooks);
}

/// This process's shared runtime, started on first use.
pub fn runtime() -> &'static Runtime {
    let pid = std::process::id();
    let current = RUNTIME.load(Ordering::Acquire);
    // SAFETY: a runtime once published is leaked, never freed, so the pointer stays valid.
    if let Some(found) = unsafe { current.as_ref() } {
        if found.pid == pid {
            return &found.runtime;
        }
    }
    let started = Box::into_raw(Box::new(ProcessRuntime {
        pid,
        runtime: build(),
    }));
    match RUNTIME.compare_exchange(current, started, Ordering::AcqRel, Ordering::Acquire) {
        // SAFETY: `started` is leaked from here on (see above).
        Ok(_) => unsafe { &(*started).runtime },
        // Another thread of this process started one first: use it, and stop ours.
        Err(winner) => {
            // SAFETY: `started` was never published, so it is only ours to free.
            drop(unsafe { Box::from_raw(started) });
            // SAFETY: as above, published runtimes are never freed.
            let winner = unsafe { &*winner };
            debug_assert_eq!(winner.pid, pid);
            &winner.runtime
        }
    }
}

fn build() -> Runtime {
    let mut builder = Builder::new_multi_thread();
    // I/O and timers drive the object stores' HTTP clients (requests, timeouts, backoff).
    builder
        .enable_io()
        .enable_time()
        .worker_threads(1)
        .max_blocking_threads(MAX_IO_THREADS)
        .thread_keep_alive(Duration::from_secs(2))
        .thread_name("ferroflow-io");
    if let Some(hooks) = HOOKS.get() {
        let (start, stop) = (hooks.on_start.clone(), hooks.on_exit.clone());
        builder
            .on_thread_start(move || start())
            .on_thread_stop(move || stop());
    }
    builder.build().expect("the I/O runtime starts")
}
