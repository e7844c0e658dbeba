//! `Dataset.repeat(count)`: the input `count` times, or forever when `count` is -1.

use std::sync::Arc;

use crate::engine::{
    save_maybe, Cardinality, Context, DatasetIterator, DatasetNode, Element, Result, State,
};

pub struct RepeatNode {
    input: Arc<dyn DatasetNode>,
    /// `None` repeats forever.
    count: Option<u64>,
}

impl RepeatNode {
    pub fn new(input: Arc<dyn DatasetNode>, count: i64) -> Self {
        RepeatNode {
            input,
            count: u64::try_from(count).ok(),
        }
    }
}

impl DatasetNode for RepeatNode {
    fn make_iterator(&self, ctx: &Arc<Context>) -> Result<Box<dyn DatasetIterator>> {
        let mut it = RepeatIterator {
            input: self.input.clone(),
            ctx: ctx.clone(),
            current: None,
            current_ended: false,
            epochs_left: self.count,
            epoch_was_empty: false,
        };
        // Opened now, not on the first `next`: a state saved before any element then holds
        // the seeds the input's stages picked, and a restored pass uses them.
        it.open_epoch()?;
        Ok(Box::new(it))
    }

    fn cardinality(&self) -> Cardinality {
        let input = self.input.cardinality();
        match (self.count, input) {
            (Some(0), _) | (_, Cardinality::Finite(0)) => Cardinality::Finite(0),
            (None, Cardinality::Unknown) => Cardinality::Unknown,
            (None, _) => Cardinality::Infinite,
            (Some(k), c) => c.map(|n| n.saturating_mul(k)),
        }
    }

    fn restore(
        &self,
        ctx: &Arc<Context>,
        state: &State,
        replay: bool,
    ) -> Result<Box<dyn DatasetIterator>> {
        let fields = state.fields("Repeat", 4)?;
        let epochs_left = match fields.int(0)? {
            -1 => None,
            n => Some(u64::try_from(n).map_err(|_| fields.malformed("field 0 is below -1"))?),
        };
        Ok(Box::new(RepeatIterator {
            input: self.input.clone(),
            ctx: ctx.clone(),
            current: ctx.restore_maybe(&self.input, fields.maybe(3)?, replay)?,
            current_ended: fields.flag(2)?,
            epochs_left,
            epoch_was_empty: fields.flag(1)?,
        }))
    }
}

struct RepeatIterator {
    input: Arc<dyn DatasetNode>,
    ctx: Arc<Context>,
    /// The epoch being read; once it ends it is kept until the next one opens, because its
    /// state still holds the seeds and passes of the stages under it.
    current: Option<Box<dyn DatasetIterator>>,
    current_ended: bool,
    epochs_left: Option<u64>,
    epoch_was_empty: bool,
}

impl RepeatIterator {
    /// Opens the next epoch; false when none is left.
    fn open_epoch(&mut self) -> Result<bool> {
        match &mut self.epochs_left {
            Some(0) => return Ok(false),
            Some(k) => *k -= 1,
            None => {}
        }
        self.current = Some(self.ctx.open(&self.input)?);
        self.current_ended = false;
        self.epoch_was_empty = true;
        Ok(true)
    }
}

impl DatasetIterator for RepeatIterator {
    fn next(&mut self, ctx: &Context) -> Result<Option<Element>> {
        loop {
            if (self.current.is_none() || self.current_ended) && !self.open_epoch()? {
                return Ok(None);
            }
            match self.current.as_mut().expect("opened above").next(ctx)? {
                Some(element) => {
                    self.epoch_was_empty = false;
                    return Ok(Some(element));
                }
                None => {
                    self.current_ended = true;
                    // An empty input would otherwise be restarted forever.
                    if self.epoch_was_empty {
                        self.epochs_left = Some(0);
                    }
                }
            }
        }
    }

    fn save(&self) -> Result<State> {
        let epochs_left = self
            .epochs_left
            .map_or(-1, |n| n.min(i64::MAX as u64) as i64);
        Ok(State::op(
            "Repeat",
            vec![
                State::int(epochs_left),
                State::flag(self.epoch_was_empty),
                State::flag(self.current_ended),
                save_maybe(&self.current)?,
            ],
        ))
    }
}
