//! `Dataset.prefetch(buffer_size)`: runs the input on a background thread, up to
//! `buffer_size` elements ahead of the consumer, behind a bounded channel.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crossbeam_channel::{bounded, Receiver};

use crate::engine::{Cardinality, Context, DatasetIterator, DatasetNode, Element, Error, Result};

pub struct PrefetchNode {
    input: Arc<dyn DatasetNode>,
    buffer_size: usize,
}

impl PrefetchNode {
    pub fn new(input: Arc<dyn DatasetNode>, buffer_size: usize) -> Self {
        PrefetchNode {
            input,
            buffer_size: buffer_size.max(1),
        }
    }
}

impl DatasetNode for PrefetchNode {
    fn make_iterator(&self, ctx: &Arc<Context>) -> Result<Box<dyn DatasetIterator>> {
        let input = self.input.make_iterator(ctx)?;
        Ok(Box::new(PrefetchIterator::start(
            input,
            self.buffer_size,
            ctx.clone(),
        )?))
    }

    fn cardinality(&self) -> Cardinality {
        self.input.cardinality()
    }
}

/// What the worker sends: an element, an error, or the end.
type Item = Result<Option<Element>>;

/// Runs an iterator on its own thread, up to `capacity` elements ahead.
pub(crate) struct PrefetchIterator {
    rx: Option<Receiver<Item>>,
    stop: Arc<AtomicBool>,
    finished: bool,
}

impl PrefetchIterator {
    pub(crate) fn start(
        mut input: Box<dyn DatasetIterator>,
        capacity: usize,
        ctx: Arc<Context>,
    ) -> Result<Self> {
        let (tx, rx) = bounded::<Item>(capacity);
        let stop = Arc::new(AtomicBool::new(false));
        let stop_flag = stop.clone();
        std::thread::Builder::new()
            .name("ferroflow-prefetch".into())
            .spawn(move || {
                while !stop_flag.load(Ordering::Acquire) {
                    let item =
                        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| input.next(&ctx)))
                            .unwrap_or_else(|_| {
                                Err(Error::Internal("a prefetch worker panicked".into()))
                            });
                    let last = !matches!(item, Ok(Some(_)));
                    if tx.send(item).is_err() || last {
                        break;
                    }
                }
            })
            .map_err(|e| {
                Error::ResourceExhausted(format!("cannot start a prefetch thread: {e}"))
            })?;
        Ok(PrefetchIterator {
            rx: Some(rx),
            stop,
            finished: false,
        })
    }
}

impl DatasetIterator for PrefetchIterator {
    fn next(&mut self, ctx: &Context) -> Result<Option<Element>> {
        if self.finished {
            return Ok(None);
        }
        let rx = self.rx.as_ref().expect("receiver lives until drop");
        let item = ctx.recv(rx)?.unwrap_or_else(|| {
            Err(Error::Internal(
                "the prefetch worker stopped without finishing".into(),
            ))
        });
        if !matches!(item, Ok(Some(_))) {
            self.finished = true;
        }
        item
    }
}

/// The worker is told to stop but not joined: it may be inside a slow user function, and the
/// consumer (perhaps handling Ctrl-C) must not wait for that. It exits after its current
/// element, dropping its input (and any workers under it) on its own thread.
impl Drop for PrefetchIterator {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        // Disconnecting wakes a worker blocked on a full channel.
        drop(self.rx.take());
    }
}
