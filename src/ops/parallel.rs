//! The one asynchronous stage behind prefetch, parallel map and parallel batch. A dispatcher
//! thread pulls the input; each unit it produces is either ready (prefetch) or work to run on
//! the pipeline's worker pool (a map call, a batch assembly). A token budget bounds how many
//! units are in flight or buffered; the consumer takes results in input order
//! (deterministic) or as they finish, and gives the token back.
//!
//! Cheap units go to the pool in chunks: the dispatcher keeps pulling while tokens are at
//! hand, up to about `CHUNK_NS` of measured work, so a unit of a microsecond pays for one
//! job, one result message and one wake-up per chunk instead of each; calls of one function
//! in a chunk enter it once (`ElementFn::call_many`), so a Python function takes the GIL
//! once per chunk.
//!
//! The dispatcher saves its source's state after each unit and sends it with the unit's
//! result, so the stage's own state is its source's after the units the consumer took:
//! in input order that is the last one's; out of order, the state after the longest run
//! of taken units from the start, with the units taken beyond it, to be passed over when
//! restored.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use crossbeam_channel::{unbounded, Receiver, RecvTimeoutError, Sender};

use crate::engine::budget::{TokenBudget, TokenWait};
use crate::engine::stats::{StageStats, StatsRegistry};
use crate::engine::{Context, DatasetIterator, Element, ElementFn, Error, Position, Result, State};

/// Work for the pool: computes one output element.
pub(crate) type Work = Box<dyn FnOnce() -> Result<Element> + Send>;

pub(crate) enum Unit {
    Ready(Element),
    Work(Work),
    /// A call of an element function for the element at a position.
    Call(Arc<dyn ElementFn>, Element, Position),
}

/// Measured work a chunk of cheap units adds up to before it goes to the pool.
const CHUNK_NS: u64 = 50_000;
/// Units in one chunk at most.
const MAX_CHUNK: usize = 64;
/// A chunk goes to the pool once pulling its units from the input took this long, full or
/// not: a slow input's units are not held back waiting for more.
const CHUNK_PULL_LIMIT: Duration = Duration::from_micros(200);
/// How often a chunk waiting for tokens looks again whether the pool ran out of work.
const CHUNK_WAIT: Duration = Duration::from_micros(200);

/// What a unit of a stage costs on the pool, in nanoseconds (a moving average; 0: unknown),
/// and the work a chunk of them should add up to (0: `CHUNK_NS`).
#[derive(Debug, Default)]
pub(crate) struct UnitCost {
    each_ns: AtomicU64,
    chunk_ns: AtomicU64,
}

impl UnitCost {
    fn record(&self, took: Duration, units: usize) {
        let each = (took.as_nanos() as u64 / units.max(1) as u64).max(1);
        let _ = self
            .each_ns
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |old| {
                Some(if old == 0 { each } else { (3 * old + each) / 4 })
            });
    }

    /// Units per chunk: as many as make up a chunk's work, one while the cost is unknown.
    fn chunk(&self) -> usize {
        let work = match self.chunk_ns.load(Ordering::Relaxed) {
            0 => CHUNK_NS,
            ns => ns,
        };
        match self.each_ns.load(Ordering::Relaxed) {
            0 => 1,
            ns => (work / ns).clamp(1, MAX_CHUNK as u64) as usize,
        }
    }

    /// Chunks of the stage carry `work` each, as its source asks.
    fn aim(&self, work: Duration) {
        self.chunk_ns
            .store((work.as_nanos() as u64).max(1), Ordering::Relaxed);
    }
}

/// What the dispatcher pulls from the input.
pub(crate) trait UnitSource: Send {
    fn next_unit(&mut self, ctx: &Context) -> Result<Option<Unit>>;

    /// The source's position after the units it gave.
    fn save(&self) -> Result<State>;

    /// The work a chunk of its units should carry, where each call of its function costs
    /// far more than taking a lock (a message to another process and back); `None`:
    /// `CHUNK_NS`. Such a stage's budget counts calls, each granted a chunk of units.
    fn work_per_chunk(&self) -> Option<Duration> {
        None
    }
}

/// How many units may be in flight: a fixed number, or autotuned up to a maximum (starting
/// from what `learned` holds of an earlier pass, which this pass updates when it ends).
#[derive(Debug, Clone)]
pub(crate) struct Budget {
    pub initial: usize,
    pub max: usize,
    /// The tokens an autotuned budget grants before its first growth; None: a fixed budget.
    pub autotune_from: Option<usize>,
    pub learned: Option<Arc<Learned>>,
}

