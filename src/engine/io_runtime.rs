//! The one tokio runtime every pipeline in the process shares for blocking work: reading the
//! open inputs of parallel interleaves (file reads, decompression, generators). Its blocking
//! pool reuses threads across inputs, epochs and pipelines, and bounds how many exist at once,
//! so a pipeline that reads 64 files at a time does not start 64 threads of its own.

use std::sync::OnceLock;
use std::time::Duration;

use tokio::runtime::{Builder, Runtime};

use super::pool::ThreadHooks;

/// Most threads the blocking pool runs at once. Reading jobs never wait for their consumer,
/// so more inputs than threads queue up rather than deadlock.
pub const MAX_IO_THREADS: usize = 16;

static HOOKS: OnceLock<ThreadHooks> = OnceLock::new();
static RUNTIME: OnceLock<Runtime> = OnceLock::new();

/// Sets what the runtime's threads run first and last; effective only before its first use.
pub fn set_thread_hooks(hooks: ThreadHooks) {
    let _ = HOOKS.set(hooks);
}

/// The shared runtime, started on first use.
pub fn runtime() -> &'static Runtime {
    RUNTIME.get_or_init(|| {
        let mut builder = Builder::new_multi_thread();
        builder
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
    })
}
