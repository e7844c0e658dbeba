//! The two halves of every operation, as in tf.data: a `DatasetNode` is an immutable
//! description that can be iterated many times; a `DatasetIterator` is one pass over it.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crossbeam_channel::{Receiver, RecvTimeoutError};

use super::budget::{default_ram_budget, RamBudget};
use super::error::{Error, Result};
use super::instrumented::Instrumented;
use super::pool::{spawn_thread, ThreadHooks, WorkerPool};
use super::state::{not_saveable, State};
use super::stats::{StageStats, StatsRegistry};
use super::tensor::{Element, Tensor};

/// How many elements a dataset has, as `tf.data.experimental.cardinality` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cardinality {
    Finite(u64),
    Infinite,
    Unknown,
}

impl Cardinality {
    /// tf.data's encoding: the count, or -1 (INFINITE) / -2 (UNKNOWN).
    pub fn as_i64(self) -> i64 {
        match self {
            Cardinality::Finite(n) => n as i64,
            Cardinality::Infinite => -1,
            Cardinality::Unknown => -2,
        }
    }

    /// Applies `f` to a finite count; infinite and unknown pass through.
    pub fn map(self, f: impl FnOnce(u64) -> u64) -> Cardinality {
        match self {
            Cardinality::Finite(n) => Cardinality::Finite(f(n)),
            other => other,
        }
    }
}

/// An immutable dataset description; `make_iterator` starts one independent pass.
pub trait DatasetNode: Send + Sync {
    /// Starts a pass over this node alone. Operations open their inputs with
    /// `Context::open`, which also instruments them.
    fn make_iterator(&self, ctx: &Arc<Context>) -> Result<Box<dyn DatasetIterator>>;
    fn cardinality(&self) -> Cardinality;

    /// A remark for the stage's statistics (say, that its function runs as Python).
    fn note(&self) -> Option<&str> {
        None
    }

    /// Starts a pass at `state`, saved by `DatasetIterator::save` of a pass over an equal
    /// node. With `replay` the pass only re-produces a few elements a buffer held: stages
    /// that would run ahead on threads run inline instead.
    fn restore(
        &self,
        _ctx: &Arc<Context>,
        _state: &State,
        _replay: bool,
    ) -> Result<Box<dyn DatasetIterator>> {
        Err(not_saveable(self.name()))
    }

    /// The stage's name in statistics: the node type's name without its `Node` suffix.
    fn name(&self) -> &'static str {
        let full = std::any::type_name::<Self>();
        let short = full.rsplit("::").next().unwrap_or(full);
        short.strip_suffix("Node").unwrap_or(short)
    }
}

/// Several consecutive elements stacked along a new first dimension of `rows` entries.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    pub rows: usize,
    pub tensors: Element,
}

impl Batch {
    /// Stacks elements component by component (the semantics of `Dataset.batch`).
    pub fn stack(elements: &[Element]) -> Result<Batch> {
        Batch::ragged(elements, &[])
    }

    /// Like `stack`, but a component flagged in `ragged` becomes two: its rows' values
    /// concatenated, and int64 row splits (the semantics of `Dataset.ragged_batch`).
    pub fn ragged(elements: &[Element], ragged: &[bool]) -> Result<Batch> {
        let rows = elements.len();
        let width = elements.first().map_or(0, |e| e.len());
        let mut tensors = Vec::with_capacity(width);
        let mut column: Vec<Tensor> = Vec::with_capacity(rows);
        for c in 0..width {
            column.clear();
            for e in elements {
                column.push(e.get(c).cloned().ok_or_else(|| {
                    Error::InvalidArgument("cannot batch elements of different structure".into())
                })?);
            }
            let batched = if ragged.get(c) == Some(&true) {
                ragged_rows(&column).map(|(values, splits)| {
                    tensors.push(values);
                    splits
                })
            } else {
                Tensor::stack(&column)
            };
            tensors.push(batched.map_err(|e| match e {
                Error::InvalidArgument(m) => {
                    Error::InvalidArgument(format!("component {c} of the batch: {m}"))
                }
                other => other,
            })?);
        }
        Ok(Batch { rows, tensors })
    }
}

