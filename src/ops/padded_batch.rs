//! `Dataset.padded_batch(batch_size, padded_shapes, padding_values, drop_remainder)`: pads
//! each component to a common shape, then stacks.

use std::sync::Arc;

use super::batch::{batched_cardinality, check_batch_size, is_batch};
use crate::engine::{
    save_maybe, take_up_to, Cardinality, Context, DatasetIterator, DatasetNode, Element, Error,
    Result, State, Tensor,
};

/// The shape to pad one component to: `None` dimensions take the largest size in the batch.
pub type PaddedShape = Option<Vec<Option<usize>>>;

pub struct PaddedBatchNode {
    input: Arc<dyn DatasetNode>,
    batch_size: usize,
    padding: Arc<Padding>,
    drop_remainder: bool,
}

/// How the components of a batch are padded to one shape before they are stacked.
pub struct Padding {
    /// One per component; `None` pads every dimension to the batch's largest.
    padded_shapes: Vec<PaddedShape>,
    /// One single-value tensor per component.
    padding_values: Vec<Tensor>,
}

impl Padding {
    pub fn new(padded_shapes: Vec<PaddedShape>, padding_values: Vec<Tensor>) -> Result<Self> {
        if padded_shapes.len() != padding_values.len() {
            return Err(Error::InvalidArgument(format!(
                "padded_batch: {} padded shapes but {} padding values",
                padded_shapes.len(),
                padding_values.len()
            )));
        }
        Ok(Padding {
            padded_shapes,
            padding_values,
        })
    }

    /// `elements` padded and stacked into one batch; `unknown` is the size of padded-shape
    /// dimensions left open (`None`: the batch's largest).
    pub fn batch(&self, elements: &[Element], unknown: Option<usize>) -> Result<Element> {
        let width = self.padding_values.len();
        if let Some(e) = elements.iter().find(|e| e.len() != width) {
            return Err(Error::InvalidArgument(format!(
                "padded_batch: elements have {} components, expected {width}",
                e.len()
            )));
        }
        (0..width)
            .map(|c| {
                let parts: Vec<&Tensor> = elements.iter().map(|e| &e[c]).collect();
                self.pad_component(c, &parts, unknown)
            })
            .collect()
    }

    fn pad_component(&self, c: usize, parts: &[&Tensor], unknown: Option<usize>) -> Result<Tensor> {
        let rank = parts[0].rank();
        if let Some(bad) = parts.iter().find(|t| t.rank() != rank) {
            return Err(Error::InvalidArgument(format!(
                "padded_batch: component {c} has elements of rank {rank} and {}",
                bad.rank()
            )));
        }
        let requested = self.padded_shapes.get(c).cloned().flatten();
        if let Some(shape) = &requested {
            if shape.len() != rank {
                return Err(Error::InvalidArgument(format!(
                    "padded_batch: padded shape {shape:?} of component {c} has rank {}, elements have rank {rank}",
                    shape.len()
                )));
            }
        }
        let target: Vec<usize> = (0..rank)
            .map(|d| match requested.as_ref().map(|s| s[d].or(unknown)) {
                Some(Some(size)) => size,
                _ => parts.iter().map(|t| t.shape()[d]).max().unwrap_or(0),
            })
            .collect();
        let fill = &self.padding_values[c];
        let padded = parts
            .iter()
            .map(|t| t.pad_to(&target, fill))
            .collect::<Result<Vec<_>>>()
            .map_err(|e| match e {
                Error::InvalidArgument(m) => {
                    Error::InvalidArgument(format!("padded_batch: component {c}: {m}"))
                }
                other => other,
            })?;
        Tensor::stack(&padded)
    }
}

impl PaddedBatchNode {
    pub fn new(
        input: Arc<dyn DatasetNode>,
        batch_size: i64,
        padding: Padding,
        drop_remainder: bool,
    ) -> Result<Self> {
        Ok(PaddedBatchNode {
            input,
            batch_size: check_batch_size(batch_size)?,
            padding: Arc::new(padding),
            drop_remainder,
        })
    }
}

impl DatasetNode for PaddedBatchNode {
    fn make_iterator(&self, ctx: &Arc<Context>) -> Result<Box<dyn DatasetIterator>> {
        Ok(Box::new(PaddedBatchIterator {
            input: Some(ctx.open(&self.input)?),
            batch_size: self.batch_size,
            padding: self.padding.clone(),
            drop_remainder: self.drop_remainder,
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
        let input = state.fields("PaddedBatch", 1)?.maybe(0)?;
        Ok(Box::new(PaddedBatchIterator {
            input: ctx.restore_maybe(&self.input, input, replay)?,
            batch_size: self.batch_size,
            padding: self.padding.clone(),
            drop_remainder: self.drop_remainder,
            ended: false,
        }))
    }
}

struct PaddedBatchIterator {
    input: Option<Box<dyn DatasetIterator>>,
    ended: bool,
    batch_size: usize,
    padding: Arc<Padding>,
    drop_remainder: bool,
}

impl DatasetIterator for PaddedBatchIterator {
    fn next(&mut self, ctx: &Context) -> Result<Option<Element>> {
        let Some(input) = self.input.as_mut().filter(|_| !self.ended) else {
            return Ok(None);
        };
        let (elements, ended) = take_up_to(&mut **input, ctx, self.batch_size)?;
        // The ended input is kept, as `BatchIterator` keeps it.
        self.ended = ended;
        if !is_batch(elements.len(), self.batch_size, self.drop_remainder) {
            return Ok(None);
        }
        self.padding.batch(&elements, None).map(Some)
    }

    fn save(&self) -> Result<State> {
        Ok(State::op("PaddedBatch", vec![save_maybe(&self.input)?]))
    }
}
