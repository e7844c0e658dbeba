//! The CPU worker pool one iterator tree shares: short jobs (a map function call, a batch
//! assembly) run here, so a pipeline with many parallel stages uses one set of threads. Jobs
//! never wait on other jobs, so the pool cannot deadlock on itself.

use std::sync::{Arc, Mutex};

use crossbeam_channel::{bounded, unbounded, Receiver, Sender};

use crate::engine::memory::probe;

type Job = Box<dyn FnOnce() + Send>;

/// Run on every thread the pipeline starts, first and last: the binding layer uses them to
/// keep one Python thread state per worker instead of creating one per call.
#[derive(Clone)]
pub struct ThreadHooks {
    pub on_start: Arc<dyn Fn() + Send + Sync>,
    pub on_exit: Arc<dyn Fn() + Send + Sync>,
}

/// Runs a thread's `on_exit` hook however its body ends, panics included.
struct ExitHook(Option<ThreadHooks>);

impl Drop for ExitHook {
    fn drop(&mut self) {
        if let Some(h) = &self.0 {
            (h.on_exit)();
        }
    }
}

/// Spawns a named pipeline thread that runs `hooks` around `body`.
pub fn spawn_thread(
    name: &str,
    hooks: Option<ThreadHooks>,
    body: impl FnOnce() + Send + 'static,
) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name(name.into())
        .spawn(move || {
            if let Some(h) = &hooks {
                (h.on_start)();
            }
            let _exit = ExitHook(hooks);
            body();
        })?;
    Ok(())
}

/// Most threads one pool will start, whatever parallelism is asked for.
pub const MAX_POOL_THREADS: usize = 256;

/// Address space a pool thread comes to use once it runs jobs: its stack, its allocator
/// segment and, when it runs Python, the C library's arena for its thread.
const THREAD_COST: usize = 96 << 20;
/// Address space left free for the rest of the process when the pool grows.
const POOL_HEADROOM: usize = 256 << 20;

pub struct WorkerPool {
    hooks: Option<ThreadHooks>,
    /// `None` once shut down.
    jobs: Mutex<Option<Sender<Job>>>,
    queue: Receiver<Job>,
    threads: Mutex<usize>,
}

thread_local! {
    static ON_POOL_THREAD: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// True on a worker pool's thread: a job there must not queue more jobs and wait for them
/// (every thread of the pool might be waiting so).
pub fn on_pool_thread() -> bool {
    ON_POOL_THREAD.with(std::cell::Cell::get)
}

impl Default for WorkerPool {
    fn default() -> Self {
        WorkerPool::new()
    }
}

impl WorkerPool {
    /// An empty pool; threads start on the first `ensure_threads`.
    pub fn new() -> Self {
        let (jobs, queue) = unbounded();
        WorkerPool {
            hooks: None,
            jobs: Mutex::new(Some(jobs)),
            queue,
            threads: Mutex::new(0),
        }
    }

    /// Sets what every thread of the pool runs first and last (before any thread starts).
    pub fn set_hooks(&mut self, hooks: ThreadHooks) {
        self.hooks = Some(hooks);
    }

    /// Grows the pool to at least `n` threads (at most `MAX_POOL_THREADS`), or as many as
    /// the memory left allows: the calls then share fewer threads.
    pub fn ensure_threads(&self, n: usize) {
        let mut threads = self.threads.lock().unwrap_or_else(|p| p.into_inner());
        let mut started = 0;
        while *threads < n.min(MAX_POOL_THREADS) {
            // Under an address-space limit, threads started past what is left make the
            // process abort on a later allocation. The threads started now take their memory
            // only once they run jobs, so the check counts them all.
            let needed = (started + 1) * THREAD_COST + POOL_HEADROOM;
            if *threads > 0 && probe(needed, &String::new).is_err() {
                break;
            }
            started += 1;
            let queue = self.queue.clone();
            let (started_tx, started) = bounded::<()>(1);
            // Ends when the pool shuts down or is dropped and the queue is empty.
            let spawned = spawn_thread("ferroflow-worker", self.hooks.clone(), move || {
                ON_POOL_THREAD.with(|f| f.set(true));
                // The thread's first allocation sets up its allocator heap: done before the
                // next thread's headroom is checked, so that check sees this one's cost.
                drop(std::hint::black_box(Box::new(0u64)));
                let _ = started_tx.send(());
                while let Ok(job) = queue.recv() {
                    job();
                }
            });
            if spawned.is_err() {
                break;
            }
            // A thread that fails to start (it panicked in its start hook) sends nothing.
            let _ = started.recv();
            *threads += 1;
        }
    }

    pub fn threads(&self) -> usize {
        *self.threads.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queues `job`; it runs on one of the pool's threads. After `shutdown` it is dropped.
    pub fn execute(&self, job: impl FnOnce() + Send + 'static) {
        if self.threads() == 0 {
            self.ensure_threads(1);
        }
        if let Some(jobs) = self.jobs.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
            let _ = jobs.send(Box::new(job));
        }
    }

    /// Lets the threads exit once the queued jobs are done.
    pub fn shutdown(&self) {
        self.jobs.lock().unwrap_or_else(|p| p.into_inner()).take();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_jobs_on_several_threads() {
        let pool = WorkerPool::new();
        pool.ensure_threads(3);
        assert_eq!(pool.threads(), 3);
        let (tx, rx) = unbounded();
        for i in 0..10 {
            let tx = tx.clone();
            pool.execute(move || tx.send(i * i).unwrap());
        }
        let mut got: Vec<i32> = (0..10).map(|_| rx.recv().unwrap()).collect();
        got.sort();
        assert_eq!(got, (0..10).map(|i| i * i).collect::<Vec<_>>());
    }
}