/// What the passes of a stage so far learned: the most its budget grew to (where the next
/// pass over the same dataset starts growing to if it is autotuned, instead of doubling up
/// from one again; 0: nothing yet), and what its units cost (so the next pass chunks from
/// the start).
#[derive(Debug, Default)]
pub(crate) struct Learned {
    granted: AtomicUsize,
    cost: Arc<UnitCost>,
}

impl Learned {
    /// An autotuned budget for a stage of this node, up to `max`.
    pub(crate) fn budget(self: &Arc<Self>, max: usize) -> Budget {
        Budget {
            initial: self.granted.load(Ordering::Relaxed).clamp(1, max.max(1)),
            max,
            autotune_from: Some(1),
            learned: Some(self.clone()),
        }
    }

    /// An autotuned budget for a stage running units on `threads` pool threads, up to
    /// `max`: it starts with a unit per thread, the estimate a first pass has, and the first
    /// growth goes to what an earlier pass reached (or doubles).
    pub(crate) fn parallel_budget(self: &Arc<Self>, max: usize, threads: usize) -> Budget {
        Budget {
            autotune_from: Some(threads.clamp(1, max.max(1))),
            ..self.budget(max)
        }
    }

    /// Keeps the largest budget a pass reached: a pass cut short (a peek at the first
    /// element) grows little and says nothing about what the stage needs.
    fn record(&self, granted: usize) {
        self.granted.fetch_max(granted, Ordering::Relaxed);
    }
}

/// Runs work on a pool thread, a panic becoming `panicked`'s error; its time is the stage's
/// own busy time.
fn run_work<T>(
    work: impl FnOnce() -> T,
    panicked: impl FnOnce() -> T,
    registry: &StatsRegistry,
    stats: Option<&Arc<StageStats>>,
) -> T {
    let run = || {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)).unwrap_or_else(|_| panicked())
    };
    match stats {
        Some(stats) => registry.measure_work(stats, run),
        None => run(),
    }
}

fn panic_error() -> Error {
    Error::Internal("a pipeline function panicked".into())
}

/// A unit's input position, its result (`Ok(None)` marks the end of the input there), and
/// the source's state after it (`None` once a state could not be saved).
type Outcome = (u64, Result<Option<Element>>, Option<Result<State>>);

/// What the consumer receives: a unit's outcome, or a chunk's.
enum Delivery {
    One(Outcome),
    Chunk(Vec<Outcome>),
}

/// A unit waiting in a chunk for the pool.
enum Job {
    Work(Work),
    Call(Arc<dyn ElementFn>, Element, Position),
}

/// A unit's input position, its job, and the source's state after it.
type Pending = (u64, Job, Option<Result<State>>);

/// Runs a chunk's jobs in input order; each run of calls of one function goes to it at once.
fn run_chunk(
    chunk: Vec<Pending>,
    registry: &StatsRegistry,
    stats: Option<&Arc<StageStats>>,
) -> Vec<Outcome> {
    let mut outcomes = Vec::with_capacity(chunk.len());
    let mut jobs = chunk.into_iter().peekable();
    while let Some((seq, job, state)) = jobs.next() {
        let (func, element, at) = match job {
            Job::Work(work) => {
                let result = run_work(work, || Err(panic_error()), registry, stats);
                outcomes.push((seq, result.map(Some), state));
                continue;
            }
            Job::Call(func, element, at) => (func, element, at),
        };
        // Outcomes of the run's calls are pushed as placeholders and filled in after.
        outcomes.push((seq, Ok(None), state));
        let mut inputs = vec![(element, at)];
        while let Some((_, Job::Call(next, ..), _)) = jobs.peek() {
            if !Arc::ptr_eq(next, &func) {
                break;
            }
            let Some((seq, Job::Call(_, element, at), state)) = jobs.next() else {
                unreachable!("peeked a call");
            };
            outcomes.push((seq, Ok(None), state));
            inputs.push((element, at));
        }
        let n = inputs.len();
        let results = run_work(
            || func.call_many(inputs),
            || vec![Err(panic_error()); n],
            registry,
            stats,
        );
        let first = outcomes.len() - n;
        for (outcome, result) in outcomes[first..].iter_mut().zip(results) {
            outcome.1 = result.map(Some);
        }
    }
    outcomes
}

