//! `Dataset.batch(batch_size, drop_remainder)`: stacks consecutive elements.

use std::sync::Arc;

use super::parallel::{inline_run, saved_parallel, Learned, ParallelStage, Unit, UnitSource};
use super::parallel_map::parallel_budget;
use crate::engine::args::positive_or_autotune;
use crate::engine::{
    save_maybe, take_up_to, Batch, Cardinality, Context, DatasetIterator, DatasetNode, Element,
    Error, Result, State,
};

pub struct BatchNode {
    input: Arc<dyn DatasetNode>,
    batch_size: usize,
    drop_remainder: bool,
    /// `Some` assembles batches on the worker pool: `Some(None)` is AUTOTUNE, `Some(Some(n))`
    /// up to `n` batches at once.
    parallel: Option<Option<usize>>,
    deterministic: Option<bool>,
    /// Components batched as ragged rows (values and row splits) instead of stacked.
    ragged: Arc<[bool]>,
    /// The parallelism the last parallel pass tuned itself to.
    learned: Arc<Learned>,
}

impl BatchNode {
    pub fn new(input: Arc<dyn DatasetNode>, batch_size: i64, drop_remainder: bool) -> Result<Self> {
        let batch_size = check_batch_size(batch_size)?;
        Ok(BatchNode {
            input,
            batch_size,
            drop_remainder,
            parallel: None,
            deterministic: None,
            ragged: Arc::from([]),
            learned: Arc::default(),
        })
    }

    /// Batches the components flagged in `ragged` as ragged rows (`Dataset.ragged_batch`).
    pub fn ragged(mut self, ragged: Vec<bool>) -> Self {
        self.ragged = ragged.into();
        self
    }

    /// Assembles up to `parallelism` batches at once on the worker pool (`None`: AUTOTUNE).
    pub fn parallel(
        mut self,
        num_parallel_calls: i64,
        deterministic: Option<bool>,
    ) -> Result<Self> {
        self.parallel = Some(positive_or_autotune(
            "num_parallel_calls",
            num_parallel_calls,
        )?);
        self.deterministic = deterministic;
        Ok(self)
    }
}

pub(crate) fn check_batch_size(batch_size: i64) -> Result<usize> {
    if batch_size <= 0 {
        return Err(Error::InvalidArgument(format!(
            "batch_size must be greater than zero, got {batch_size}"
        )));
    }
    Ok(batch_size as usize)
}

/// Whether `rows` gathered elements make a batch: any when the remainder is kept, a full one
/// when it is dropped.
pub(crate) fn is_batch(rows: usize, size: usize, drop_remainder: bool) -> bool {
    rows > 0 && (rows == size || !drop_remainder)
}

/// The cardinality of batches of `size` drawn from `input`.
pub(crate) fn batched_cardinality(
    input: Cardinality,
    size: usize,
    drop_remainder: bool,
) -> Cardinality {
    let size = size as u64;
    input.map(|n| {
        if drop_remainder {
            n / size
        } else {
            n.div_ceil(size)
        }
    })
}

impl DatasetNode for BatchNode {
    fn make_iterator(&self, ctx: &Arc<Context>) -> Result<Box<dyn DatasetIterator>> {
        if let Some(parallelism) = self.parallel {
            let budget = parallel_budget(parallelism, ctx, &self.learned);
            let deterministic = self.deterministic.unwrap_or_else(|| ctx.deterministic());
            let source = BatchAssembly {
                input: Some(ctx.open(&self.input)?),
                batch_size: self.batch_size,
                drop_remainder: self.drop_remainder,
                done: false,
                ragged: self.ragged.clone(),
            };
            let stage = ParallelStage::start(Box::new(source), budget, deterministic, ctx.clone())?;
            return Ok(Box::new(stage));
        }
        Ok(Box::new(BatchIterator {
            input: Some(ctx.open(&self.input)?),
            batch_size: self.batch_size,
            drop_remainder: self.drop_remainder,
            ragged: self.ragged.clone(),
            ended: false,
        }))
    }

