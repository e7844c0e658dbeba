//! The one asynchronous stage behind prefetch, parallel map and parallel batch. A dispatcher
//! thread pulls the input; each unit it produces is either ready (prefetch) or work to run on
//! the pipeline's worker pool (a map call, a batch assembly). A token budget bounds how many
//! units are in flight or buffered; the consumer takes results in input order
//! (deterministic) or as they finish, and gives the token back.
//!
//! The dispatcher saves its source's state after each unit and sends it with the unit's
//! result, so the stage's own state is its source's after the units the consumer took:
//! in input order that is the last one's; out of order, the state after the longest run
//! of taken units from the start, with the units taken beyond it, to be passed over when
//! restored.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use crossbeam_channel::{unbounded, Receiver};

use crate::engine::budget::TokenBudget;
use crate::engine::stats::{StageStats, StatsRegistry};
use crate::engine::{Context, DatasetIterator, Element, Error, Result, State};

/// Work for the pool: computes one output element.
pub(crate) type Work = Box<dyn FnOnce() -> Result<Element> + Send>;

pub(crate) enum Unit {
    Ready(Element),
    Work(Work),
}

/// What the dispatcher pulls from the input.
pub(crate) trait UnitSource: Send {
    fn next_unit(&mut self, ctx: &Context) -> Result<Option<Unit>>;

    /// The source's position after the units it gave.
    fn save(&self) -> Result<State>;
}

/// How many units may be in flight: a fixed number, or autotuned up to a maximum (starting
/// from what `learned` holds of an earlier pass, which this pass updates when it ends).
#[derive(Debug, Clone)]
pub(crate) struct Budget {
    pub initial: usize,
    pub max: usize,
    pub autotune: bool,
    pub learned: Option<Arc<Learned>>,
}

/// The most an autotuned stage grew to in its passes so far: where the next pass over the
/// same dataset starts growing to, instead of doubling up from one again (0: nothing yet).
#[derive(Debug, Default)]
pub(crate) struct Learned(AtomicUsize);

impl Learned {
    /// An autotuned budget for a stage of this node, up to `max`.
    pub(crate) fn budget(self: &Arc<Self>, max: usize) -> Budget {
        Budget {
            initial: self.0.load(Ordering::Relaxed).clamp(1, max.max(1)),
            max,
            autotune: true,
            learned: Some(self.clone()),
        }
    }

    /// Keeps the largest budget a pass reached: a pass cut short (a peek at the first
    /// element) grows little and says nothing about what the stage needs.
    fn record(&self, granted: usize) {
        self.0.fetch_max(granted, Ordering::Relaxed);
    }
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

/// A unit's input position, its result (`Ok(None)` marks the end of the input there), and
/// the source's state after it (`None` once a state could not be saved).
type Outcome = (u64, Result<Option<Element>>, Option<Result<State>>);

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
    results: Receiver<Outcome>,
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
        let (results_tx, results) = unbounded::<Outcome>();
        let learned = budget.learned.clone();
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
                // Saved until the first failure; after it the stage's state is an error.
                let state = saving.then(|| source.save());
                saving = matches!(state, Some(Ok(_)));
                match unit {
                    Ok(Some(Unit::Ready(element))) => {
                        let _ = results_tx.send((seq, Ok(Some(element)), state));
                    }
                    Ok(Some(Unit::Work(work))) => {
                        let (tx, at) = (results_tx.clone(), seq);
                        let (registry, stats) = (ctx.stats().clone(), dispatcher_stats.clone());
                        ctx.pool().execute(move || {
                            let result = run_work(work, &registry, stats.get());
                            let _ = tx.send((at, result.map(Some), state));
                        });
                    }
                    Ok(None) => {
                        let _ = results_tx.send((seq, Ok(None), state));
                        return;
                    }
                    Err(e) => {
                        let stopping = matches!(e, Error::Cancelled | Error::Interrupted(_));
                        if results_tx.send((seq, Err(e), state)).is_err() || stopping {
                            return;
                        }
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
        self.budget.give_back(self.last_bytes);
        if let Some(stats) = self.stats.get() {
            stats.set_buffer(self.ready.len() + self.results.len(), self.budget.granted());
        }
        Some(result)
    }
}

impl ParallelStage {
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
        assert!(budget.autotune && budget.initial == 6 && budget.max == 8);
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
