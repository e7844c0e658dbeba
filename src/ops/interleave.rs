//! `Dataset.interleave(fn, cycle_length, block_length)`: cycles over `cycle_length` datasets
//! made from input elements, taking `block_length` elements from each in turn, in exactly
//! tf.data's order (InterleaveDatasetOp): an exhausted slot is refilled from the input in place.

use std::sync::Arc;

use super::chunked::{inside_reading_job, ChunkedPrefetch};
use super::flat_map::{reopen_element, Current};
use super::parallel::{inline_run, saved_parallel};
use super::prefetch::prefetching;
use crate::engine::args::{positive, positive_or_autotune};
use crate::engine::{
    Cardinality, Context, DatasetFn, DatasetIterator, DatasetNode, Element, Result, State,
};

pub struct InterleaveNode {
    input: Arc<dyn DatasetNode>,
    func: Arc<dyn DatasetFn>,
    cycle_length: usize,
    block_length: usize,
    /// When set, every open input runs on its own thread this many chunks ahead, so the
    /// inputs of a cycle are read (decompressed, parsed) in parallel; the order is unchanged.
    parallel_buffer: Option<usize>,
    /// `None` follows the pipeline's options; only parallel interleaves can be
    /// non-deterministic.
    deterministic: Option<bool>,
    note: Option<String>,
}

impl InterleaveNode {
    pub fn new(
        input: Arc<dyn DatasetNode>,
        func: Arc<dyn DatasetFn>,
        cycle_length: i64,
        block_length: i64,
    ) -> Result<Self> {
        Ok(InterleaveNode {
            input,
            func,
            cycle_length: positive("cycle_length", cycle_length)?,
            block_length: positive("block_length", block_length)?,
            parallel_buffer: None,
            deterministic: None,
            note: None,
        })
    }

    /// A remark for the statistics (why the function runs as Python).
    pub fn with_note(mut self, note: Option<String>) -> Self {
        self.note = note;
        self
    }

    /// Reads the open inputs in parallel, each up to `buffer` chunks of elements ahead.
    pub fn parallel(mut self, buffer: usize) -> Self {
        self.parallel_buffer = Some(buffer.max(1));
        self
    }

    /// `parallel` for `interleave(num_parallel_calls=...)`: the inputs are read on worker
    /// threads whatever the count (the cycle sets the parallelism), but the count must be
    /// positive or AUTOTUNE, as tf.data requires.
    pub fn parallel_calls(self, num_parallel_calls: i64, buffer: usize) -> Result<Self> {
        positive_or_autotune("num_parallel_calls", num_parallel_calls)?;
        Ok(self.parallel(buffer))
    }

    /// With `Some(false)`, a parallel interleave yields from whichever input has an element
    /// ready when the one in turn has none.
    pub fn deterministic(mut self, deterministic: Option<bool>) -> Self {
        self.deterministic = deterministic;
        self
    }
}

impl DatasetNode for InterleaveNode {
    fn note(&self) -> Option<&str> {
        self.note.as_deref()
    }

    fn make_iterator(&self, ctx: &Arc<Context>) -> Result<Box<dyn DatasetIterator>> {
        Ok(Box::new(InterleaveIterator {
            input: ctx.open(&self.input)?,
            func: self.func.clone(),
            slots: (0..self.cycle_length).map(|_| None).collect(),
            block_length: self.block_length,
            cycle_index: 0,
            block_index: 0,
            num_open: 0,
            end_of_input: false,
            parallel_buffer: self.parallel_buffer,
            any_ready: self.parallel_buffer.is_some()
                && !self.deterministic.unwrap_or_else(|| ctx.deterministic()),
            ctx: ctx.clone(),
        }))
    }