/// The units the dispatcher pulled for one job on the pool.
struct ChunkBuilder {
    pending: Vec<Pending>,
    /// This stage's chunks sent to the pool and not finished.
    in_flight: Arc<AtomicUsize>,
    /// Units this chunk may take: from the cost measured when its first unit came.
    target: usize,
    pulling: Duration,
}

impl ChunkBuilder {
    fn new() -> Self {
        ChunkBuilder {
            pending: Vec::new(),
            in_flight: Arc::default(),
            target: 1,
            pulling: Duration::ZERO,
        }
    }

    fn push(
        &mut self,
        seq: u64,
        job: Job,
        state: Option<Result<State>>,
        pulled: Duration,
        cost: &UnitCost,
    ) {
        if self.pending.is_empty() {
            self.target = cost.chunk();
            self.pulling = Duration::ZERO;
        }
        self.pulling += pulled;
        self.pending.push((seq, job, state));
    }

    /// Room for another unit pulled at once.
    fn open(&self) -> bool {
        !self.pending.is_empty()
            && self.pending.len() < self.target
            && self.pulling < CHUNK_PULL_LIMIT
    }

    /// Sends the pending units to the pool as one job.
    fn flush(
        &mut self,
        ctx: &Context,
        tx: &Sender<Delivery>,
        cost: &Arc<UnitCost>,
        stats: &Arc<OnceLock<Arc<StageStats>>>,
    ) {
        if self.pending.is_empty() {
            return;
        }
        let chunk = std::mem::take(&mut self.pending);
        let (tx, cost, registry, stats) =
            (tx.clone(), cost.clone(), ctx.stats().clone(), stats.clone());
        let in_flight = self.in_flight.clone();
        in_flight.fetch_add(1, Ordering::AcqRel);
        ctx.pool().execute(move || {
            let (started, units) = (Instant::now(), chunk.len());
            let mut outcomes = run_chunk(chunk, &registry, stats.get());
            cost.record(started.elapsed(), units);
            let delivery = match outcomes.len() {
                1 => Delivery::One(outcomes.pop().expect("one")),
                _ => Delivery::Chunk(outcomes),
            };
            in_flight.fetch_sub(1, Ordering::AcqRel);
            let _ = tx.send(delivery);
        });
    }
}

/// Takes the next unit's token. While a chunk is open, a token at hand adds to it; with none,
/// the chunk waits for one as long as every pool thread has a chunk of this stage to run
/// (sent now, it would only queue), and goes to the pool otherwise. False when the stage is
/// to stop.
fn take_token(
    ctx: &Context,
    tokens: &TokenWait,
    chunk: &mut ChunkBuilder,
    flush: impl Fn(&mut ChunkBuilder),
    stats: &OnceLock<Arc<StageStats>>,
) -> bool {
    let waited = Instant::now();
    let took = |got: bool| {
        if let (true, Some(stats)) = (got, stats.get()) {
            stats.add_consumer_wait(waited.elapsed().as_nanos() as u64);
        }
        got
    };
    if chunk.open() {
        if tokens.try_take() {
            return true;
        }
        while chunk.in_flight.load(Ordering::Acquire) >= ctx.pool().threads() {
            match tokens.channel().recv_timeout(CHUNK_WAIT) {
                Ok(()) => return took(true),
                Err(RecvTimeoutError::Disconnected) => return false,
                Err(RecvTimeoutError::Timeout) if ctx.check().is_err() => return false,
                Err(RecvTimeoutError::Timeout) => {}
            }
        }
    }
    flush(chunk);
    took(ctx.recv(tokens.channel()).ok().flatten().is_some())
}

/// Where the consumer stands, as a state: the source's state after the longest run of units
/// taken from the start, and the units taken beyond that run (only out of order).
struct Taken {
    /// The source's state after unit `prefix - 1` (before any unit: at the start).
    prefix_state: Result<State>,
    prefix: u64,
    /// Units taken beyond the run, with the source's state after each.
    beyond: BTreeMap<u64, Option<Result<State>>>,
    /// Where the input ended, once known, and the source's state there.
    end: Option<(u64, Option<Result<State>>)>,
}

impl Taken {
    fn new(start: Result<State>) -> Self {
        Taken {
            prefix_state: start,
            prefix: 0,
            beyond: BTreeMap::new(),
            end: None,
        }
    }