/// Rows of different lengths as their values, concatenated, and int64 row splits.
pub fn ragged_rows(rows: &[Tensor]) -> Result<(Tensor, Tensor)> {
    let mut splits = Vec::with_capacity(rows.len() + 1);
    splits.push(0i64);
    for row in rows {
        splits.push(splits[splits.len() - 1] + row.rows()? as i64);
    }
    let values = Tensor::concat_rows(rows)?;
    let count = splits.len();
    Ok((values, Tensor::from_vec(vec![count], splits)?))
}

/// One pass over a dataset. `next` is pulled by the consumer (the GetNext of tf.data).
pub trait DatasetIterator: Send {
    /// The next element, or `None` at the end.
    fn next(&mut self, ctx: &Context) -> Result<Option<Element>>;

    /// Up to `max` next elements stacked into one batch, or `None` at the end. Sources that
    /// hold columns (ranges, tensor slices, columnar files) override this to slice instead of
    /// stacking element by element.
    fn next_batch(&mut self, ctx: &Context, max: usize) -> Result<Option<Batch>> {
        let (elements, _) = take_up_to(self, ctx, max)?;
        if elements.is_empty() {
            return Ok(None);
        }
        Batch::stack(&elements).map(Some)
    }

    /// Like `next_batch`, with the components flagged in `ragged` batched as ragged rows
    /// (values and row splits, see `Batch::ragged`).
    fn next_ragged_batch(
        &mut self,
        ctx: &Context,
        max: usize,
        ragged: &[bool],
    ) -> Result<Option<Batch>> {
        if !ragged.contains(&true) {
            return self.next_batch(ctx, max);
        }
        let (elements, _) = take_up_to(self, ctx, max)?;
        if elements.is_empty() {
            return Ok(None);
        }
        Batch::ragged(&elements, ragged).map(Some)
    }

    /// The next element if it can be had without waiting; `None` when it cannot (or when the
    /// iterator cannot tell), in which case `next` must be called. Asynchronous stages
    /// override it so a non-deterministic consumer can take whatever is ready.
    fn try_next(&mut self, _ctx: &Context) -> Option<Result<Option<Element>>> {
        None
    }

    /// Receives this stage's statistics entry; asynchronous stages record waits and buffer
    /// occupancy in it.
    fn set_stats(&mut self, _stats: Arc<StageStats>) {}

    /// Discards up to `n` elements and says how many were there.
    fn skip(&mut self, ctx: &Context, n: u64) -> Result<u64> {
        for done in 0..n {
            if self.next(ctx)?.is_none() {
                return Ok(done);
            }
        }
        Ok(n)
    }

    /// Like `skip`, but an operation may pass over elements without making them where that
    /// cannot change what comes after (a map does not call its function). Restoring a state
    /// uses it to get back to the few elements a buffer held.
    fn pass_over(&mut self, ctx: &Context, n: u64) -> Result<u64> {
        self.skip(ctx, n)
    }

    /// This pass's position after the last element it gave, for `DatasetNode::restore` to go
    /// on from there.
    fn save(&self) -> Result<State> {
        Err(Error::Unimplemented(NOT_SAVEABLE.into()))
    }
}

/// The message of the default `save`, which `Instrumented` replaces with the stage's name.
pub(crate) const NOT_SAVEABLE: &str = "not saveable";

/// The state of an input that may have ended (`None`), for `Context::restore_maybe`.
pub fn save_maybe(input: &Option<Box<dyn DatasetIterator>>) -> Result<State> {
    Ok(State::maybe(input.as_ref().map(|i| i.save()).transpose()?))
}

/// Up to `n` next elements of `input`, and whether it ended before giving `n`.
pub fn take_up_to<I: DatasetIterator + ?Sized>(
    input: &mut I,
    ctx: &Context,
    n: usize,
) -> Result<(Vec<Element>, bool)> {
    let mut elements = Vec::with_capacity(n.min(4096));
    while elements.len() < n {
        match input.next(ctx)? {
            Some(e) => elements.push(e),
            None => return Ok((elements, true)),
        }
    }
    Ok((elements, false))
}

/// A function from one element to another (the body of `map`, a predicate of `filter`).
pub trait ElementFn: Send + Sync {
    fn call(&self, input: Element) -> Result<Element>;

    /// Calls the function for the element at `position` of a pass; functions with random
    /// operations derive their randomness from it, so results do not depend on which worker
    /// thread runs which element.
    fn call_at(&self, input: Element, _position: Position) -> Result<Element> {
        self.call(input)
    }

