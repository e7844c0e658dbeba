//! `Dataset.from_tensor_slices(tensors)`: one element per row of the first dimension.

use std::sync::Arc;

use crate::engine::{
    Batch, Cardinality, Context, DatasetIterator, DatasetNode, Element, Error, Result, State,
    Tensor,
};

pub struct FromTensorSlicesNode {
    components: Arc<Vec<Tensor>>,
    rows: usize,
}

impl FromTensorSlicesNode {
    /// Every component must have the same first dimension.
    pub fn new(components: Vec<Tensor>) -> Result<Self> {
        let mut rows = None;
        for (i, t) in components.iter().enumerate() {
            let r = t.rows().map_err(|_| {
                Error::InvalidArgument(format!(
                    "from_tensor_slices: component {i} is a scalar; every component needs a first dimension to slice"
                ))
            })?;
            match rows {
                None => rows = Some(r),
                Some(expected) if expected != r => {
                    return Err(Error::InvalidArgument(format!(
                        "from_tensor_slices: all components must have the same size in the first dimension, \
                         but component 0 has {expected} and component {i} has {r}"
                    )))
                }
                _ => {}
            }
        }
        Ok(FromTensorSlicesNode {
            components: Arc::new(components),
            rows: rows.unwrap_or(0),
        })
    }
}

impl DatasetNode for FromTensorSlicesNode {
    fn make_iterator(&self, _ctx: &Arc<Context>) -> Result<Box<dyn DatasetIterator>> {
        Ok(Box::new(SlicesIterator {
            components: self.components.clone(),
            rows: self.rows,
            next: 0,
        }))
    }

    fn cardinality(&self) -> Cardinality {
        Cardinality::Finite(self.rows as u64)
    }

    fn restore(
        &self,
        _ctx: &Arc<Context>,
        state: &State,
        _replay: bool,
    ) -> Result<Box<dyn DatasetIterator>> {
        let fields = state.fields("FromTensorSlices", 2)?;
        let (next, rows) = (fields.count(0)?, fields.count(1)?);
        if rows != self.rows as u64 || next > rows {
            return Err(fields.malformed(&format!(
                "is at row {next} of {rows}, where this dataset has {} rows",
                self.rows
            )));
        }
        Ok(Box::new(SlicesIterator {
            components: self.components.clone(),
            rows: self.rows,
            next: next as usize,
        }))
    }
}

struct SlicesIterator {
    components: Arc<Vec<Tensor>>,
    rows: usize,
    next: usize,
}

impl DatasetIterator for SlicesIterator {
    fn next(&mut self, _ctx: &Context) -> Result<Option<Element>> {
        if self.next >= self.rows {
            return Ok(None);
        }
        let i = self.next;
        self.next += 1;
        self.components
            .iter()
            .map(|t| t.row(i))
            .collect::<Result<_>>()
            .map(Some)
    }

    fn next_batch(&mut self, _ctx: &Context, max: usize) -> Result<Option<Batch>> {
        if self.next >= self.rows {
            return Ok(None);
        }
        let (start, end) = (self.next, (self.next + max).min(self.rows));
        self.next = end;
        let tensors = self
            .components
            .iter()
            .map(|t| t.slice_rows(start, end))
            .collect::<Result<_>>()?;
        Ok(Some(Batch {
            rows: end - start,
            tensors,
        }))
    }

    fn skip(&mut self, _ctx: &Context, n: u64) -> Result<u64> {
        let n = (n as usize).min(self.rows - self.next.min(self.rows));
        self.next += n;
        Ok(n as u64)
    }

    fn save(&self) -> Result<State> {
        Ok(State::op(
            "FromTensorSlices",
            vec![
                State::count(self.next as u64),
                State::count(self.rows as u64),
            ],
        ))
    }
}
