//! `Dataset.window(size, shift, stride, drop_remainder)`: windows of `size` elements taken
//! `stride` apart, starting every `shift` elements, each component stacked along a new
//! first dimension (the Python layer hands each window out as datasets). Near the end a
//! window holds fewer elements, unless `drop_remainder` drops it. A saved pass names the
//! input indexes its buffer holds, re-read on restore (see `trail`).

use std::collections::VecDeque;
use std::sync::Arc;

use super::trail::{refill, Trail};
use crate::engine::args::positive;
use crate::engine::{
    save_maybe, Batch, Cardinality, Context, DatasetIterator, DatasetNode, Element, Error, Result,
    State,
};

#[derive(Debug, Clone, Copy)]
pub struct WindowShape {
    pub size: usize,
    pub shift: usize,
    pub stride: usize,
    pub drop_remainder: bool,
}

impl WindowShape {
    pub fn new(size: i64, shift: i64, stride: i64, drop_remainder: bool) -> Result<Self> {
        Ok(WindowShape {
            size: positive("size", size)?,
            shift: positive("shift", shift)?,
            stride: positive("stride", stride)?,
            drop_remainder,
        })
    }

    /// Input elements one window spans, first to last.
    fn span(&self) -> usize {
        (self.size - 1)
            .saturating_mul(self.stride)
            .saturating_add(1)
    }
}

pub struct WindowNode {
    input: Arc<dyn DatasetNode>,
    shape: WindowShape,
}

impl WindowNode {
    pub fn new(input: Arc<dyn DatasetNode>, shape: WindowShape) -> Self {
        WindowNode { input, shape }
    }
}

impl DatasetNode for WindowNode {
    fn make_iterator(&self, ctx: &Arc<Context>) -> Result<Box<dyn DatasetIterator>> {
        Ok(Box::new(WindowIterator {
            input: Some(ctx.open(&self.input)?),
            shape: self.shape,
            buffer: VecDeque::new(),
            skip: 0,
            trail: Trail::new(),
        }))
    }

    fn restore(
        &self,
        ctx: &Arc<Context>,
        state: &State,
        replay: bool,
    ) -> Result<Box<dyn DatasetIterator>> {
        let fields = state.fields("Window", 6)?;
        let (pulled, held, skip) = (fields.count(0)?, fields.count(1)?, fields.count(2)?);
        let oldest = pulled
            .checked_sub(held)
            .ok_or_else(|| fields.malformed("holds more elements than it pulled"))?;
        if held > self.shape.span() as u64 || skip > self.shape.shift as u64 {
            return Err(fields.malformed("holds more than this window spans"));
        }
        let mark = Trail::saved_mark(&fields, 3, (held > 0).then_some(oldest))?;
        let buffer = match &mark {
            Some((at, state)) => {
                let indexes: Vec<u64> = (oldest..pulled).collect();
                refill(ctx, &self.input, (*at, state), &indexes)?.into()
            }
            None => VecDeque::new(),
        };
        Ok(Box::new(WindowIterator {
            input: ctx.restore_maybe(&self.input, fields.maybe(5)?, replay)?,
            shape: self.shape,
            buffer,
            skip: skip as usize,
            trail: Trail::restored(pulled, mark),
        }))
    }

    fn cardinality(&self) -> Cardinality {
        let s = self.shape;
        match self.input.cardinality() {
            Cardinality::Finite(n) => {
                let n = n as usize;
                let starts = if s.drop_remainder {
                    if n < s.span() {
                        0
                    } else {
                        (n - s.span()) / s.shift + 1
                    }
                } else {
                    n.div_ceil(s.shift)
                };
                Cardinality::Finite(starts as u64)
            }
            other => other,
        }
    }
}

struct WindowIterator {
    /// None once the input has ended.
    input: Option<Box<dyn DatasetIterator>>,
    shape: WindowShape,
    /// Elements (or their errors) from the next window's first on: an error counts only if
    /// its element ends up in a window, as in tf.data.
    buffer: VecDeque<Result<Element>>,
    /// Input elements to pass over before the next window starts (when shift > span).
    skip: usize,
    trail: Trail,
}

/// Errors that stop the pipeline whatever element they come from.
fn stops(e: &Error) -> bool {
    matches!(e, Error::Cancelled | Error::Interrupted(_))
}

impl WindowIterator {
    /// The input index of the oldest element held, or of the next one when none is.
    fn oldest(&self) -> u64 {
        self.trail.pulled() - self.buffer.len() as u64
    }

    /// Reads until the buffer holds a whole window or the input ends.
    fn fill(&mut self, ctx: &Context) -> Result<()> {
        while let Some(input) = self.input.as_mut() {
            if self.skip == 0 && self.buffer.len() >= self.shape.span() {
                break;
            }
            self.trail.before_pull(&**input);
            let next = input.next(ctx);
            if !matches!(next, Ok(None)) {
                self.trail.count_pull();
            }
            match next {
                Err(e) if stops(&e) => return Err(e),
                Ok(None) => self.input = None,
                _ if self.skip > 0 => self.skip -= 1,
                Ok(Some(element)) => self.buffer.push_back(Ok(element)),
                Err(e) => self.buffer.push_back(Err(e)),
            }
        }
        Ok(())
    }
}

impl DatasetIterator for WindowIterator {
    fn next(&mut self, ctx: &Context) -> Result<Option<Element>> {
        self.fill(ctx)?;
        let s = self.shape;
        let count = self.buffer.len().div_ceil(s.stride).min(s.size);
        if count == 0 || (s.drop_remainder && count < s.size) {
            self.buffer.clear();
            return Ok(None);
        }
        let members: Vec<Result<Element>> = self
            .buffer
            .iter()
            .step_by(s.stride)
            .take(s.size)
            .cloned()
            .collect();
        // The next window starts `shift` on, whether this one stacks or fails.
        let dropped = s.shift.min(self.buffer.len());
        self.buffer.drain(..dropped);
        self.skip = s.shift - dropped;
        self.trail.prune(self.oldest());
        let members = members.into_iter().collect::<Result<Vec<Element>>>()?;
        let window = Batch::stack(&members).map_err(|e| {
            Error::InvalidArgument(format!(
                "window: elements of one window must have one shape per component ({e})"
            ))
        })?;
        Ok(Some(window.tensors))
    }

    fn save(&self) -> Result<State> {
        let [mark_at, mark] = self.trail.save(self.oldest(), !self.buffer.is_empty())?;
        Ok(State::op(
            "Window",
            vec![
                State::count(self.trail.pulled()),
                State::count(self.buffer.len() as u64),
                State::count(self.skip as u64),
                mark_at,
                mark,
                save_maybe(&self.input)?,
            ],
        ))
    }
}
