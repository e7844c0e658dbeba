//! The one asynchronous stage behind prefetch, parallel map and parallel batch. A dispatcher
//! thread pulls the input; each unit it produces is either ready (prefetch) or work to run on
//! the pipeline's worker pool (a map call, a batch assembly). A token budget bounds how many
//! units are in flight or buffered; the consumer takes results in input order
//! (deterministic) or as they finish, and gives the token back.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use crossbeam_channel::{unbounded, Receiver};

use crate::engine::budget::TokenBudget;
use crate::engine::stats::{StageStats, StatsRegistry};
use crate::engine::{Context, DatasetIterator, Element, Error, Result};

/// Work for the pool: computes one output element.
pub(crate) type Work = Box<dyn FnOnce() -> Result<Element> + Send>;

pub(crate) enum Unit {
    Ready(Element),
    Work(Work),
}

/// What the dispatcher pulls from the input.
pub(crate) trait UnitSource: Send {
    fn next_unit(&mut self, ctx: &Context) -> Result<Option<Unit>>;
}

/// How many units may be in flight: a fixed number, or autotuned up to a maximum.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Budget {
    pub initial: usize,
    pub max: usize,
    pub autotune: bool,
}

/// Runs one unit of work on a pool thread; its time is the stage's own busy time.
fn run_work(
    work: Work,
    registry: &StatsRegistry,
    stats: Option<&Arc<StageStats>>,
) -> Result<Element> {
    let run = || {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(work))
            .unwrap_or_else(|_| Err(Error::Internal("a pipeline function panicked".into())))
    };
    match stats {
        Some(stats) => registry.measure_work(stats, run),
        None => run(),
    }
}

/// A unit's input position and its result; `Ok(None)` marks the end of the input there.
type Outcome = (u64, Result<Option<Element>>);

pub(crate) struct ParallelStage {
    results: Receiver<Outcome>,
    budget: TokenBudget,
    ready: BTreeMap<u64, Result<Element>>,
    next_seq: u64,
    delivered: u64,
    end_seq: Option<u64>,
    deterministic: bool,
    stop: Arc<AtomicBool>,
    last_bytes: u64,
    /// Shared with the dispatcher, which records its waits for tokens there.
    stats: Arc<OnceLock<Arc<StageStats>>>,
}

impl ParallelStage {
    pub(crate) fn start(
        mut source: Box<dyn UnitSource>,
        budget: Budget,
        deterministic: bool,
        ctx: Arc<Context>,
    ) -> Result<Self> {
        let (results_tx, results) = unbounded::<Outcome>();
        let (budget, token_rx) = TokenBudget::new(
            budget.initial,
            budget.max,
            budget.autotune,
            ctx.ram_budget(),
        );
        let stop = Arc::new(AtomicBool::new(false));
        let stop_flag = stop.clone();
        let stats: Arc<OnceLock<Arc<StageStats>>> = Arc::default();
        let dispatcher_stats = stats.clone();
        let thread_ctx = ctx.clone();
        thread_ctx.spawn("ferroflow-stage", move || {
            let mut seq = 0u64;
            loop {
                let waited = Instant::now();
                if ctx.recv(token_rx.channel()).ok().flatten().is_none() {
                    return;
                }
                if let Some(stats) = dispatcher_stats.get() {
                    stats.add_consumer_wait(waited.elapsed().as_nanos() as u64);
                }
                if stop_flag.load(Ordering::Acquire) {
                    return;
                }
                let unit = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    source.next_unit(&ctx)
                }))
                .unwrap_or_else(|_| Err(Error::Internal("a pipeline stage panicked".into())));
                match unit {
                    Ok(Some(Unit::Ready(element))) => {
                        let _ = results_tx.send((seq, Ok(Some(element))));
                    }
                    Ok(Some(Unit::Work(work))) => {
                        let (tx, at) = (results_tx.clone(), seq);
                        let (registry, stats) = (ctx.stats().clone(), dispatcher_stats.clone());
                        ctx.pool().execute(move || {
                            let result = run_work(work, &registry, stats.get());
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
        })?;
        Ok(ParallelStage {
            results,
            budget,
            ready: BTreeMap::new(),
            next_seq: 0,
            delivered: 0,
            end_seq: None,
            deterministic,
            stop,
            last_bytes: 0,
            stats,
        })
    }

    /// The next result that may be handed out now, in the order this stage promises.
    fn take_ready(&mut self) -> Option<Result<Element>> {
        let result = if self.deterministic {
            let r = self.ready.remove(&self.next_seq)?;
            self.next_seq += 1;
            r
        } else {
            self.ready.pop_first()?.1
        };
        self.delivered += 1;
        if let Ok(element) = &result {
            self.last_bytes = crate::engine::tensor::element_bytes(element);
        }
        self.budget.give_back(self.last_bytes);
        if let Some(stats) = self.stats.get() {
            stats.set_buffer(self.ready.len() + self.results.len(), self.budget.granted());
        }
        Some(result)
    }
}

impl ParallelStage {
    fn accept(&mut self, outcome: Outcome) {
        match outcome {
            (seq, Ok(None)) => self.end_seq = Some(seq),
            (seq, Ok(Some(element))) => {
                self.ready.insert(seq, Ok(element));
            }
            (seq, Err(e)) => {
                self.ready.insert(seq, Err(e));
            }
        }
    }
}

impl DatasetIterator for ParallelStage {
    fn try_next(&mut self, _ctx: &Context) -> Option<Result<Option<Element>>> {
        while let Ok(outcome) = self.results.try_recv() {
            self.accept(outcome);
        }
        if let Some(result) = self.take_ready() {
            return Some(result.map(Some));
        }
        (self.end_seq == Some(self.delivered)).then_some(Ok(None))
    }

    fn set_stats(&mut self, stats: Arc<StageStats>) {
        stats.mark_asynchronous();
        stats.set_buffer(0, self.budget.granted());
        let _ = self.stats.set(stats);
    }

    fn next(&mut self, ctx: &Context) -> Result<Option<Element>> {
        loop {
            if let Some(result) = self.take_ready() {
                return result.map(Some);
            }
            if self.end_seq == Some(self.delivered) {
                return Ok(None);
            }
            self.budget.consumer_waiting(true);
            let (received, waited_ns) = StatsRegistry::waiting(|| ctx.recv(&self.results));
            self.budget.consumer_waiting(false);
            if let Some(stats) = self.stats.get() {
                stats.add_input_wait(waited_ns);
                stats.set_buffer(self.ready.len() + self.results.len(), self.budget.granted());
            }
            match received? {
                Some(outcome) => self.accept(outcome),
                None => return Err(Error::Internal("a pipeline stage stopped early".into())),
            }
        }
    }
}

/// The dispatcher is told to stop, not joined: it may be inside a slow user function, and the
/// consumer (perhaps handling Ctrl-C) must not wait for that. It exits after its current unit,
/// dropping its input (and any stages under it) on its own thread.
impl Drop for ParallelStage {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        // Wakes a dispatcher waiting for a token, so it sees `stop` and exits now rather
        // than when the whole pass ends.
        self.budget.give_back(self.last_bytes);
    }
}
