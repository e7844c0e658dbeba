//! `Dataset.from_generator`: elements pulled from an external producer (a Python generator).
//! A generator cannot seek, so a saved pass holds how many elements it gave, and a restored
//! one calls the generator anew and passes over that many: exact when the generator yields
//! the same elements each time it is called, and costing the prefix it replays.

use std::sync::Arc;

use crate::engine::{
    Cardinality, Context, DatasetIterator, DatasetNode, Element, Error, Result, State,
};

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
            given: 0,
            replay: 0,
        }))
    }

    fn cardinality(&self) -> Cardinality {
        Cardinality::Unknown
    }

    fn restore(
        &self,
        _ctx: &Arc<Context>,
        state: &State,
        _replay: bool,
    ) -> Result<Box<dyn DatasetIterator>> {
        let fields = state.fields("Generator", 2)?;
        let (given, done) = (fields.count(0)?, fields.flag(1)?);
        Ok(Box::new(GeneratorIterator {
            stream: None,
            source: self.source.clone(),
            done,
            given,
            replay: if done { 0 } else { given },
        }))
    }
}

/// Opens the stream lazily, on the first `next`, as tf.data does.
struct GeneratorIterator {
    source: Arc<dyn ElementSource>,
    stream: Option<Box<dyn ElementStream>>,
    done: bool,
    /// Elements given by this pass, counting those a restored pass replays.
    given: u64,
    /// Elements a restored pass still passes over when it opens the stream.
    replay: u64,
}

impl GeneratorIterator {
    fn open(&mut self) -> Result<()> {
        let mut stream = self.source.open()?;
        for passed in 0..self.replay {
            if stream.next()?.is_none() {
                return Err(Error::InvalidArgument(format!(
                    "cannot restore the iterator: from_generator's generator gave {passed} \
                     elements where the saved state is after {}; resuming replays the \
                     generator, so it must yield the same elements each time it is called",
                    self.replay
                )));
            }
        }
        self.replay = 0;
        self.stream = Some(stream);
        Ok(())
    }
}

impl DatasetIterator for GeneratorIterator {
    fn next(&mut self, _ctx: &Context) -> Result<Option<Element>> {
        if self.done {
            return Ok(None);
        }
        if self.stream.is_none() {
            self.open()?;
        }
        let item = self.stream.as_mut().expect("opened above").next();
        match item {
            Ok(Some(_)) => self.given += 1,
            _ => {
                self.done = true;
                self.stream = None;
            }
        }
        item
    }

    fn save(&self) -> Result<State> {
        Ok(State::op(
            "Generator",
            vec![State::count(self.given), State::flag(self.done)],
        ))
    }
}
