//! `Dataset.skip(count)`: everything after the first `count` elements (nothing for -1).

use std::sync::Arc;

use crate::engine::{
    save_maybe, Batch, Cardinality, Context, DatasetIterator, DatasetNode, Element, Result, State,
};

pub struct SkipNode {
    input: Arc<dyn DatasetNode>,
    /// `None` skips everything.
    count: Option<u64>,
}

impl SkipNode {
    pub fn new(input: Arc<dyn DatasetNode>, count: i64) -> Self {
        SkipNode {
            input,
            count: u64::try_from(count).ok(),
        }
    }
}

impl DatasetNode for SkipNode {
    fn make_iterator(&self, ctx: &Arc<Context>) -> Result<Box<dyn DatasetIterator>> {
        let input = match self.count {
            None => None,
            Some(_) => Some(ctx.open(&self.input)?),
        };
        Ok(Box::new(SkipIterator {
            input,
            to_skip: self.count.unwrap_or(0),
        }))
    }

    fn cardinality(&self) -> Cardinality {
        match self.count {
            None => Cardinality::Finite(0),
            Some(count) => self.input.cardinality().map(|n| n.saturating_sub(count)),
        }
    }

    fn restore(
        &self,
        ctx: &Arc<Context>,
        state: &State,
        replay: bool,
    ) -> Result<Box<dyn DatasetIterator>> {
        let fields = state.fields("Skip", 2)?;
        Ok(Box::new(SkipIterator {
            input: ctx.restore_maybe(&self.input, fields.maybe(1)?, replay)?,
            to_skip: fields.count(0)?,
        }))
    }
}

struct SkipIterator {
    input: Option<Box<dyn DatasetIterator>>,
    to_skip: u64,
}

impl SkipIterator {
    fn ready(&mut self, ctx: &Context) -> Result<Option<&mut Box<dyn DatasetIterator>>> {
        let Some(input) = self.input.as_mut() else {
            return Ok(None);
        };
        if self.to_skip > 0 {
            let skipped = input.skip(ctx, self.to_skip)?;
            if skipped < self.to_skip {
                self.input = None;
                return Ok(None);
            }
            self.to_skip = 0;
        }
        Ok(self.input.as_mut())
    }
}

impl DatasetIterator for SkipIterator {
    fn next(&mut self, ctx: &Context) -> Result<Option<Element>> {
        match self.ready(ctx)? {
            Some(input) => input.next(ctx),
            None => Ok(None),
        }
    }

    fn next_batch(&mut self, ctx: &Context, max: usize) -> Result<Option<Batch>> {
        match self.ready(ctx)? {
            Some(input) => input.next_batch(ctx, max),
            None => Ok(None),
        }
    }

    fn save(&self) -> Result<State> {
        Ok(State::op(
            "Skip",
            vec![State::count(self.to_skip), save_maybe(&self.input)?],
        ))
    }
}