    /// Unit `seq`, after which the source's state was `state`, was handed out (or passed
    /// over). No state follows a failed save: that failure stays the stage's state.
    fn take(&mut self, seq: u64, state: Option<Result<State>>) {
        if seq != self.prefix {
            self.beyond.insert(seq, state);
            return;
        }
        self.extend(state);
        loop {
            if let Some(state) = self.beyond.remove(&self.prefix) {
                self.extend(state);
            } else if self.end.as_ref().is_some_and(|(at, _)| *at == self.prefix) {
                let (_, state) = self.end.take().expect("checked");
                self.extend(state);
            } else {
                return;
            }
        }
    }

    fn extend(&mut self, state: Option<Result<State>>) {
        if let (Some(state), true) = (state, self.prefix_state.is_ok()) {
            self.prefix_state = state;
        }
        self.prefix += 1;
    }

    /// The input ended at `seq`: once every unit before it is taken, so is the end.
    fn end_at(&mut self, seq: u64, state: Option<Result<State>>) {
        if seq == self.prefix {
            self.take(seq, state);
        } else {
            self.end = Some((seq, state));
        }
    }

    fn save(&self) -> Result<State> {
        let beyond = self
            .beyond
            .keys()
            .map(|&seq| State::count(seq - self.prefix))
            .collect();
        Ok(State::op(
            "Parallel",
            vec![self.prefix_state.clone()?, State::list(beyond)],
        ))
    }
}

/// A parallel stage's saved state: its source's state, and the units after it that the
/// consumer had already taken.
pub(crate) fn saved_parallel(state: &State) -> Result<(&State, BTreeSet<u64>)> {
    let fields = state.fields("Parallel", 2)?;
    let beyond = fields
        .list(1)?
        .iter()
        .map(|s| match s {
            State::Int(n) if *n > 0 => Ok(*n as u64),
            _ => Err(fields.malformed("lists a unit that is not a positive count")),
        })
        .collect::<Result<BTreeSet<u64>>>()?;
    Ok((fields.state(0), beyond))
}

/// Checks that a parallel stage restored to run inline (its results re-produced in input
/// order) had no results taken out of order, which inline replay cannot pass over.
pub(crate) fn inline_run(beyond: &BTreeSet<u64>) -> Result<()> {
    if beyond.is_empty() {
        return Ok(());
    }
    Err(Error::Unimplemented(
        "the iterator's state cannot be restored: a buffer holds elements that came through \
         a non-deterministic parallel stage"
            .into(),
    ))
}

pub(crate) struct ParallelStage {
    results: Receiver<Delivery>,
    taken: Taken,
    /// Units to drop when they arrive: taken before the state this stage was restored from.
    pass_over: BTreeSet<u64>,
    /// Units of `pass_over` that arrived, dropped in their turn, with their states.
    passed: BTreeMap<u64, Option<Result<State>>>,
    budget: TokenBudget,
    /// Results not handed out yet, with the source's state after each.
    ready: BTreeMap<u64, (Result<Element>, Option<Result<State>>)>,
    next_seq: u64,
    delivered: u64,
    end_seq: Option<u64>,
    deterministic: bool,
    stop: Arc<AtomicBool>,
    last_bytes: u64,
    /// Shared with the dispatcher, which records its waits for tokens there.
    stats: Arc<OnceLock<Arc<StageStats>>>,
    /// Where the tuned budget is kept for the next pass.
    learned: Option<Arc<Learned>>,
    /// What the stage's units cost, shared with its pool jobs.
    cost: Arc<UnitCost>,
    /// Tokens of units taken and not given back yet.
    unreturned: usize,
}

impl ParallelStage {
    pub(crate) fn start(
        source: Box<dyn UnitSource>,
        budget: Budget,
        deterministic: bool,
        ctx: Arc<Context>,
    ) -> Result<Self> {
        Self::resume(source, budget, deterministic, ctx, BTreeSet::new())
    }