    /// Calls the function for a run of elements, each at its position, in order. A function
    /// with a fixed cost per entry (taking an interpreter's lock) pays it once per run here.
    fn call_many(&self, inputs: Vec<(Element, Position)>) -> Vec<Result<Element>> {
        inputs
            .into_iter()
            .map(|(input, at)| self.call_at(input, at))
            .collect()
    }

    /// The work one `call_many` should carry, for a function whose fixed cost per entry is
    /// far above taking a lock (a message to another process and back); `None`: the
    /// parallel stage's default, sized for a lock.
    fn work_per_call(&self) -> Option<Duration> {
        None
    }
}

/// Where an element stands: the how-manieth pass over its dataset, and its index in it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Position {
    pub pass: u64,
    pub index: u64,
}

impl<F> ElementFn for F
where
    F: Fn(Element) -> Result<Element> + Send + Sync,
{
    fn call(&self, input: Element) -> Result<Element> {
        self(input)
    }
}

/// A function from one element to a dataset (the body of `flat_map` and `interleave`).
pub trait DatasetFn: Send + Sync {
    fn call(&self, input: Element) -> Result<Arc<dyn DatasetNode>>;
}

impl<F> DatasetFn for F
where
    F: Fn(Element) -> Result<Arc<dyn DatasetNode>> + Send + Sync,
{
    fn call(&self, input: Element) -> Result<Arc<dyn DatasetNode>> {
        self(input)
    }
}

/// A hook that turns a pending interrupt (Ctrl-C) into an error, polled by blocking waits.
pub type InterruptCheck = Box<dyn Fn() -> Result<()> + Send + Sync>;

/// What one iterator tree shares: cancellation, and how to notice an interrupt while waiting.
pub struct Context {
    cancelled: AtomicBool,
    interrupt: Option<InterruptCheck>,
    skipped_errors: Mutex<Vec<String>>,
    options: PipelineOptions,
    pool: WorkerPool,
    ram: Arc<RamBudget>,
    stats: Arc<StatsRegistry>,
    thread_hooks: Option<ThreadHooks>,
}

/// The settings of `Options` that the engine reads while running a pipeline.
#[derive(Debug, Clone, PartialEq)]
pub struct PipelineOptions {
    /// Threads the pipeline's CPU work may use (`autotune.cpu_budget`); 0 means every core.
    pub cpu_budget: usize,
    /// Whether parallel stages keep their input order unless told otherwise.
    pub deterministic: bool,
    /// Bytes autotuned buffers may hold together (`autotune.ram_budget`); 0 means half the
    /// memory.
    pub ram_budget: u64,
    /// Whether to record a timeline of every stage call.
    pub timeline: bool,
    /// A pass that only looks at the first element (to learn the element structure): it
    /// takes no epoch of the datasets' seeds and pass counters, so the passes a program
    /// iterates get the same ones with or without it, before or after a restore.
    pub probe: bool,
}

impl Default for PipelineOptions {
    fn default() -> Self {
        PipelineOptions {
            cpu_budget: 0,
            deterministic: true,
            ram_budget: 0,
            timeline: false,
            probe: false,
        }
    }
}

/// How often a blocked wait wakes to look for an interrupt or cancellation.
pub const POLL_INTERVAL: Duration = Duration::from_millis(50);

impl Default for Context {
    fn default() -> Self {
        Context::new(None)
    }
}

impl Context {
    pub fn new(interrupt: Option<InterruptCheck>) -> Self {
        Context::with_options(interrupt, PipelineOptions::default())
    }

    pub fn with_options(interrupt: Option<InterruptCheck>, options: PipelineOptions) -> Self {
        Context {
            cancelled: AtomicBool::new(false),
            interrupt,
            skipped_errors: Mutex::default(),
            ram: Arc::new(RamBudget::new(match options.ram_budget {
                0 => default_ram_budget(),
                n => n,
            })),
            stats: Arc::new(StatsRegistry::new(options.timeline)),
            options,
            pool: WorkerPool::new(),
            thread_hooks: None,
        }
    }

    /// Sets what every thread of this pass runs first and last.
    pub fn with_thread_hooks(mut self, hooks: ThreadHooks) -> Self {
        self.pool.set_hooks(hooks.clone());
        self.thread_hooks = Some(hooks);
        self
    }

