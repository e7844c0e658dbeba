//! `Dataset.map(fn)`: applies a function to each element, in order.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::engine::{
    Cardinality, Context, DatasetIterator, DatasetNode, Element, ElementFn, Position, Result, State,
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
                pass: next_pass(&self.passes, ctx),
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

    fn restore(
        &self,
        ctx: &Arc<Context>,
        state: &State,
        replay: bool,
    ) -> Result<Box<dyn DatasetIterator>> {
        let (position, input) = restore_calls("Map", &self.passes, state)?;
        Ok(Box::new(MapIterator {
            input: ctx.restore(&self.input, input, replay)?,
            func: self.func.clone(),
            position,
        }))
    }
}

/// The number of a new pass over a map, which its functions' random operations derive
/// from; a probing pass (`Context::probing`) does not take one.
pub(crate) fn next_pass(passes: &AtomicU64, ctx: &Context) -> u64 {
    if ctx.probing() {
        passes.load(Ordering::Relaxed)
    } else {
        passes.fetch_add(1, Ordering::Relaxed)
    }
}

/// The position of a map's calls and its input's state, saved by `save_calls`. The node's
/// pass counter moves past the restored pass, so later epochs draw what they drew before.
pub(crate) fn restore_calls<'a>(
    name: &str,
    passes: &AtomicU64,
    state: &'a State,
) -> Result<(Position, &'a State)> {
    let fields = state.fields(name, 3)?;
    let position = Position {
        pass: fields.count(0)?,
        index: fields.count(1)?,
    };
    passes.store(position.pass + 1, Ordering::Relaxed);
    Ok((position, fields.state(2)))
}

/// A map's state: where its calls are, and its input's state.
pub(crate) fn save_calls(
    name: &'static str,
    position: Position,
    input: &dyn DatasetIterator,
) -> Result<State> {
    Ok(State::op(
        name,
        vec![
            State::count(position.pass),
            State::count(position.index),
            input.save()?,
        ],
    ))
}

pub(crate) struct MapIterator {
    input: Box<dyn DatasetIterator>,
    func: Arc<dyn ElementFn>,
    position: Position,
}

impl MapIterator {
    pub(crate) fn new(
        input: Box<dyn DatasetIterator>,
        func: Arc<dyn ElementFn>,
        position: Position,
    ) -> Self {
        MapIterator {
            input,
            func,
            position,
        }
    }
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

    fn pass_over(&mut self, ctx: &Context, n: u64) -> Result<u64> {
        let passed = self.input.pass_over(ctx, n)?;
        self.position.index += passed;
        Ok(passed)
    }

    fn save(&self) -> Result<State> {
        save_calls("Map", self.position, &*self.input)
    }
}
