//! `Dataset.repeat(count)`: the input `count` times, or forever when `count` is -1.

use std::sync::Arc;

use crate::engine::{Cardinality, Context, DatasetIterator, DatasetNode, Element, Result};

pub struct RepeatNode {
    input: Arc<dyn DatasetNode>,
    /// `None` repeats forever.
    count: Option<u64>,
}

impl RepeatNode {
    pub fn new(input: Arc<dyn DatasetNode>, count: i64) -> Self {
        RepeatNode {
            input,
            count: u64::try_from(count).ok(),
        }
    }
}

impl DatasetNode for RepeatNode {
    fn make_iterator(&self, ctx: &Arc<Context>) -> Result<Box<dyn DatasetIterator>> {
        Ok(Box::new(RepeatIterator {
            input: self.input.clone(),
            ctx: ctx.clone(),
            current: None,
            epochs_left: self.count,
            epoch_was_empty: false,
        }))
    }

    fn cardinality(&self) -> Cardinality {
        let input = self.input.cardinality();
        match (self.count, input) {
            (Some(0), _) | (_, Cardinality::Finite(0)) => Cardinality::Finite(0),
            (None, Cardinality::Unknown) => Cardinality::Unknown,
            (None, _) => Cardinality::Infinite,
            (Some(k), c) => c.map(|n| n.saturating_mul(k)),
        }
    }
}

struct RepeatIterator {
    input: Arc<dyn DatasetNode>,
    ctx: Arc<Context>,
    current: Option<Box<dyn DatasetIterator>>,
    epochs_left: Option<u64>,
    epoch_was_empty: bool,
}

impl DatasetIterator for RepeatIterator {
    fn next(&mut self, ctx: &Context) -> Result<Option<Element>> {
        loop {
            if self.current.is_none() {
                match &mut self.epochs_left {
                    Some(0) => return Ok(None),
                    Some(k) => *k -= 1,
                    None => {}
                }
                self.current = Some(self.ctx.open(&self.input)?);
                self.epoch_was_empty = true;
            }
            match self.current.as_mut().expect("set above").next(ctx)? {
                Some(element) => {
                    self.epoch_was_empty = false;
                    return Ok(Some(element));
                }
                None => {
                    self.current = None;
                    // An empty input would otherwise be restarted forever.
                    if self.epoch_was_empty {
                        self.epochs_left = Some(0);
                    }
                }
            }
        }
    }
}