    /// Starts a thread of this pass (the thread hooks run around `body`).
    pub fn spawn(&self, name: &str, body: impl FnOnce() + Send + 'static) -> Result<()> {
        spawn_thread(name, self.thread_hooks.clone(), body)
            .map_err(|e| Error::ResourceExhausted(format!("cannot start a thread: {e}")))
    }

    /// Opens `node` as a stage of this pass: its iterator, instrumented for statistics.
    pub fn open(self: &Arc<Self>, node: &Arc<dyn DatasetNode>) -> Result<Box<dyn DatasetIterator>> {
        self.instrumented(node, || node.make_iterator(self))
    }

    /// The iterator `start` makes for `node`, as a stage of this pass.
    fn instrumented(
        &self,
        node: &Arc<dyn DatasetNode>,
        start: impl FnOnce() -> Result<Box<dyn DatasetIterator>>,
    ) -> Result<Box<dyn DatasetIterator>> {
        let stats = self.stats.stage(node.name());
        if let Some(note) = node.note() {
            stats.note(note);
        }
        let mut inner = self.stats.measure(&stats, start)?;
        inner.set_stats(stats.clone());
        Ok(Box::new(Instrumented::new(
            inner,
            stats,
            self.stats.clone(),
            node.name(),
        )))
    }

    /// Opens `node` at a saved `state` (see `DatasetNode::restore`), instrumented as `open`.
    pub fn restore(
        self: &Arc<Self>,
        node: &Arc<dyn DatasetNode>,
        state: &State,
        replay: bool,
    ) -> Result<Box<dyn DatasetIterator>> {
        self.instrumented(node, || node.restore(self, state, replay))
    }

    /// `restore` for an input saved by `save_maybe`: `None` where it had ended.
    pub fn restore_maybe(
        self: &Arc<Self>,
        node: &Arc<dyn DatasetNode>,
        state: Option<&State>,
        replay: bool,
    ) -> Result<Option<Box<dyn DatasetIterator>>> {
        state.map(|s| self.restore(node, s, replay)).transpose()
    }

    /// The statistics of this pass.
    pub fn stats(&self) -> &Arc<StatsRegistry> {
        &self.stats
    }

    /// The memory autotuned buffers of this pipeline share.
    pub fn ram_budget(&self) -> Arc<RamBudget> {
        self.ram.clone()
    }

    /// The worker pool the pipeline's parallel stages share.
    pub fn pool(&self) -> &WorkerPool {
        &self.pool
    }

    /// Whether this pass only probes the first element (see `PipelineOptions::probe`).
    pub fn probing(&self) -> bool {
        self.options.probe
    }

    /// How many threads of CPU work the pipeline may use.
    pub fn cpu_budget(&self) -> usize {
        match self.options.cpu_budget {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        }
    }

    /// Whether parallel stages keep input order by default.
    pub fn deterministic(&self) -> bool {
        self.options.deterministic
    }

    /// Notes an error that `ignore_errors` skipped.
    pub fn record_skipped_error(&self, message: String) {
        self.skipped_errors
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(message);
    }

    /// The errors skipped so far in this pass, oldest first.
    pub fn skipped_errors(&self) -> Vec<String> {
        self.skipped_errors
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Stops the pass: blocked waits return `Cancelled` and the worker pool winds down.
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::Release);
        self.pool.shutdown();
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Acquire)
    }

    /// Fails with the pending interrupt or with `Cancelled`; blocking loops call this.
    pub fn check(&self) -> Result<()> {
        if self.is_cancelled() {
            return Err(Error::Cancelled);
        }
        match &self.interrupt {
            Some(check) => check(),
            None => Ok(()),
        }
    }

    /// Receives from `rx`, waking every `POLL_INTERVAL` to honour interrupts and cancellation.
    /// `None` means the sender is gone.
    pub fn recv<T>(&self, rx: &Receiver<T>) -> Result<Option<T>> {
        loop {
            match rx.recv_timeout(POLL_INTERVAL) {
                Ok(v) => return Ok(Some(v)),
                Err(RecvTimeoutError::Disconnected) => return Ok(None),
                Err(RecvTimeoutError::Timeout) => self.check()?,
            }
        }
    }
}
