//! `Dataset.shard(num_shards, index)`: every `num_shards`-th element, starting at `index`.

use std::sync::Arc;

use crate::engine::{
    Cardinality, Context, DatasetIterator, DatasetNode, Element, Error, Result, State,
};

pub struct ShardNode {
    input: Arc<dyn DatasetNode>,
    num_shards: u64,
    index: u64,
}

impl ShardNode {
    pub fn new(input: Arc<dyn DatasetNode>, num_shards: i64, index: i64) -> Result<Self> {
        if num_shards <= 0 {
            return Err(Error::InvalidArgument(format!(
                "shard: num_shards must be positive, got {num_shards}"
            )));
        }
        if index < 0 || index >= num_shards {
            return Err(Error::InvalidArgument(format!(
                "shard: index must be in [0, {num_shards}), got {index}"
            )));
        }
        Ok(ShardNode {
            input,
            num_shards: num_shards as u64,
            index: index as u64,
        })
    }
}

impl DatasetNode for ShardNode {
    fn make_iterator(&self, ctx: &Arc<Context>) -> Result<Box<dyn DatasetIterator>> {
        Ok(Box::new(ShardIterator {
            input: ctx.open(&self.input)?,
            gap: self.index,
            num_shards: self.num_shards,
        }))
    }

    fn cardinality(&self) -> Cardinality {
        let (n, i) = (self.num_shards, self.index);
        self.input
            .cardinality()
            .map(|c| c / n + u64::from(c % n > i))
    }

    fn restore(
        &self,
        ctx: &Arc<Context>,
        state: &State,
        replay: bool,
    ) -> Result<Box<dyn DatasetIterator>> {
        let fields = state.fields("Shard", 2)?;
        let gap = fields.count(0)?;
        if gap >= self.num_shards {
            return Err(fields.malformed("skips more than a round of shards"));
        }
        Ok(Box::new(ShardIterator {
            input: ctx.restore(&self.input, fields.state(1), replay)?,
            gap,
            num_shards: self.num_shards,
        }))
    }
}

struct ShardIterator {
    input: Box<dyn DatasetIterator>,
    /// Elements to discard before the next one of this shard.
    gap: u64,
    num_shards: u64,
}

impl DatasetIterator for ShardIterator {
    fn next(&mut self, ctx: &Context) -> Result<Option<Element>> {
        if self.gap > 0 && self.input.skip(ctx, self.gap)? < self.gap {
            return Ok(None);
        }
        self.gap = self.num_shards - 1;
        self.input.next(ctx)
    }

    fn save(&self) -> Result<State> {
        Ok(State::op(
            "Shard",
            vec![State::count(self.gap), self.input.save()?],
        ))
    }
}