    /// Starts the stage over a restored `source`, dropping the units in `pass_over` (counted
    /// from the source's restored position), which the consumer took before.
    pub(crate) fn resume(
        mut source: Box<dyn UnitSource>,
        budget: Budget,
        deterministic: bool,
        ctx: Arc<Context>,
        pass_over: BTreeSet<u64>,
    ) -> Result<Self> {
        let start_state = source.save();
        let mut saving = start_state.is_ok();
        let (results_tx, results) = unbounded::<Delivery>();
        let learned = budget.learned.clone();
        let cost = learned
            .as_ref()
            .map_or_else(Arc::default, |l| l.cost.clone());
        let chunk_cost = cost.clone();
        let per_chunk = source.work_per_chunk();
        if let Some(work) = per_chunk {
            cost.aim(work);
        }
        let counts_calls = per_chunk.is_some();
        let (budget, token_rx) = TokenBudget::new(
            budget.initial,
            budget.max,
            budget.autotune_from,
            ctx.ram_budget(),
        );
        let stop = Arc::new(AtomicBool::new(false));
        let stop_flag = stop.clone();
        let stats: Arc<OnceLock<Arc<StageStats>>> = Arc::default();
        let dispatcher_stats = stats.clone();
        let thread_ctx = ctx.clone();
        thread_ctx.spawn("ferroflow-stage", move || {
            let mut seq = 0u64;
            let mut chunk = ChunkBuilder::new();
            let flush = |chunk: &mut ChunkBuilder| {
                chunk.flush(&ctx, &results_tx, &cost, &dispatcher_stats);
            };
            loop {
                if !take_token(&ctx, &token_rx, &mut chunk, flush, &dispatcher_stats) {
                    return;
                }
                if stop_flag.load(Ordering::Acquire) {
                    return;
                }
                let pulled = Instant::now();
                let unit = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    source.next_unit(&ctx)
                }))
                .unwrap_or_else(|_| Err(Error::Internal("a pipeline stage panicked".into())));
                // Saved until the first failure; after it the stage's state is an error.
                let state = saving.then(|| source.save());
                saving = matches!(state, Some(Ok(_)));
                let job = match unit {
                    Ok(Some(Unit::Work(work))) => Job::Work(work),
                    Ok(Some(Unit::Call(func, element, at))) => Job::Call(func, element, at),
                    Ok(Some(Unit::Ready(element))) => {
                        flush(&mut chunk);
                        let _ = results_tx.send(Delivery::One((seq, Ok(Some(element)), state)));
                        seq += 1;
                        continue;
                    }
                    Ok(None) => {
                        flush(&mut chunk);
                        let _ = results_tx.send(Delivery::One((seq, Ok(None), state)));
                        return;
                    }
                    Err(e) => {
                        flush(&mut chunk);
                        let stopping = matches!(e, Error::Cancelled | Error::Interrupted(_));
                        let sent = results_tx.send(Delivery::One((seq, Err(e), state)));
                        if sent.is_err() || stopping {
                            return;
                        }
                        seq += 1;
                        continue;
                    }
                };
                chunk.push(seq, job, state, pulled.elapsed(), &cost);
                if chunk.pending.len() == 1 && chunk.target > 1 {
                    if counts_calls {
                        token_rx.grant_for_chunks(chunk.target);
                    } else {
                        token_rx.widen_for_chunks(chunk.target);
                    }
                }
                seq += 1;
            }
        })?;
        Ok(ParallelStage {
            results,
            taken: Taken::new(start_state),
            pass_over,
            passed: BTreeMap::new(),
            budget,
            ready: BTreeMap::new(),
            next_seq: 0,
            delivered: 0,
            end_seq: None,
            deterministic,
            stop,
            last_bytes: 0,
            stats,
            learned,
            cost: chunk_cost,
            unreturned: 0,
        })
    }

    /// Drops the units to pass over that are next (in order) or have arrived (out of order).
    fn drop_passed(&mut self) {
        loop {
            let seq = if self.deterministic {
                self.next_seq
            } else {
                match self.passed.first_key_value() {
                    Some((&seq, _)) => seq,
                    None => return,
                }
            };
            let Some(state) = self.passed.remove(&seq) else {
                return;
            };
            if self.deterministic {
                self.next_seq += 1;
            }
            self.taken.take(seq, state);
            self.delivered += 1;
            self.give_back();
        }
    }

    /// Gives back the token of a unit taken or passed over: for a stage in chunks, a chunk's
    /// worth at a time, so the dispatcher wakes once per chunk rather than per unit.
    fn give_back(&mut self) {
        self.unreturned += 1;
        // Only a stage in chunks holds tokens back (and reads the budget, under its lock).
        let chunk = self.cost.chunk();
        if chunk == 1 || self.unreturned >= chunk.min(self.budget.granted() / 4) {
            self.return_tokens();
        }
    }

    /// Gives back every token held back; done before the consumer waits for the stage.
    fn return_tokens(&mut self) {
        for _ in 0..std::mem::take(&mut self.unreturned) {
            self.budget.give_back(self.last_bytes);
        }
    }

    /// The next result that may be handed out now, in the order this stage promises.
    fn take_ready(&mut self) -> Option<Result<Element>> {
        self.drop_passed();
        let (seq, (result, state)) = if self.deterministic {
            let r = self.ready.remove(&self.next_seq)?;
            self.next_seq += 1;
            (self.next_seq - 1, r)
        } else {
            self.ready.pop_first()?
        };
        self.taken.take(seq, state);
        self.delivered += 1;
        if let Ok(element) = &result {
            self.last_bytes = crate::engine::tensor::element_bytes(element);
        }
        self.give_back();
        if let Some(stats) = self.stats.get() {
            stats.set_buffer(self.ready.len() + self.results.len(), self.budget.granted());
        }
        Some(result)
    }
}