    fn restore(
        &self,
        ctx: &Arc<Context>,
        state: &State,
        replay: bool,
    ) -> Result<Box<dyn DatasetIterator>> {
        let fields = state.fields("Interleave", 5)?;
        let saved_slots = fields.list(4)?;
        if saved_slots.len() != self.cycle_length {
            return Err(fields.malformed(&format!(
                "has {} slots, this interleave's cycle has {}",
                saved_slots.len(),
                self.cycle_length
            )));
        }
        // Inline when replayed: the slots' elements are re-produced in order, no thread ahead.
        let parallel_buffer = self.parallel_buffer.filter(|_| !replay);
        let mut slots = Vec::with_capacity(self.cycle_length);
        for saved in saved_slots {
            let slot = match saved {
                State::List(pair) if pair.is_empty() => None,
                State::List(pair) if pair.len() == 2 => {
                    let (node, input_before) =
                        reopen_element(ctx, &self.input, &*self.func, &pair[0])?;
                    let iterator = restore_slot(ctx, &node, &pair[1], parallel_buffer, replay)?;
                    Some(Current {
                        iterator,
                        input_before,
                    })
                }
                _ => return Err(fields.malformed("holds a slot that is not a pair of states")),
            };
            slots.push(slot);
        }
        let cycle_index = fields.count(1)? as usize;
        let block_index = fields.count(2)? as usize;
        if cycle_index >= self.cycle_length || block_index >= self.block_length {
            return Err(fields.malformed("is at a place outside the cycle"));
        }
        Ok(Box::new(InterleaveIterator {
            input: ctx.restore(&self.input, fields.state(0), replay)?,
            func: self.func.clone(),
            num_open: slots.iter().filter(|s| s.is_some()).count(),
            slots,
            block_length: self.block_length,
            cycle_index,
            block_index,
            end_of_input: fields.flag(3)?,
            parallel_buffer,
            any_ready: parallel_buffer.is_some()
                && !self.deterministic.unwrap_or_else(|| ctx.deterministic()),
            ctx: ctx.clone(),
        }))
    }

    fn cardinality(&self) -> Cardinality {
        match self.input.cardinality() {
            Cardinality::Finite(0) => Cardinality::Finite(0),
            _ => Cardinality::Unknown,
        }
    }
}

/// Restores one slot's reading: inline, or ahead on the shared runtime (a `Chunked` state)
/// or on a thread of its own (a `Parallel` state, when nested in another interleave).
fn restore_slot(
    ctx: &Arc<Context>,
    node: &Arc<dyn DatasetNode>,
    state: &State,
    parallel_buffer: Option<usize>,
    replay: bool,
) -> Result<Box<dyn DatasetIterator>> {
    let (inner, passed) = match state {
        s if s.is_op("Chunked") => {
            let fields = state.fields("Chunked", 2)?;
            (fields.state(0), fields.count(1)?)
        }
        s if s.is_op("Parallel") => {
            let (inner, beyond) = saved_parallel(state)?;
            inline_run(&beyond)?;
            (inner, 0)
        }
        _ => (state, 0),
    };
    let mut iterator = ctx.restore(node, inner, replay)?;
    if iterator.pass_over(ctx, passed)? < passed {
        return Err(crate::engine::Error::InvalidArgument(
            "the state does not fit this dataset: an interleaved input has fewer elements \
             than the state says were taken"
                .into(),
        ));
    }
    Ok(match parallel_buffer {
        None => iterator,
        Some(_) if inside_reading_job() => Box::new(prefetching(iterator, None, ctx.clone())?),
        Some(buffer) => Box::new(ChunkedPrefetch::start(iterator, buffer, ctx.clone())?),
    })
}

struct InterleaveIterator {
    input: Box<dyn DatasetIterator>,
    func: Arc<dyn DatasetFn>,
    slots: Vec<Option<Current>>,
    block_length: usize,
    cycle_index: usize,
    block_index: usize,
    num_open: usize,
    end_of_input: bool,
    parallel_buffer: Option<usize>,
    /// Non-deterministic: take from any input with an element ready.
    any_ready: bool,
    ctx: Arc<Context>,
}

