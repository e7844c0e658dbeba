//! `tf.data.experimental.assert_cardinality(n)`: the input's elements, with `n` as the
//! dataset's cardinality, and an error as soon as the input proves to have fewer or more.

use std::sync::Arc;

use crate::engine::{
    Cardinality, Context, DatasetIterator, DatasetNode, Element, Error, Result, State,
};

pub struct AssertCardinalityNode {
    input: Arc<dyn DatasetNode>,
    expected: u64,
}

impl AssertCardinalityNode {
    pub fn new(input: Arc<dyn DatasetNode>, expected: u64) -> Self {
        AssertCardinalityNode { input, expected }
    }
}

impl DatasetNode for AssertCardinalityNode {
    fn make_iterator(&self, ctx: &Arc<Context>) -> Result<Box<dyn DatasetIterator>> {
        Ok(Box::new(AssertCardinalityIterator {
            input: ctx.open(&self.input)?,
            expected: self.expected,
            seen: 0,
        }))
    }

    fn cardinality(&self) -> Cardinality {
        Cardinality::Finite(self.expected)
    }

    fn restore(
        &self,
        ctx: &Arc<Context>,
        state: &State,
        replay: bool,
    ) -> Result<Box<dyn DatasetIterator>> {
        let fields = state.fields("AssertCardinality", 2)?;
        Ok(Box::new(AssertCardinalityIterator {
            input: ctx.restore(&self.input, fields.state(1), replay)?,
            expected: self.expected,
            seen: fields.bits(0)?,
        }))
    }
}

struct AssertCardinalityIterator {
    input: Box<dyn DatasetIterator>,
    expected: u64,
    seen: u64,
}

fn mismatch(expected: u64, what: &str) -> Error {
    Error::FailedPrecondition(format!(
        "Input dataset was expected to contain {expected} elements but contained {what}."
    ))
}

impl DatasetIterator for AssertCardinalityIterator {
    fn next(&mut self, ctx: &Context) -> Result<Option<Element>> {
        match self.input.next(ctx)? {
            Some(_) if self.seen == self.expected => {
                Err(mismatch(self.expected, "at least one more"))
            }
            Some(element) => {
                self.seen += 1;
                Ok(Some(element))
            }
            None if self.seen < self.expected => {
                Err(mismatch(self.expected, &format!("only {}", self.seen)))
            }
            None => Ok(None),
        }
    }

    fn save(&self) -> Result<State> {
        Ok(State::op(
            "AssertCardinality",
            vec![State::bits(self.seen), self.input.save()?],
        ))
    }
}