impl ParallelStage {
    fn accept_delivery(&mut self, delivery: Delivery) {
        match delivery {
            Delivery::One(outcome) => self.accept(outcome),
            Delivery::Chunk(outcomes) => outcomes.into_iter().for_each(|o| self.accept(o)),
        }
    }

    fn accept(&mut self, (seq, result, state): Outcome) {
        match result {
            Ok(None) => {
                self.end_seq = Some(seq);
                self.taken.end_at(seq, state);
            }
            _ if self.pass_over.remove(&seq) => {
                self.passed.insert(seq, state);
            }
            Ok(Some(element)) => {
                self.ready.insert(seq, (Ok(element), state));
            }
            Err(e) => {
                self.ready.insert(seq, (Err(e), state));
            }
        }
    }
}

impl DatasetIterator for ParallelStage {
    fn try_next(&mut self, _ctx: &Context) -> Option<Result<Option<Element>>> {
        while let Ok(delivery) = self.results.try_recv() {
            self.accept_delivery(delivery);
        }
        if let Some(result) = self.take_ready() {
            return Some(result.map(Some));
        }
        // The caller may wait elsewhere now: the dispatcher must have every token.
        self.return_tokens();
        (self.end_seq == Some(self.delivered)).then_some(Ok(None))
    }

    fn set_stats(&mut self, stats: Arc<StageStats>) {
        stats.mark_asynchronous();
        stats.set_buffer(0, self.budget.granted());
        let _ = self.stats.set(stats);
    }

    fn save(&self) -> Result<State> {
        self.taken.save()
    }

