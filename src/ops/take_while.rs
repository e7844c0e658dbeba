//! `Dataset.take_while(predicate)`: elements up to the first one whose predicate is false.

use std::sync::Arc;

use super::filter::holds;
use crate::engine::{
    save_maybe, Cardinality, Context, DatasetIterator, DatasetNode, Element, ElementFn, Result,
    State,
};

pub struct TakeWhileNode {
    input: Arc<dyn DatasetNode>,
    predicate: Arc<dyn ElementFn>,
}

impl TakeWhileNode {
    pub fn new(input: Arc<dyn DatasetNode>, predicate: Arc<dyn ElementFn>) -> Self {
        TakeWhileNode { input, predicate }
    }
}

impl DatasetNode for TakeWhileNode {
    fn make_iterator(&self, ctx: &Arc<Context>) -> Result<Box<dyn DatasetIterator>> {
        Ok(Box::new(TakeWhileIterator {
            input: Some(ctx.open(&self.input)?),
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
        let input = state.fields("TakeWhile", 1)?.maybe(0)?;
        Ok(Box::new(TakeWhileIterator {
            input: ctx.restore_maybe(&self.input, input, replay)?,
            predicate: self.predicate.clone(),
        }))
    }
}

struct TakeWhileIterator {
    input: Option<Box<dyn DatasetIterator>>,
    predicate: Arc<dyn ElementFn>,
}

impl DatasetIterator for TakeWhileIterator {
    fn next(&mut self, ctx: &Context) -> Result<Option<Element>> {
        let Some(input) = self.input.as_mut() else {
            return Ok(None);
        };
        match input.next(ctx)? {
            Some(element) if holds(&*self.predicate, &element)? => Ok(Some(element)),
            _ => {
                self.input = None;
                Ok(None)
            }
        }
    }

    fn save(&self) -> Result<State> {
        Ok(State::op("TakeWhile", vec![save_maybe(&self.input)?]))
    }
}
