//! `Dataset.shuffle(buffer_size, seed, reshuffle_each_iteration)`: fills a buffer of
//! `buffer_size` elements, then outputs a uniformly chosen one and refills its slot from the
//! input, as tf.data does. A buffer of 1 keeps the input order.

use std::sync::Arc;

use crate::engine::random::{RandomStream, SeedGenerator};
use crate::engine::{Cardinality, Context, DatasetIterator, DatasetNode, Element, Error, Result};

pub struct ShuffleNode {
    input: Arc<dyn DatasetNode>,
    buffer_size: usize,
    seeds: SeedGenerator,
}

impl ShuffleNode {
    pub fn new(
        input: Arc<dyn DatasetNode>,
        buffer_size: i64,
        seed: Option<u64>,
        reshuffle_each_iteration: bool,
    ) -> Result<Self> {
        if buffer_size <= 0 {
            return Err(Error::InvalidArgument(format!(
                "shuffle: buffer_size must be greater than zero, got {buffer_size}"
            )));
        }
        Ok(ShuffleNode {
            input,
            buffer_size: buffer_size as usize,
            seeds: SeedGenerator::new(seed, reshuffle_each_iteration),
        })
    }
}

impl DatasetNode for ShuffleNode {
    fn make_iterator(&self, ctx: &Arc<Context>) -> Result<Box<dyn DatasetIterator>> {
        Ok(Box::new(ShuffleIterator {
            input: Some(ctx.open(&self.input)?),
            buffer: Vec::new(),
            buffer_size: self.buffer_size,
            rng: self.seeds.next_stream(),
        }))
    }

    fn cardinality(&self) -> Cardinality {
        self.input.cardinality()
    }
}

struct ShuffleIterator {
    input: Option<Box<dyn DatasetIterator>>,
    buffer: Vec<Element>,
    buffer_size: usize,
    rng: RandomStream,
}

impl ShuffleIterator {
    fn pull(&mut self, ctx: &Context) -> Result<Option<Element>> {
        let Some(input) = self.input.as_mut() else {
            return Ok(None);
        };
        let next = input.next(ctx)?;
        if next.is_none() {
            self.input = None;
        }
        Ok(next)
    }
}

impl DatasetIterator for ShuffleIterator {
    fn next(&mut self, ctx: &Context) -> Result<Option<Element>> {
        while self.buffer.len() < self.buffer_size {
            match self.pull(ctx)? {
                Some(e) => self.buffer.push(e),
                None => break,
            }
        }
        if self.buffer.is_empty() {
            return Ok(None);
        }
        let i = self.rng.below(self.buffer.len() as u64) as usize;
        let out = match self.pull(ctx)? {
            Some(replacement) => std::mem::replace(&mut self.buffer[i], replacement),
            None => self.buffer.swap_remove(i),
        };
        Ok(Some(out))
    }
}
