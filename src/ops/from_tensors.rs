//! `Dataset.from_tensors(element)`: one element.

use std::sync::Arc;

use crate::engine::{Cardinality, Context, DatasetIterator, DatasetNode, Element, Result, State};

pub struct FromTensorsNode {
    element: Element,
}

impl FromTensorsNode {
    pub fn new(element: Element) -> Self {
        FromTensorsNode { element }
    }
}

impl DatasetNode for FromTensorsNode {
    fn make_iterator(&self, _ctx: &Arc<Context>) -> Result<Box<dyn DatasetIterator>> {
        Ok(Box::new(FromTensorsIterator {
            element: Some(self.element.clone()),
        }))
    }

    fn cardinality(&self) -> Cardinality {
        Cardinality::Finite(1)
    }

    fn restore(
        &self,
        _ctx: &Arc<Context>,
        state: &State,
        _replay: bool,
    ) -> Result<Box<dyn DatasetIterator>> {
        let given = state.fields("FromTensors", 1)?.flag(0)?;
        Ok(Box::new(FromTensorsIterator {
            element: (!given).then(|| self.element.clone()),
        }))
    }
}

struct FromTensorsIterator {
    element: Option<Element>,
}

impl DatasetIterator for FromTensorsIterator {
    fn next(&mut self, _ctx: &Context) -> Result<Option<Element>> {
        Ok(self.element.take())
    }

    fn save(&self) -> Result<State> {
        Ok(State::op(
            "FromTensors",
            vec![State::flag(self.element.is_none())],
        ))
    }
}
