//! `Dataset.take(count)`: the first `count` elements (all of them when `count` is -1).

use std::sync::Arc;

use crate::engine::{
    save_maybe, Batch, Cardinality, Context, DatasetIterator, DatasetNode, Element, Result, State,
};

pub struct TakeNode {
    input: Arc<dyn DatasetNode>,
    /// `None` takes everything.
    count: Option<u64>,
}

impl TakeNode {
    pub fn new(input: Arc<dyn DatasetNode>, count: i64) -> Self {
        TakeNode {
            input,
            count: u64::try_from(count).ok(),
        }
    }
}

impl DatasetNode for TakeNode {
    fn make_iterator(&self, ctx: &Arc<Context>) -> Result<Box<dyn DatasetIterator>> {
        let input = match self.count {
            Some(0) => None,
            _ => Some(ctx.open(&self.input)?),
        };
        Ok(Box::new(TakeIterator {
            input,
            remaining: self.count.unwrap_or(u64::MAX),
        }))
    }

    fn cardinality(&self) -> Cardinality {
        let Some(count) = self.count else {
            return self.input.cardinality();
        };
        match self.input.cardinality() {
            Cardinality::Finite(n) => Cardinality::Finite(n.min(count)),
            Cardinality::Infinite => Cardinality::Finite(count),
            Cardinality::Unknown => Cardinality::Unknown,
        }
    }

    fn restore(
        &self,
        ctx: &Arc<Context>,
        state: &State,
        replay: bool,
    ) -> Result<Box<dyn DatasetIterator>> {
        let fields = state.fields("Take", 2)?;
        Ok(Box::new(TakeIterator {
            input: ctx.restore_maybe(&self.input, fields.maybe(1)?, replay)?,
            remaining: fields.bits(0)?,
        }))
    }
}

struct TakeIterator {
    input: Option<Box<dyn DatasetIterator>>,
    remaining: u64,
}

impl DatasetIterator for TakeIterator {
    fn next(&mut self, ctx: &Context) -> Result<Option<Element>> {
        let Some(input) = self.input.as_mut() else {
            return Ok(None);
        };
        if self.remaining == 0 {
            self.input = None;
            return Ok(None);
        }
        self.remaining -= 1;
        input.next(ctx)
    }

    fn next_batch(&mut self, ctx: &Context, max: usize) -> Result<Option<Batch>> {
        let Some(input) = self.input.as_mut() else {
            return Ok(None);
        };
        let want = (max as u64).min(self.remaining) as usize;
        if want == 0 {
            self.input = None;
            return Ok(None);
        }
        let batch = input.next_batch(ctx, want)?;
        self.remaining -= batch.as_ref().map_or(0, |b| b.rows as u64);
        Ok(batch)
    }

    fn save(&self) -> Result<State> {
        Ok(State::op(
            "Take",
            vec![State::bits(self.remaining), save_maybe(&self.input)?],
        ))
    }
}
