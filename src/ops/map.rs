//! `Dataset.map(fn)`: applies a function to each element, in order.

use std::sync::Arc;

use crate::engine::{
    Cardinality, Context, DatasetIterator, DatasetNode, Element, ElementFn, Result,
};

pub struct MapNode {
    input: Arc<dyn DatasetNode>,
    func: Arc<dyn ElementFn>,
    note: Option<String>,
}

impl MapNode {
    pub fn new(input: Arc<dyn DatasetNode>, func: Arc<dyn ElementFn>) -> Self {
        MapNode {
            input,
            func,
            note: None,
        }
    }

    /// Attaches a remark for the stage's statistics.
    pub fn with_note(mut self, note: Option<String>) -> Self {
        self.note = note;
        self
    }
}

impl DatasetNode for MapNode {
    fn make_iterator(&self, ctx: &Arc<Context>) -> Result<Box<dyn DatasetIterator>> {
        Ok(Box::new(MapIterator {
            input: ctx.open(&self.input)?,
            func: self.func.clone(),
        }))
    }

    fn cardinality(&self) -> Cardinality {
        self.input.cardinality()
    }

    fn note(&self) -> Option<&str> {
        self.note.as_deref()
    }
}

struct MapIterator {
    input: Box<dyn DatasetIterator>,
    func: Arc<dyn ElementFn>,
}

impl DatasetIterator for MapIterator {
    fn next(&mut self, ctx: &Context) -> Result<Option<Element>> {
        match self.input.next(ctx)? {
            Some(element) => self.func.call(element).map(Some),
            None => Ok(None),
        }
    }
}
