//! `Dataset.map(fn, num_parallel_calls, deterministic)`: calls run on the pipeline's worker
//! pool. A dispatcher thread pulls the input and hands out calls while fewer than `in_flight`
//! elements are being worked on or waiting to be taken; the consumer takes results in input
//! order (deterministic) or as they finish.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crossbeam_channel::{bounded, unbounded, Receiver, Sender};

use crate::engine::{
    Cardinality, Context, DatasetIterator, DatasetNode, Element, ElementFn, Error, Result,
};

pub struct ParallelMapNode {
    input: Arc<dyn DatasetNode>,
    func: Arc<dyn ElementFn>,
    /// `None` is AUTOTUNE: the pipeline's CPU budget.
    parallelism: Option<usize>,
    /// `None` follows the pipeline's options.
    deterministic: Option<bool>,
}

impl ParallelMapNode {
    pub fn new(
        input: Arc<dyn DatasetNode>,
        func: Arc<dyn ElementFn>,
        parallelism: Option<usize>,
        deterministic: Option<bool>,
    ) -> Result<Self> {
        if parallelism == Some(0) {
            return Err(Error::invalid(
                "num_parallel_calls must be positive or AUTOTUNE",
            ));
        }
        Ok(ParallelMapNode {
            input,
            func,
            parallelism,
            deterministic,
        })
    }
}

impl DatasetNode for ParallelMapNode {
    fn make_iterator(&self, ctx: &Arc<Context>) -> Result<Box<dyn DatasetIterator>> {
        let parallelism = self.parallelism.unwrap_or_else(|| ctx.cpu_budget());
        let deterministic = self.deterministic.unwrap_or_else(|| ctx.deterministic());
        // AUTOTUNE keeps a buffer as deep as its parallelism, as tf.data's parallel map does.
        let in_flight = if self.parallelism.is_none() {
            2 * parallelism
        } else {
            parallelism
        };
        ctx.pool().ensure_threads(parallelism);
        let input = self.input.make_iterator(ctx)?;
        ParallelMapIterator::start(
            input,
            self.func.clone(),
            in_flight,
            deterministic,
            ctx.clone(),
        )
        .map(|it| Box::new(it) as Box<dyn DatasetIterator>)
    }

    fn cardinality(&self) -> Cardinality {
        self.input.cardinality()
    }
}

/// A finished call: its input position and its result; `Ok(None)` marks the end of the input
/// at that position.
type Outcome = (u64, Result<Option<Element>>);

struct ParallelMapIterator {
    results: Receiver<Outcome>,
    /// One token per element the dispatcher may start; returned when an element is taken.
    tokens: Sender<()>,
    ready: BTreeMap<u64, Result<Element>>,
    next_seq: u64,
    delivered: u64,
    end_seq: Option<u64>,
    deterministic: bool,
    stop: Arc<AtomicBool>,
}

impl ParallelMapIterator {
    fn start(
        mut input: Box<dyn DatasetIterator>,
        func: Arc<dyn ElementFn>,
        in_flight: usize,
        deterministic: bool,
        ctx: Arc<Context>,
    ) -> Result<Self> {
        let (results_tx, results) = unbounded::<Outcome>();
        let (tokens, token_rx) = bounded::<()>(in_flight);
        for _ in 0..in_flight {
            let _ = tokens.send(());
        }
        let stop = Arc::new(AtomicBool::new(false));
        let stop_flag = stop.clone();
        std::thread::Builder::new()
            .name("ferroflow-map".into())
            .spawn(move || {
                let mut seq = 0u64;
                while ctx.recv(&token_rx).ok().flatten().is_some() {
                    if stop_flag.load(Ordering::Acquire) {
                        return;
                    }
                    match input.next(&ctx) {
                        Ok(Some(element)) => {
                            let (func, tx) = (func.clone(), results_tx.clone());
                            let at = seq;
                            ctx.pool().execute(move || {
                                let call = std::panic::AssertUnwindSafe(|| func.call(element));
                                let result = std::panic::catch_unwind(call).unwrap_or_else(|_| {
                                    Err(Error::Internal("a map function panicked".into()))
                                });
                                let _ = tx.send((at, result.map(Some)));
                            });
                        }
                        Ok(None) => {
                            let _ = results_tx.send((seq, Ok(None)));
                            return;
                        }
                        Err(e) => {
                            let stopping = matches!(e, Error::Cancelled | Error::Interrupted(_));
                            if results_tx.send((seq, Err(e))).is_err() || stopping {
                                return;
                            }
                        }
                    }
                    seq += 1;
                }
            })
            .map_err(|e| Error::ResourceExhausted(format!("cannot start a map thread: {e}")))?;
        Ok(ParallelMapIterator {
            results,
            tokens,
            ready: BTreeMap::new(),
            next_seq: 0,
            delivered: 0,
            end_seq: None,
            deterministic,
            stop,
        })
    }

    /// The next result that may be handed out now, in the order this iterator promises.
    fn take_ready(&mut self) -> Option<Result<Element>> {
        let result = if self.deterministic {
            let r = self.ready.remove(&self.next_seq)?;
            self.next_seq += 1;
            r
        } else {
            self.ready.pop_first()?.1
        };
        self.delivered += 1;
        let _ = self.tokens.send(());
        Some(result)
    }
}

impl DatasetIterator for ParallelMapIterator {
    fn next(&mut self, ctx: &Context) -> Result<Option<Element>> {
        loop {
            if let Some(result) = self.take_ready() {
                return result.map(Some);
            }
            if self.end_seq == Some(self.delivered) {
                return Ok(None);
            }
            match ctx.recv(&self.results)? {
                Some((seq, Ok(None))) => self.end_seq = Some(seq),
                Some((seq, Ok(Some(element)))) => {
                    self.ready.insert(seq, Ok(element));
                }
                Some((seq, Err(e))) => {
                    self.ready.insert(seq, Err(e));
                }
                None => return Err(Error::Internal("the map dispatcher stopped early".into())),
            }
        }
    }
}

impl Drop for ParallelMapIterator {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
    }
}
