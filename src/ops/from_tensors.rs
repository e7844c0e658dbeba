//! `Dataset.from_tensors(element)`: one element.

use std::sync::Arc;

use crate::engine::{Cardinality, Context, DatasetIterator, DatasetNode, Element, Result};

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
}

struct FromTensorsIterator {
    element: Option<Element>,
}

impl DatasetIterator for FromTensorsIterator {
    fn next(&mut self, _ctx: &Context) -> Result<Option<Element>> {
        Ok(self.element.take())
    }
}
