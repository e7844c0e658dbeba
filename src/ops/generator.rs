//! `Dataset.from_generator`: elements pulled from an external producer (a Python generator).

use std::sync::Arc;

use crate::engine::{Cardinality, Context, DatasetIterator, DatasetNode, Element, Result};

/// Starts one pass of an external producer; called once per iterator, as tf.data calls the
/// generator function anew for each iteration.
pub trait ElementSource: Send + Sync {
    fn open(&self) -> Result<Box<dyn ElementStream>>;
}

pub trait ElementStream: Send {
    fn next(&mut self) -> Result<Option<Element>>;
}

pub struct GeneratorNode {
    source: Arc<dyn ElementSource>,
}

impl GeneratorNode {
    pub fn new(source: Arc<dyn ElementSource>) -> Self {
        GeneratorNode { source }
    }
}

impl DatasetNode for GeneratorNode {
    fn make_iterator(&self, _ctx: &Arc<Context>) -> Result<Box<dyn DatasetIterator>> {
        Ok(Box::new(GeneratorIterator {
            stream: None,
            source: self.source.clone(),
            done: false,
        }))
    }

    fn cardinality(&self) -> Cardinality {
        Cardinality::Unknown
    }
}

/// Opens the stream lazily, on the first `next`, as tf.data does.
struct GeneratorIterator {
    source: Arc<dyn ElementSource>,
    stream: Option<Box<dyn ElementStream>>,
    done: bool,
}

impl DatasetIterator for GeneratorIterator {
    fn next(&mut self, _ctx: &Context) -> Result<Option<Element>> {
        if self.done {
            return Ok(None);
        }
        if self.stream.is_none() {
            self.stream = Some(self.source.open()?);
        }
        let item = self.stream.as_mut().expect("opened above").next();
        if !matches!(item, Ok(Some(_))) {
            self.done = true;
            self.stream = None;
        }
        item
    }
}
