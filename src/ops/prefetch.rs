//! `Dataset.prefetch(buffer_size)`: runs the input on a background thread, up to
//! `buffer_size` elements ahead of the consumer. With AUTOTUNE the buffer starts at one
//! element and grows while the consumer finds it empty, within the RAM budget.

use std::sync::Arc;

use std::collections::BTreeSet;

use super::parallel::{
    inline_run, saved_parallel, Budget, Learned, ParallelStage, Unit, UnitSource,
};
use crate::engine::args::positive_or_autotune;
use crate::engine::{Cardinality, Context, DatasetIterator, DatasetNode, Result, State};

/// The most elements an autotuned prefetch buffer grows to.
const MAX_AUTOTUNED_BUFFER: usize = 1024;

pub struct PrefetchNode {
    input: Arc<dyn DatasetNode>,
    /// `None` is AUTOTUNE.
    buffer_size: Option<usize>,
    /// The buffer size the last pass tuned itself to.
    learned: Arc<Learned>,
}

impl PrefetchNode {
    /// `buffer_size` elements ahead, or AUTOTUNE (-1).
    pub fn new(input: Arc<dyn DatasetNode>, buffer_size: i64) -> Result<Self> {
        Ok(PrefetchNode {
            input,
            buffer_size: positive_or_autotune("buffer_size", buffer_size)?,
            learned: Arc::default(),
        })
    }
}

impl DatasetNode for PrefetchNode {
    fn make_iterator(&self, ctx: &Arc<Context>) -> Result<Box<dyn DatasetIterator>> {
        let input = ctx.open(&self.input)?;
        let budget = prefetch_budget(self.buffer_size, Some(&self.learned));
        Ok(Box::new(prefetching_within(
            input,
            budget,
            ctx.clone(),
            BTreeSet::new(),
        )?))
    }

    fn cardinality(&self) -> Cardinality {
        self.input.cardinality()
    }

    fn restore(
        &self,
        ctx: &Arc<Context>,
        state: &State,
        replay: bool,
    ) -> Result<Box<dyn DatasetIterator>> {
        let (input_state, beyond) = saved_parallel(state)?;
        let input = ctx.restore(&self.input, input_state, replay)?;
        if replay {
            inline_run(&beyond)?;
            return Ok(input);
        }
        let budget = prefetch_budget(self.buffer_size, Some(&self.learned));
        Ok(Box::new(prefetching_within(
            input,
            budget,
            ctx.clone(),
            beyond,
        )?))
    }
}

/// Runs `input` on its own thread, `buffer_size` elements ahead (`None`: autotuned).
pub(crate) fn prefetching(
    input: Box<dyn DatasetIterator>,
    buffer_size: Option<usize>,
    ctx: Arc<Context>,
) -> Result<ParallelStage> {
    prefetching_within(
        input,
        prefetch_budget(buffer_size, None),
        ctx,
        BTreeSet::new(),
    )
}

/// A fixed buffer, or an autotuned one (from what `learned` kept of the last pass).
fn prefetch_budget(buffer_size: Option<usize>, learned: Option<&Arc<Learned>>) -> Budget {
    match (buffer_size, learned) {
        (Some(n), _) => Budget {
            initial: n,
            max: n,
            autotune_from: None,
            learned: None,
        },
        (None, Some(learned)) => learned.budget(MAX_AUTOTUNED_BUFFER),
        // A prefetch no node keeps (inside interleave) has no earlier pass to learn from.
        (None, None) => Budget {
            initial: 1,
            max: MAX_AUTOTUNED_BUFFER,
            autotune_from: Some(1),
            learned: None,
        },
    }
}

/// Prefetching within `budget`, over an input restored from a state, passing over the
/// elements in `beyond`.
fn prefetching_within(
    input: Box<dyn DatasetIterator>,
    budget: Budget,
    ctx: Arc<Context>,
    beyond: BTreeSet<u64>,
) -> Result<ParallelStage> {
    ParallelStage::resume(Box::new(Pull(input)), budget, true, ctx, beyond)
}

struct Pull(Box<dyn DatasetIterator>);

impl UnitSource for Pull {
    fn next_unit(&mut self, ctx: &Context) -> Result<Option<Unit>> {
        Ok(self.0.next(ctx)?.map(Unit::Ready))
    }

    fn save(&self) -> Result<State> {
        self.0.save()
    }
}
