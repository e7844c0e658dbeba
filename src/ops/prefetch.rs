//! `Dataset.prefetch(buffer_size)`: runs the input on a background thread, up to
//! `buffer_size` elements ahead of the consumer. With AUTOTUNE the buffer starts at one
//! element and grows while the consumer finds it empty, within the RAM budget.

use std::sync::Arc;

use super::parallel::{Budget, ParallelStage, Unit, UnitSource};
use crate::engine::args::positive_or_autotune;
use crate::engine::{Cardinality, Context, DatasetIterator, DatasetNode, Result};

/// The most elements an autotuned prefetch buffer grows to.
const MAX_AUTOTUNED_BUFFER: usize = 1024;

pub struct PrefetchNode {
    input: Arc<dyn DatasetNode>,
    /// `None` is AUTOTUNE.
    buffer_size: Option<usize>,
}

impl PrefetchNode {
    /// `buffer_size` elements ahead, or AUTOTUNE (-1).
    pub fn new(input: Arc<dyn DatasetNode>, buffer_size: i64) -> Result<Self> {
        Ok(PrefetchNode {
            input,
            buffer_size: positive_or_autotune("buffer_size", buffer_size)?,
        })
    }
}

impl DatasetNode for PrefetchNode {
    fn make_iterator(&self, ctx: &Arc<Context>) -> Result<Box<dyn DatasetIterator>> {
        let input = ctx.open(&self.input)?;
        Ok(Box::new(prefetching(input, self.buffer_size, ctx.clone())?))
    }

    fn cardinality(&self) -> Cardinality {
        self.input.cardinality()
    }
}

/// Runs `input` on its own thread, `buffer_size` elements ahead (`None`: autotuned).
pub(crate) fn prefetching(
    input: Box<dyn DatasetIterator>,
    buffer_size: Option<usize>,
    ctx: Arc<Context>,
) -> Result<ParallelStage> {
    let budget = match buffer_size {
        Some(n) => Budget {
            initial: n,
            max: n,
            autotune: false,
        },
        None => Budget {
            initial: 1,
            max: MAX_AUTOTUNED_BUFFER,
            autotune: true,
        },
    };
    ParallelStage::start(Box::new(Pull(input)), budget, true, ctx)
}

struct Pull(Box<dyn DatasetIterator>);

impl UnitSource for Pull {
    fn next_unit(&mut self, ctx: &Context) -> Result<Option<Unit>> {
        Ok(self.0.next(ctx)?.map(Unit::Ready))
    }
}
