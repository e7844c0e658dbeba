//! `Dataset.flat_map(fn)`: each element becomes a dataset, read to its end before the next.

use std::sync::Arc;

use crate::engine::{
    Cardinality, Context, DatasetFn, DatasetIterator, DatasetNode, Element, Result,
};

pub struct FlatMapNode {
    input: Arc<dyn DatasetNode>,
    func: Arc<dyn DatasetFn>,
    note: Option<String>,
}

impl FlatMapNode {
    pub fn new(input: Arc<dyn DatasetNode>, func: Arc<dyn DatasetFn>) -> Self {
        FlatMapNode {
            input,
            func,
            note: None,
        }
    }

    /// A remark for the statistics (why the function runs as Python).
    pub fn with_note(mut self, note: Option<String>) -> Self {
        self.note = note;
        self
    }
}

impl DatasetNode for FlatMapNode {
    fn make_iterator(&self, ctx: &Arc<Context>) -> Result<Box<dyn DatasetIterator>> {
        Ok(Box::new(FlatMapIterator {
            input: ctx.open(&self.input)?,
            func: self.func.clone(),
            current: None,
            ctx: ctx.clone(),
        }))
    }

    fn note(&self) -> Option<&str> {
        self.note.as_deref()
    }

    fn cardinality(&self) -> Cardinality {
        match self.input.cardinality() {
            Cardinality::Finite(0) => Cardinality::Finite(0),
            _ => Cardinality::Unknown,
        }
    }
}

struct FlatMapIterator {
    input: Box<dyn DatasetIterator>,
    func: Arc<dyn DatasetFn>,
    current: Option<Box<dyn DatasetIterator>>,
    ctx: Arc<Context>,
}

impl DatasetIterator for FlatMapIterator {
    fn next(&mut self, ctx: &Context) -> Result<Option<Element>> {
        loop {
            if let Some(current) = self.current.as_mut() {
                if let Some(element) = current.next(ctx)? {
                    return Ok(Some(element));
                }
                self.current = None;
            }
            match self.input.next(ctx)? {
                Some(element) => self.current = Some(self.ctx.open(&self.func.call(element)?)?),
                None => return Ok(None),
            }
        }
    }
}
