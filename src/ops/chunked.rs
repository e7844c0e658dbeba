//! Runs one input of a parallel interleave on the shared I/O runtime and hands its elements
//! over in chunks: a fast input (records of a file) pays for one channel message per chunk
//! instead of one per element, while a slow input (an element every few milliseconds) still
//! sends each element as soon as it is made. The input runs as short jobs, one per run of
//! chunks the consumer has room for, so it never holds a runtime thread while it waits for
//! the consumer.
//!
//! Each chunk comes with its input's state before it, so the position after any element
//! handed out is that state and a count of elements to pass over from it.

use std::cell::Cell;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crossbeam_channel::{unbounded, Receiver, Sender, TryRecvError};

use crate::engine::io_runtime::runtime;
use crate::engine::{Context, DatasetIterator, Element, Error, Result, State};

/// Elements per chunk at most.
const CHUNK: usize = 32;
/// A chunk is sent once its first element is this old, full or not.
const CHUNK_LATENCY: Duration = Duration::from_millis(1);

thread_local! {
    /// Set while a reading job runs: an interleave opened inside one must not queue jobs on
    /// the same bounded pool and wait for them (they might never get a thread).
    static IN_READING_JOB: Cell<bool> = const { Cell::new(false) };
}

/// True on a thread running a reading job.
pub(crate) fn inside_reading_job() -> bool {
    IN_READING_JOB.with(Cell::get)
}

/// A chunk of results, whether the input ended after them, and the input's state before
/// them (`None` once a state could not be saved).
type Chunk = (Vec<Result<Element>>, bool, Option<Result<State>>);

/// What the consumer and the reading jobs share.
struct Shared {
    input: Mutex<Box<dyn DatasetIterator>>,
    tx: Sender<Chunk>,
    /// Chunks the reader may still produce before the consumer takes one.
    credits: AtomicUsize,
    /// A reading job is queued or running.
    scheduled: AtomicBool,
    /// The input's states can be saved (until one cannot).
    saving: AtomicBool,
    stop: AtomicBool,
    ctx: Arc<Context>,
}

impl Shared {
    fn schedule(self: &Arc<Self>) {
        if !self.scheduled.swap(true, Ordering::SeqCst) {
            let shared = self.clone();
            runtime().spawn_blocking(move || {
                IN_READING_JOB.with(|f| f.set(true));
                shared.read();
                IN_READING_JOB.with(|f| f.set(false));
            });
        }
    }

    fn take_credit(&self) -> bool {
        self.credits
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |c| c.checked_sub(1))
            .is_ok()
    }

    /// Produces chunks while there is credit, then ends the job (or keeps it, if credit came
    /// in meanwhile).
    fn read(self: Arc<Self>) {
        loop {
            while self.take_credit() {
                if self.stop.load(Ordering::Acquire) {
                    return;
                }
                let (chunk, ended, stopping, before) = self.produce();
                if self.tx.send((chunk, ended, before)).is_err() || ended || stopping {
                    return;
                }
            }
            // Both sides use read-modify-writes on `scheduled`, so a credit added after the
            // loop above ended is seen here, or its adder sees `false` and schedules a job.
            self.scheduled.swap(false, Ordering::SeqCst);
            if self.credits.load(Ordering::SeqCst) == 0
                || self.scheduled.swap(true, Ordering::SeqCst)
            {
                return;
            }
        }
    }

    fn produce(&self) -> (Vec<Result<Element>>, bool, bool, Option<Result<State>>) {
        let mut input = self.input.lock().unwrap_or_else(|p| p.into_inner());
        let before = self.saving.load(Ordering::Relaxed).then(|| input.save());
        if matches!(before, Some(Err(_))) {
            self.saving.store(false, Ordering::Relaxed);
        }
        let (mut chunk, started) = (Vec::new(), Instant::now());
        while chunk.len() < CHUNK {
            let next =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| input.next(&self.ctx)))
                    .unwrap_or_else(|_| {
                        Err(Error::Internal("an interleave input panicked".into()))
                    });
            match next {
                Ok(Some(element)) => chunk.push(Ok(element)),
                Ok(None) => return (chunk, true, false, before),
                Err(e) => {
                    let stopping = matches!(e, Error::Cancelled | Error::Interrupted(_));
                    chunk.push(Err(e));
                    return (chunk, false, stopping, before);
                }
            }
            if started.elapsed() >= CHUNK_LATENCY {
                break;
            }
        }
        (chunk, false, false, before)
    }
}