impl InterleaveIterator {
    /// Fills `slot` with the dataset of the next input element (running on its own thread
    /// when parallel), or notes the end of the input.
    fn open_slot(&mut self, slot: usize, ctx: &Context) -> Result<()> {
        // Kept for a checkpoint; an input that cannot save fails `save`, not this.
        let before = self.input.save().unwrap_or(State::Int(-1));
        match self.input.next(ctx)? {
            Some(element) => {
                let dataset = self.func.call(element)?;
                let mut opened = self.ctx.open(&dataset)?;
                if let Some(buffer) = self.parallel_buffer {
                    opened = if inside_reading_job() {
                        // Nested in another interleave's reading job: a thread of its own.
                        Box::new(prefetching(opened, None, self.ctx.clone())?)
                    } else {
                        Box::new(ChunkedPrefetch::start(opened, buffer, self.ctx.clone())?)
                    };
                }
                self.slots[slot] = Some(Current {
                    iterator: opened,
                    input_before: before,
                });
                self.num_open += 1;
            }
            None => self.end_of_input = true,
        }
        Ok(())
    }

    /// Opens every empty slot now, in the order the cycle will reach them, so their datasets
    /// start reading (and a slow open is hidden) before they are needed. The slots get the
    /// same input elements as when opened on arrival, so the output order is unchanged.
    fn open_ahead(&mut self, ctx: &Context) -> Result<()> {
        let n = self.slots.len();
        for k in 0..n {
            if self.end_of_input || self.num_open == n {
                break;
            }
            let slot = (self.cycle_index + k) % n;
            if self.slots[slot].is_none() {
                self.open_slot(slot, ctx)?;
            }
        }
        Ok(())
    }

    /// An element some open input has ready now, looking from the slot in turn onwards; inputs
    /// found finished are closed (and refilled).
    fn take_any_ready(&mut self, ctx: &Context) -> Result<Option<Element>> {
        let n = self.slots.len();
        for k in 0..n {
            let slot = (self.cycle_index + k) % n;
            let Some(input) = self.slots[slot].as_mut() else {
                continue;
            };
            match input.iterator.try_next(ctx) {
                Some(Ok(Some(element))) => {
                    if k == 0 {
                        self.block_index += 1;
                        if self.block_index == self.block_length {
                            self.advance_to_next_in_cycle();
                        }
                    }
                    return Ok(Some(element));
                }
                Some(Ok(None)) => {
                    self.slots[slot] = None;
                    self.num_open -= 1;
                    self.open_ahead(ctx)?;
                }
                Some(Err(e)) => return Err(e),
                None => {}
            }
        }
        Ok(None)
    }

    fn advance_to_next_in_cycle(&mut self) {
        self.block_index = 0;
        self.cycle_index = (self.cycle_index + 1) % self.slots.len();
    }
}

impl DatasetIterator for InterleaveIterator {
    fn next(&mut self, ctx: &Context) -> Result<Option<Element>> {
        if self.parallel_buffer.is_some() {
            self.open_ahead(ctx)?;
        }
        if self.any_ready {
            if let Some(ready) = self.take_any_ready(ctx)? {
                return Ok(Some(ready));
            }
        }
        while !self.end_of_input || self.num_open > 0 {
            if let Some(current) = self.slots[self.cycle_index].as_mut() {
                if let Some(element) = current.iterator.next(ctx)? {
                    self.block_index += 1;
                    if self.block_index == self.block_length {
                        self.advance_to_next_in_cycle();
                    }
                    return Ok(Some(element));
                }
                self.slots[self.cycle_index] = None;
                self.num_open -= 1;
                self.advance_to_next_in_cycle();
                if self.parallel_buffer.is_some() {
                    self.open_ahead(ctx)?;
                }
            } else if !self.end_of_input {
                self.open_slot(self.cycle_index, ctx)?;
            } else {
                self.advance_to_next_in_cycle();
            }
        }
        Ok(None)
    }

    fn save(&self) -> Result<State> {
        let slots = self
            .slots
            .iter()
            .map(|slot| {
                Ok(match slot {
                    None => State::list(Vec::new()),
                    Some(s) => State::list(vec![s.input_before.clone(), s.iterator.save()?]),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(State::op(
            "Interleave",
            vec![
                self.input.save()?,
                State::count(self.cycle_index as u64),
                State::count(self.block_index as u64),
                State::flag(self.end_of_input),
                State::list(slots),
            ],
        ))
    }
}
