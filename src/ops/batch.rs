//! `Dataset.batch(batch_size, drop_remainder)`: stacks consecutive elements.

use std::sync::Arc;

use crate::engine::{Cardinality, Context, DatasetIterator, DatasetNode, Element, Error, Result};

pub struct BatchNode {
    input: Arc<dyn DatasetNode>,
    batch_size: usize,
    drop_remainder: bool,
}

impl BatchNode {
    pub fn new(input: Arc<dyn DatasetNode>, batch_size: i64, drop_remainder: bool) -> Result<Self> {
        let batch_size = check_batch_size(batch_size)?;
        Ok(BatchNode {
            input,
            batch_size,
            drop_remainder,
        })
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
        Ok(Box::new(BatchIterator {
            input: Some(self.input.make_iterator(ctx)?),
            batch_size: self.batch_size,
            drop_remainder: self.drop_remainder,
        }))
    }

    fn cardinality(&self) -> Cardinality {
        batched_cardinality(
            self.input.cardinality(),
            self.batch_size,
            self.drop_remainder,
        )
    }
}

struct BatchIterator {
    input: Option<Box<dyn DatasetIterator>>,
    batch_size: usize,
    drop_remainder: bool,
}

impl DatasetIterator for BatchIterator {
    fn next(&mut self, ctx: &Context) -> Result<Option<Element>> {
        let Some(input) = self.input.as_mut() else {
            return Ok(None);
        };
        match input.next_batch(ctx, self.batch_size)? {
            Some(batch) if batch.rows == self.batch_size || !self.drop_remainder => {
                if batch.rows < self.batch_size {
                    self.input = None;
                }
                Ok(Some(batch.tensors))
            }
            _ => {
                self.input = None;
                Ok(None)
            }
        }
    }
}
