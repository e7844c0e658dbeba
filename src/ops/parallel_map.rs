//! `Dataset.map(fn, num_parallel_calls, deterministic)`: calls run on the pipeline's worker
//! pool, up to `num_parallel_calls` at once (AUTOTUNE: starting at one and growing while the
//! consumer waits, up to four calls per thread of the CPU budget, more for cheap calls sent in
//! chunks); results come in input order unless `deterministic` is false.

use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Duration;

use super::map::{next_pass, restore_calls, save_calls, MapIterator};
use super::parallel::{
    inline_run, saved_parallel, Budget, Learned, ParallelStage, Unit, UnitSource,
};
use crate::engine::args::positive_or_autotune;
use crate::engine::{
    Cardinality, Context, DatasetIterator, DatasetNode, ElementFn, Position, Result, State,
};

pub struct ParallelMapNode {
    input: Arc<dyn DatasetNode>,
    func: Arc<dyn ElementFn>,
    /// `None` is AUTOTUNE.
    parallelism: Option<usize>,
    /// `None` follows the pipeline's options.
    deterministic: Option<bool>,
    note: Option<String>,
    /// Passes started so far: each pass gets its own random values.
    passes: AtomicU64,
    /// The parallelism the last pass tuned itself to.
    learned: Arc<Learned>,
}

impl ParallelMapNode {
    pub fn new(
        input: Arc<dyn DatasetNode>,
        func: Arc<dyn ElementFn>,
        num_parallel_calls: i64,
        deterministic: Option<bool>,
    ) -> Result<Self> {
        Ok(ParallelMapNode {
            input,
            func,
            parallelism: positive_or_autotune("num_parallel_calls", num_parallel_calls)?,
            deterministic,
            note: None,
            passes: AtomicU64::new(0),
            learned: Arc::default(),
        })
    }

    /// Attaches a remark for the stage's statistics.
    pub fn with_note(mut self, note: Option<String>) -> Self {
        self.note = note;
        self
    }
}

/// The budget of a parallel stage: `parallelism` calls, or autotuned within the CPU budget
/// (from where `learned`'s last pass ended); either way a pass starts from the unit cost the
/// last one measured.
pub(crate) fn parallel_budget(
    parallelism: Option<usize>,
    ctx: &Context,
    learned: &Arc<Learned>,
) -> Budget {
    match parallelism {
        Some(n) => {
            ctx.pool().ensure_threads(n);
            Budget {
                initial: n,
                max: n,
                autotune_from: None,
                learned: Some(learned.clone()),
            }
        }
        None => {
            let cpus = ctx.cpu_budget();
            ctx.pool().ensure_threads(cpus);
            // Tokens count calls running and results waiting for their turn; in input order,
            // results pile up behind one slow call (a large JPEG), so a thread would idle
            // with only two tokens per thread. Threads stay at `cpus` either way.
            learned.parallel_budget(4 * cpus, cpus)
        }
    }
}

impl DatasetNode for ParallelMapNode {
    fn make_iterator(&self, ctx: &Arc<Context>) -> Result<Box<dyn DatasetIterator>> {
        let budget = parallel_budget(self.parallelism, ctx, &self.learned);
        let deterministic = self.deterministic.unwrap_or_else(|| ctx.deterministic());
        let source = MapCalls {
            input: ctx.open(&self.input)?,
            func: self.func.clone(),
            position: Position {
                pass: next_pass(&self.passes, ctx),
                index: 0,
            },
        };
        Ok(Box::new(ParallelStage::start(
            Box::new(source),
            budget,
            deterministic,
            ctx.clone(),
        )?))
    }

    fn cardinality(&self) -> Cardinality {
        self.input.cardinality()
    }

    fn note(&self) -> Option<&str> {
        self.note.as_deref()
    }

    fn restore(
        &self,
        ctx: &Arc<Context>,
        state: &State,
        replay: bool,
    ) -> Result<Box<dyn DatasetIterator>> {
        let (calls, beyond) = saved_parallel(state)?;
        let (position, input) = restore_calls("MapCalls", &self.passes, calls)?;
        let input = ctx.restore(&self.input, input, replay)?;
        if replay {
            // The same calls in the same order, inline: the elements a parallel map gives
            // in input order are the sequential map's.
            inline_run(&beyond)?;
            return Ok(Box::new(MapIterator::new(
                input,
                self.func.clone(),
                position,
            )));
        }
        let source = MapCalls {
            input,
            func: self.func.clone(),
            position,
        };
        let budget = parallel_budget(self.parallelism, ctx, &self.learned);
        let deterministic = self.deterministic.unwrap_or_else(|| ctx.deterministic());
        Ok(Box::new(ParallelStage::resume(
            Box::new(source),
            budget,
            deterministic,
            ctx.clone(),
            beyond,
        )?))
    }
}

struct MapCalls {
    input: Box<dyn DatasetIterator>,
    func: Arc<dyn ElementFn>,
    position: Position,
}

impl UnitSource for MapCalls {
    fn next_unit(&mut self, ctx: &Context) -> Result<Option<Unit>> {
        Ok(self.input.next(ctx)?.map(|element| {
            let at = self.position;
            self.position.index += 1;
            Unit::Call(self.func.clone(), element, at)
        }))
    }

    fn save(&self) -> Result<State> {
        save_calls("MapCalls", self.position, &*self.input)
    }

    fn work_per_chunk(&self) -> Option<Duration> {
        self.func.work_per_call()
    }
}