    fn cardinality(&self) -> Cardinality {
        batched_cardinality(
            self.input.cardinality(),
            self.batch_size,
            self.drop_remainder,
        )
    }

    fn restore(
        &self,
        ctx: &Arc<Context>,
        state: &State,
        replay: bool,
    ) -> Result<Box<dyn DatasetIterator>> {
        let Some(parallelism) = self.parallel else {
            let input = state.fields("Batch", 1)?.maybe(0)?;
            return Ok(Box::new(BatchIterator {
                input: ctx.restore_maybe(&self.input, input, replay)?,
                batch_size: self.batch_size,
                drop_remainder: self.drop_remainder,
                ragged: self.ragged.clone(),
                ended: false,
            }));
        };
        let (assembly, beyond) = saved_parallel(state)?;
        let input =
            ctx.restore_maybe(&self.input, assembly.fields("Batch", 1)?.maybe(0)?, replay)?;
        if replay {
            inline_run(&beyond)?;
            return Ok(Box::new(BatchIterator {
                input,
                batch_size: self.batch_size,
                drop_remainder: self.drop_remainder,
                ragged: self.ragged.clone(),
                ended: false,
            }));
        }
        let source = BatchAssembly {
            done: input.is_none(),
            input,
            batch_size: self.batch_size,
            drop_remainder: self.drop_remainder,
            ragged: self.ragged.clone(),
        };
        let budget = parallel_budget(parallelism, ctx, &self.learned);
        let deterministic = self.deterministic.unwrap_or_else(|| ctx.deterministic());
        let stage =
            ParallelStage::resume(Box::new(source), budget, deterministic, ctx.clone(), beyond)?;
        Ok(Box::new(stage))
    }
}

struct BatchIterator {
    input: Option<Box<dyn DatasetIterator>>,
    ended: bool,
    batch_size: usize,
    drop_remainder: bool,
    ragged: Arc<[bool]>,
}

impl DatasetIterator for BatchIterator {
    fn next(&mut self, ctx: &Context) -> Result<Option<Element>> {
        let Some(input) = self.input.as_mut().filter(|_| !self.ended) else {
            return Ok(None);
        };
        // An ended input is kept: its state still holds the seeds and passes of the stages
        // under it, which the epochs after a restored one need.
        match input.next_ragged_batch(ctx, self.batch_size, &self.ragged)? {
            Some(batch) if is_batch(batch.rows, self.batch_size, self.drop_remainder) => {
                self.ended = batch.rows < self.batch_size;
                Ok(Some(batch.tensors))
            }
            _ => {
                self.ended = true;
                Ok(None)
            }
        }
    }

    fn save(&self) -> Result<State> {
        Ok(State::op("Batch", vec![save_maybe(&self.input)?]))
    }
}

/// Gathers a batch's elements on the dispatcher; stacking them (the copy) runs on the pool.
struct BatchAssembly {
    /// `None` once the input ended.
    input: Option<Box<dyn DatasetIterator>>,
    batch_size: usize,
    drop_remainder: bool,
    done: bool,
    ragged: Arc<[bool]>,
}

impl UnitSource for BatchAssembly {
    fn next_unit(&mut self, ctx: &Context) -> Result<Option<Unit>> {
        let Some(input) = self.input.as_mut().filter(|_| !self.done) else {
            return Ok(None);
        };
        let (elements, ended) = take_up_to(&mut **input, ctx, self.batch_size)?;
        // The ended input is kept, as `BatchIterator` keeps it.
        self.done = ended;
        if !is_batch(elements.len(), self.batch_size, self.drop_remainder) {
            return Ok(None);
        }
        let ragged = self.ragged.clone();
        Ok(Some(Unit::Work(Box::new(move || {
            Batch::ragged(&elements, &ragged).map(|b| b.tensors)
        }))))
    }

    fn save(&self) -> Result<State> {
        Ok(State::op("Batch", vec![save_maybe(&self.input)?]))
    }
}