pub(crate) struct ChunkedPrefetch {
    shared: Arc<Shared>,
    rx: Receiver<Chunk>,
    ready: VecDeque<Result<Element>>,
    /// The input's state before each chunk in `ready`, the chunk's length, and how many of
    /// its elements were taken (only the first chunk's can be more than 0).
    chunk_states: VecDeque<(Option<Result<State>>, usize, usize)>,
    /// The state before the chunk elements were last taken from, and how many were taken.
    taken: (Option<Result<State>>, usize),
    finished: bool,
}

impl ChunkedPrefetch {
    /// Starts reading `input`, at most `chunks` chunks ahead of the consumer.
    pub(crate) fn start(
        input: Box<dyn DatasetIterator>,
        chunks: usize,
        ctx: Arc<Context>,
    ) -> Result<Self> {
        let (tx, rx) = unbounded::<Chunk>();
        let start = input.save();
        let shared = Arc::new(Shared {
            saving: AtomicBool::new(start.is_ok()),
            input: Mutex::new(input),
            tx,
            credits: AtomicUsize::new(chunks.max(1)),
            scheduled: AtomicBool::new(false),
            stop: AtomicBool::new(false),
            ctx,
        });
        shared.schedule();
        Ok(ChunkedPrefetch {
            shared,
            rx,
            ready: VecDeque::new(),
            chunk_states: VecDeque::new(),
            taken: (Some(start), 0),
            finished: false,
        })
    }

    fn accept(&mut self, (chunk, ended, before): Chunk) {
        if !chunk.is_empty() {
            self.chunk_states.push_back((before, chunk.len(), 0));
        }
        self.ready.extend(chunk);
        self.finished |= ended;
        if !ended {
            self.shared.credits.fetch_add(1, Ordering::SeqCst);
            self.shared.schedule();
        }
    }
}

impl ChunkedPrefetch {
    /// The next element received, moving `taken` along.
    fn pop_ready(&mut self) -> Option<Result<Element>> {
        let result = self.ready.pop_front()?;
        let front = self
            .chunk_states
            .front_mut()
            .expect("a chunk for every element");
        if front.2 == 0 {
            self.taken = (front.0.take(), 0);
        }
        front.2 += 1;
        self.taken.1 += 1;
        if front.2 == front.1 {
            self.chunk_states.pop_front();
        }
        Some(result)
    }
}

impl DatasetIterator for ChunkedPrefetch {
    /// `["Chunked", state before the last chunk taken from, elements taken from it]`.
    fn save(&self) -> Result<State> {
        let state = match &self.taken.0 {
            Some(state) => state.clone()?,
            None => {
                return Err(Error::Unimplemented(
                    "the iterator's state cannot be saved: an input of a parallel interleave \
                     cannot save its state"
                        .into(),
                ))
            }
        };
        Ok(State::op(
            "Chunked",
            vec![state, State::count(self.taken.1 as u64)],
        ))
    }

    fn next(&mut self, ctx: &Context) -> Result<Option<Element>> {
        loop {
            if let Some(result) = self.pop_ready() {
                return result.map(Some);
            }
            if self.finished {
                return Ok(None);
            }
            match ctx.recv(&self.rx)? {
                Some(chunk) => self.accept(chunk),
                None => return Err(Error::Internal("an interleave input stopped early".into())),
            }
        }
    }

    fn try_next(&mut self, _ctx: &Context) -> Option<Result<Option<Element>>> {
        loop {
            if let Some(result) = self.pop_ready() {
                return Some(result.map(Some));
            }
            if self.finished {
                return Some(Ok(None));
            }
            match self.rx.try_recv() {
                Ok(chunk) => self.accept(chunk),
                Err(TryRecvError::Empty) => return None,
                Err(TryRecvError::Disconnected) => {
                    return Some(Err(Error::Internal(
                        "an interleave input stopped early".into(),
                    )))
                }
            }
        }
    }
}

/// A running job is told to stop, not waited for: it ends after its current chunk.
impl Drop for ChunkedPrefetch {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Release);
    }
}