    fn next(&mut self, ctx: &Context) -> Result<Option<Element>> {
        loop {
            if let Some(result) = self.take_ready() {
                return result.map(Some);
            }
            if self.end_seq == Some(self.delivered) {
                return Ok(None);
            }
            self.return_tokens();
            self.budget.consumer_waiting(true);
            let (received, waited_ns) = StatsRegistry::waiting(|| ctx.recv(&self.results));
            self.budget.consumer_waiting(false);
            if let Some(stats) = self.stats.get() {
                stats.add_input_wait(waited_ns);
                stats.set_buffer(self.ready.len() + self.results.len(), self.budget.granted());
            }
            match received? {
                Some(delivery) => self.accept_delivery(delivery),
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
        if let Some(learned) = &self.learned {
            learned.record(self.budget.granted());
        }
        self.stop.store(true, Ordering::Release);
        // Wakes a dispatcher waiting for a token, so it sees `stop` and exits now rather
        // than when the whole pass ends.
        self.budget.give_back(self.last_bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pass_starts_from_what_the_last_one_tuned() {
        let learned = Arc::new(Learned::default());
        assert_eq!(learned.budget(8).initial, 1, "nothing learned yet");
        learned.record(6);
        let budget = learned.budget(8);
        assert!(budget.autotune_from.is_some() && budget.initial == 6 && budget.max == 8);
        learned.record(2);
        assert_eq!(
            learned.budget(8).initial,
            6,
            "a short pass does not lower it"
        );
        learned.record(50);
        assert_eq!(learned.budget(8).initial, 8, "never past the maximum");
    }
}

#[cfg(test)]
mod chunk_tests {
    use std::sync::atomic::AtomicUsize;

    use super::*;
    use crate::engine::Tensor;

    /// Doubles an int64 scalar, failing on 3; counts how often it is entered.
    #[derive(Default)]
    struct Double {
        entries: AtomicUsize,
    }

    impl ElementFn for Double {
        fn call(&self, input: Element) -> Result<Element> {
            let v = input[0].as_slice::<i64>().expect("int64")[0];
            if v == 3 {
                return Err(Error::InvalidArgument("three".into()));
            }
            Ok(vec![Tensor::scalar(2 * v)])
        }

        fn call_many(&self, inputs: Vec<(Element, Position)>) -> Vec<Result<Element>> {
            self.entries.fetch_add(1, Ordering::Relaxed);
            inputs.into_iter().map(|(e, _)| self.call(e)).collect()
        }
    }

    fn call(func: &Arc<Double>, seq: u64) -> Pending {
        let at = Position {
            pass: 0,
            index: seq,
        };
        let element = vec![Tensor::scalar(seq as i64)];
        let func: Arc<dyn ElementFn> = func.clone();
        (
            seq,
            Job::Call(func, element, at),
            Some(Ok(State::count(seq))),
        )
    }

    fn value(outcome: &Outcome) -> Option<i64> {
        let element = outcome.1.as_ref().ok()?.as_ref()?;
        Some(element[0].as_slice::<i64>()?[0])
    }

    #[test]
    fn a_chunk_keeps_input_order_and_enters_each_run_of_calls_once() {
        let (double, other) = (Arc::new(Double::default()), Arc::new(Double::default()));
        let work: Work = Box::new(|| Ok(vec![Tensor::scalar(-1i64)]));
        let chunk = vec![
            call(&double, 0),
            call(&double, 1),
            (2, Job::Work(work), None),
            call(&double, 3),
            call(&double, 4),
            call(&other, 5),
        ];
        let outcomes = run_chunk(chunk, &StatsRegistry::new(false), None);
        let seqs: Vec<u64> = outcomes.iter().map(|o| o.0).collect();
        assert_eq!(seqs, [0, 1, 2, 3, 4, 5]);
        let values: Vec<Option<i64>> = outcomes.iter().map(value).collect();
        assert_eq!(
            values,
            [Some(0), Some(2), Some(-1), None, Some(8), Some(10)]
        );
        assert!(matches!(&outcomes[3].1, Err(Error::InvalidArgument(m)) if m == "three"));
        assert!(matches!(&outcomes[4].2, Some(Ok(s)) if *s == State::count(4)));
        assert_eq!(
            double.entries.load(Ordering::Relaxed),
            2,
            "calls 0-1 and 3-4"
        );
        assert_eq!(other.entries.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn a_panicking_run_fails_each_of_its_units() {
        struct Panics;
        impl ElementFn for Panics {
            fn call(&self, _: Element) -> Result<Element> {
                panic!("user code")
            }
        }
        let func: Arc<dyn ElementFn> = Arc::new(Panics);
        let chunk: Vec<Pending> = (0..3)
            .map(|seq| {
                let at = Position {
                    pass: 0,
                    index: seq,
                };
                (seq, Job::Call(func.clone(), vec![], at), None)
            })
            .collect();
        let outcomes = run_chunk(chunk, &StatsRegistry::new(false), None);
        assert_eq!(outcomes.len(), 3);
        assert!(outcomes
            .iter()
            .all(|o| matches!(&o.1, Err(Error::Internal(m)) if m.contains("panicked"))));
    }

    #[test]
    fn units_per_chunk_follow_their_measured_cost() {
        let cost = UnitCost::default();
        assert_eq!(cost.chunk(), 1, "unknown cost: one at a time");
        cost.record(Duration::from_micros(100), 1);
        assert_eq!(cost.chunk(), 1, "a 100 µs unit is worth a job of its own");
        let cheap = UnitCost::default();
        cheap.record(Duration::from_micros(10), 10);
        assert_eq!(cheap.chunk(), 50, "1 µs units: 50 make up a chunk");
        let tiny = UnitCost::default();
        tiny.record(Duration::from_nanos(100), 1);
        assert_eq!(tiny.chunk(), MAX_CHUNK);
        cheap.record(Duration::from_micros(5), 1);
        assert_eq!(cheap.chunk(), 25, "the average moves a quarter of the way");
    }
}
