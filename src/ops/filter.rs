//! `Dataset.filter(predicate)`: keeps the elements whose predicate is true.

use std::sync::Arc;

use crate::engine::{
    Cardinality, Context, DatasetIterator, DatasetNode, Element, ElementFn, Error, Result, State,
};

pub struct FilterNode {
    input: Arc<dyn DatasetNode>,
    predicate: Arc<dyn ElementFn>,
}

impl FilterNode {
    pub fn new(input: Arc<dyn DatasetNode>, predicate: Arc<dyn ElementFn>) -> Self {
        FilterNode { input, predicate }
    }
}

/// Runs a predicate and reads its single scalar bool result.
pub(crate) fn holds(predicate: &dyn ElementFn, element: &Element) -> Result<bool> {
    let out = predicate.call(element.clone())?;
    match out.as_slice() {
        [t] => t.to_bool_scalar(),
        _ => Err(Error::InvalidArgument(format!(
            "a predicate must return one scalar bool, got {} values",
            out.len()
        ))),
    }
}

impl DatasetNode for FilterNode {
    fn make_iterator(&self, ctx: &Arc<Context>) -> Result<Box<dyn DatasetIterator>> {
        Ok(Box::new(FilterIterator {
            input: ctx.open(&self.input)?,
            predicate: self.predicate.clone(),
        }))
    }

    fn cardinality(&self) -> Cardinality {
        match self.input.cardinality() {
            Cardinality::Finite(0) => Cardinality::Finite(0),
            _ => Cardinality::Unknown,
        }
    }

    fn restore(
        &self,
        ctx: &Arc<Context>,
        state: &State,
        replay: bool,
    ) -> Result<Box<dyn DatasetIterator>> {
        let input = state.fields("Filter", 1)?.state(0);
        Ok(Box::new(FilterIterator {
            input: ctx.restore(&self.input, input, replay)?,
            predicate: self.predicate.clone(),
        }))
    }
}

struct FilterIterator {
    input: Box<dyn DatasetIterator>,
    predicate: Arc<dyn ElementFn>,
}

impl DatasetIterator for FilterIterator {
    fn next(&mut self, ctx: &Context) -> Result<Option<Element>> {
        while let Some(element) = self.input.next(ctx)? {
            if holds(&*self.predicate, &element)? {
                return Ok(Some(element));
            }
        }
        Ok(None)
    }

    fn save(&self) -> Result<State> {
        Ok(State::op("Filter", vec![self.input.save()?]))
    }
}
