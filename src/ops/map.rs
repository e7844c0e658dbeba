//! `Dataset.map(fn)`: applies a function to each element, in order.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::engine::{
    Cardinality, Context, DatasetIterator, DatasetNode, Element, ElementFn, Position, Result,
};

pub struct MapNode {
    input: Arc<dyn DatasetNode>,
    func: Arc<dyn ElementFn>,
    note: Option<String>,
    /// Passes started so far: each pass gets its own random values.
    passes: AtomicU64,
}

impl MapNode {
    pub fn new(input: Arc<dyn DatasetNode>, func: Arc<dyn ElementFn>) -> Self {
        MapNode {
            input,
            func,
            note: None,
            passes: AtomicU64::new(0),
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
            position: Position {
                pass: self.passes.fetch_add(1, Ordering::Relaxed),
                index: 0,
            },
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
    position: Position,
}

impl DatasetIterator for MapIterator {
    fn next(&mut self, ctx: &Context) -> Result<Option<Element>> {
        match self.input.next(ctx)? {
            Some(element) => {
                let at = self.position;
                self.position.index += 1;
                self.func.call_at(element, at).map(Some)
            }
            None => Ok(None),
        }
    }
}
