//! `tf.data.experimental.assert_cardinality(n)`: the input's elements, with `n` as the
//! dataset's cardinality, and an error as soon as the input proves to have fewer or more.

use std::sync::Arc;

use crate::engine::{
    Cardinality, Context, DatasetIterator, DatasetNode, Element, Error, Result, State,
};

pub struct AssertCardinalityNode {
    input: Arc<dyn DatasetNode>,
    /// `u64::MAX` stands for infinite: the input must never end.
    expected: u64,
}

impl AssertCardinalityNode {
    /// `expected` -1 asserts an infinite input.
    pub fn new(input: Arc<dyn DatasetNode>, expected: i64) -> Result<Self> {
        let expected = match expected {
            -1 => u64::MAX,
            n => u64::try_from(n).map_err(|_| {
                Error::InvalidArgument(format!(
                    "assert_cardinality: expected_cardinality must be >= 0 or -1 (infinite), \
                     got {n}"
                ))
            })?,
        };
        Ok(AssertCardinalityNode { input, expected })
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
        match self.expected {
            u64::MAX => Cardinality::Infinite,
            n => Cardinality::Finite(n),
        }
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

fn elements(n: u64) -> String {
    match n {
        u64::MAX => "infinitely many elements".into(),
        1 => "1 element".into(),
        n => format!("{n} elements"),
    }
}

fn mismatch(expected: u64, what: &str) -> Error {
    Error::FailedPrecondition(format!(
        "Input dataset was expected to contain {} but contained {what}.",
        elements(expected)
    ))
}

impl DatasetIterator for AssertCardinalityIterator {
    fn next(&mut self, ctx: &Context) -> Result<Option<Element>> {
        match self.input.next(ctx)? {
            Some(_) if self.seen == self.expected => Err(mismatch(
                self.expected,
                &format!("at least {}", elements(self.expected + 1)),
            )),
            Some(element) => {
                self.seen += 1;
                Ok(Some(element))
            }
            None if self.seen < self.expected => Err(mismatch(
                self.expected,
                &format!("only {}", elements(self.seen)),
            )),
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
