//! `choose_from_datasets` / `sample_from_datasets`: each element comes from the input a
//! selector dataset names (a scalar int64 per element), as tf.data's DirectedInterleave.

use std::sync::Arc;

use crate::engine::{
    save_maybe, Cardinality, Context, DType, DatasetIterator, DatasetNode, Element, Error, Result,
    State,
};

pub struct DirectedInterleaveNode {
    selector: Arc<dyn DatasetNode>,
    inputs: Vec<Arc<dyn DatasetNode>>,
    /// End when a chosen input is exhausted; otherwise pass over choices of it.
    stop_on_empty: bool,
}

impl DirectedInterleaveNode {
    pub fn new(
        selector: Arc<dyn DatasetNode>,
        inputs: Vec<Arc<dyn DatasetNode>>,
        stop_on_empty: bool,
    ) -> Result<Self> {
        if inputs.is_empty() {
            return Err(Error::invalid(
                "choosing from datasets needs at least one dataset",
            ));
        }
        Ok(DirectedInterleaveNode {
            selector,
            inputs,
            stop_on_empty,
        })
    }
}

impl DatasetNode for DirectedInterleaveNode {
    fn make_iterator(&self, ctx: &Arc<Context>) -> Result<Box<dyn DatasetIterator>> {
        Ok(Box::new(DirectedInterleaveIterator {
            selector: ctx.open(&self.selector)?,
            inputs: self
                .inputs
                .iter()
                .map(|input| ctx.open(input).map(Some))
                .collect::<Result<_>>()?,
            live: self.inputs.len(),
            stop_on_empty: self.stop_on_empty,
        }))
    }

    fn cardinality(&self) -> Cardinality {
        // As tf.data counts it: one endless input makes the result endless.
        if self
            .inputs
            .iter()
            .any(|i| i.cardinality() == Cardinality::Infinite)
        {
            Cardinality::Infinite
        } else {
            Cardinality::Unknown
        }
    }

    fn restore(
        &self,
        ctx: &Arc<Context>,
        state: &State,
        replay: bool,
    ) -> Result<Box<dyn DatasetIterator>> {
        let fields = state.fields("DirectedInterleave", 2)?;
        let saved = fields.maybes(1)?;
        if saved.len() != self.inputs.len() {
            return Err(fields.malformed(&format!(
                "has {} inputs, this dataset {}",
                saved.len(),
                self.inputs.len()
            )));
        }
        let inputs: Vec<Option<Box<dyn DatasetIterator>>> = self
            .inputs
            .iter()
            .zip(saved)
            .map(|(node, s)| ctx.restore_maybe(node, s, replay))
            .collect::<Result<_>>()?;
        Ok(Box::new(DirectedInterleaveIterator {
            selector: ctx.restore(&self.selector, fields.state(0), replay)?,
            live: inputs.iter().filter(|i| i.is_some()).count(),
            inputs,
            stop_on_empty: self.stop_on_empty,
        }))
    }
}

struct DirectedInterleaveIterator {
    selector: Box<dyn DatasetIterator>,
    /// None once exhausted.
    inputs: Vec<Option<Box<dyn DatasetIterator>>>,
    live: usize,
    stop_on_empty: bool,
}

/// The input a selector element names.
fn chosen(element: &Element, inputs: usize) -> Result<usize> {
    let index = match element.as_slice() {
        [t] if t.rank() == 0 && t.dtype() == DType::Int64 => t.as_slice::<i64>().expect("int64")[0],
        _ => {
            return Err(Error::invalid(
                "the selector dataset must yield scalar int64 values",
            ))
        }
    };
    usize::try_from(index)
        .ok()
        .filter(|&i| i < inputs)
        .ok_or_else(|| {
            Error::InvalidArgument(format!(
                "selector index {index} is out of range: there are {inputs} datasets"
            ))
        })
}

impl DatasetIterator for DirectedInterleaveIterator {
    fn next(&mut self, ctx: &Context) -> Result<Option<Element>> {
        while self.live > 0 {
            let Some(selection) = self.selector.next(ctx)? else {
                return Ok(None);
            };
            let i = chosen(&selection, self.inputs.len())?;
            let Some(input) = &mut self.inputs[i] else {
                continue;
            };
            if let Some(element) = input.next(ctx)? {
                return Ok(Some(element));
            }
            if self.stop_on_empty {
                return Ok(None);
            }
            self.inputs[i] = None;
            self.live -= 1;
        }
        Ok(None)
    }

    fn save(&self) -> Result<State> {
        let inputs = self
            .inputs
            .iter()
            .map(save_maybe)
            .collect::<Result<Vec<_>>>()?;
        Ok(State::op(
            "DirectedInterleave",
            vec![self.selector.save()?, State::list(inputs)],
        ))
    }
}
