//! `Dataset.concatenate(other)`: all of one dataset, then all of another.

use std::sync::Arc;

use crate::engine::{Cardinality, Context, DatasetIterator, DatasetNode, Element, Result, State};

pub struct ConcatenateNode {
    first: Arc<dyn DatasetNode>,
    second: Arc<dyn DatasetNode>,
}

impl ConcatenateNode {
    pub fn new(first: Arc<dyn DatasetNode>, second: Arc<dyn DatasetNode>) -> Self {
        ConcatenateNode { first, second }
    }
}

impl DatasetNode for ConcatenateNode {
    fn make_iterator(&self, ctx: &Arc<Context>) -> Result<Box<dyn DatasetIterator>> {
        Ok(Box::new(ConcatenateIterator {
            current: ctx.open(&self.first)?,
            second: Some(self.second.clone()),
            ctx: ctx.clone(),
        }))
    }

    fn restore(
        &self,
        ctx: &Arc<Context>,
        state: &State,
        replay: bool,
    ) -> Result<Box<dyn DatasetIterator>> {
        let fields = state.fields("Concatenate", 2)?;
        let on_second = fields.flag(0)?;
        let node = if on_second { &self.second } else { &self.first };
        Ok(Box::new(ConcatenateIterator {
            current: ctx.restore(node, fields.state(1), replay)?,
            second: (!on_second).then(|| self.second.clone()),
            ctx: ctx.clone(),
        }))
    }

    fn cardinality(&self) -> Cardinality {
        use Cardinality::*;
        match (self.first.cardinality(), self.second.cardinality()) {
            (Finite(a), Finite(b)) => Finite(a + b),
            (Infinite, _) | (_, Infinite) => Infinite,
            _ => Unknown,
        }
    }
}

struct ConcatenateIterator {
    current: Box<dyn DatasetIterator>,
    second: Option<Arc<dyn DatasetNode>>,
    ctx: Arc<Context>,
}

impl DatasetIterator for ConcatenateIterator {
    fn next(&mut self, ctx: &Context) -> Result<Option<Element>> {
        loop {
            if let Some(element) = self.current.next(ctx)? {
                return Ok(Some(element));
            }
            match self.second.take() {
                Some(second) => self.current = self.ctx.open(&second)?,
                None => return Ok(None),
            }
        }
    }

    fn save(&self) -> Result<State> {
        Ok(State::op(
            "Concatenate",
            vec![State::flag(self.second.is_none()), self.current.save()?],
        ))
    }
}
