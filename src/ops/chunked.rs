//! Runs one input of a parallel interleave on its own thread and hands its elements over in
//! chunks: a fast input (records of a file) pays for one channel message per chunk instead of
//! one per element, while a slow input (an element every few milliseconds) still sends each
//! element as soon as it is made.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::{bounded, Receiver, TryRecvError};

use crate::engine::{Context, DatasetIterator, Element, Error, Result};

/// Elements per chunk at most.
const CHUNK: usize = 32;
/// A chunk is sent once its first element is this old, full or not.
const CHUNK_LATENCY: Duration = Duration::from_millis(1);

/// A chunk of results and whether the input ended after them.
type Chunk = (Vec<Result<Element>>, bool);

pub(crate) struct ChunkedPrefetch {
    rx: Receiver<Chunk>,
    ready: VecDeque<Result<Element>>,
    finished: bool,
    stop: Arc<AtomicBool>,
}

impl ChunkedPrefetch {
    /// Starts `input` on a thread, at most `chunks` chunks ahead of the consumer.
    pub(crate) fn start(
        mut input: Box<dyn DatasetIterator>,
        chunks: usize,
        ctx: Arc<Context>,
    ) -> Result<Self> {
        let (tx, rx) = bounded::<Chunk>(chunks.max(1));
        let stop = Arc::new(AtomicBool::new(false));
        let stop_flag = stop.clone();
        let thread_ctx = ctx.clone();
        thread_ctx.spawn("ferroflow-input", move || {
            while !stop_flag.load(Ordering::Acquire) {
                let (mut chunk, mut ended, mut stopping) = (Vec::new(), false, false);
                let started = Instant::now();
                while chunk.len() < CHUNK && !ended {
                    match input.next(&ctx) {
                        Ok(Some(element)) => chunk.push(Ok(element)),
                        Ok(None) => ended = true,
                        Err(e) => {
                            stopping = matches!(e, Error::Cancelled | Error::Interrupted(_));
                            chunk.push(Err(e));
                            break;
                        }
                    }
                    if started.elapsed() >= CHUNK_LATENCY {
                        break;
                    }
                }
                if tx.send((chunk, ended)).is_err() || ended || stopping {
                    return;
                }
            }
        })?;
        Ok(ChunkedPrefetch {
            rx,
            ready: VecDeque::new(),
            finished: false,
            stop,
        })
    }

    fn accept(&mut self, (chunk, ended): Chunk) {
        self.ready.extend(chunk);
        self.finished |= ended;
    }
}

impl DatasetIterator for ChunkedPrefetch {
    fn next(&mut self, ctx: &Context) -> Result<Option<Element>> {
        loop {
            if let Some(result) = self.ready.pop_front() {
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
            if let Some(result) = self.ready.pop_front() {
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

/// The thread is told to stop, not joined (see `ParallelStage`).
impl Drop for ChunkedPrefetch {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
    }
}
