//! `Dataset.flat_map(fn)`: each element becomes a dataset, read to its end before the next.

use std::sync::Arc;

use crate::engine::{
    Cardinality, Context, DatasetFn, DatasetIterator, DatasetNode, Element, Error, Result, State,
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

    fn restore(
        &self,
        ctx: &Arc<Context>,
        state: &State,
        replay: bool,
    ) -> Result<Box<dyn DatasetIterator>> {
        let fields = state.fields("FlatMap", 2)?;
        let current = match fields.maybe(1)? {
            None => None,
            Some(saved) => {
                let (before, inner) = match saved {
                    State::List(pair) if pair.len() == 2 => (&pair[0], &pair[1]),
                    _ => return Err(fields.malformed("field 1 is not a pair of states")),
                };
                let (node, input_before) = reopen_element(ctx, &self.input, &*self.func, before)?;
                Some(Current {
                    iterator: ctx.restore(&node, inner, replay)?,
                    input_before,
                })
            }
        };
        Ok(Box::new(FlatMapIterator {
            input: ctx.restore(&self.input, fields.state(0), replay)?,
            func: self.func.clone(),
            current,
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

/// The dataset made from the input element that follows `before` (an input state saved
/// before it), made again: restored inline, the input gives that element once more.
pub(crate) fn reopen_element(
    ctx: &Arc<Context>,
    input: &Arc<dyn DatasetNode>,
    func: &dyn DatasetFn,
    before: &State,
) -> Result<(Arc<dyn DatasetNode>, State)> {
    let mut replayed = ctx.restore(input, before, true)?;
    let element = replayed.next(ctx)?.ok_or_else(|| {
        Error::InvalidArgument(
            "the state does not fit this dataset: it reads a dataset made from an input \
             element the input does not have"
                .into(),
        )
    })?;
    Ok((func.call(element)?, before.clone()))
}

/// A dataset being read (by a flat_map, or in an interleave's slot), and the input's state
/// before the element it was made from.
pub(crate) struct Current {
    pub iterator: Box<dyn DatasetIterator>,
    pub input_before: State,
}

struct FlatMapIterator {
    input: Box<dyn DatasetIterator>,
    func: Arc<dyn DatasetFn>,
    current: Option<Current>,
    ctx: Arc<Context>,
}

impl DatasetIterator for FlatMapIterator {
    fn next(&mut self, ctx: &Context) -> Result<Option<Element>> {
        loop {
            if let Some(current) = self.current.as_mut() {
                if let Some(element) = current.iterator.next(ctx)? {
                    return Ok(Some(element));
                }
                self.current = None;
            }
            // Saved only for a checkpoint; an input that cannot save fails `save`, not this.
            let before = self.input.save().unwrap_or(State::Int(-1));
            match self.input.next(ctx)? {
                Some(element) => {
                    self.current = Some(Current {
                        iterator: self.ctx.open(&self.func.call(element)?)?,
                        input_before: before,
                    })
                }
                None => return Ok(None),
            }
        }
    }

    fn save(&self) -> Result<State> {
        let input = self.input.save()?;
        let current = match &self.current {
            None => None,
            Some(c) => Some(State::list(vec![
                c.input_before.clone(),
                c.iterator.save()?,
            ])),
        };
        Ok(State::op("FlatMap", vec![input, State::maybe(current)]))
    }
}
