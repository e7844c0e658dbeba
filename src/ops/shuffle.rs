//! `Dataset.shuffle(buffer_size, seed, reshuffle_each_iteration)`: fills a buffer of
//! `buffer_size` elements, then outputs a uniformly chosen one and refills its slot from the
//! input, as tf.data does. A buffer of 1 keeps the input order.
//!
//! Which input element sits in which slot depends only on the seed and on how many elements
//! were pulled and given out, so the saved state holds those counts, not the buffer: a
//! restore runs the slot choices again on input indexes (nanoseconds each), then re-reads
//! the buffered elements from an input state kept at or before the earliest of them (see
//! `trail`); saving costs the same whatever the buffer size.

use std::collections::VecDeque;
use std::sync::Arc;

use super::trail::{refill, Trail};
use crate::engine::random::{RandomStream, SeedGenerator};
use crate::engine::{
    save_maybe, Cardinality, Context, DatasetIterator, DatasetNode, Element, Error, Result, State,
};

pub struct ShuffleNode {
    input: Arc<dyn DatasetNode>,
    buffer_size: usize,
    seeds: SeedGenerator,
}

impl ShuffleNode {
    pub fn new(
        input: Arc<dyn DatasetNode>,
        buffer_size: i64,
        seed: Option<u64>,
        reshuffle_each_iteration: bool,
    ) -> Result<Self> {
        if buffer_size <= 0 {
            return Err(Error::InvalidArgument(format!(
                "shuffle: buffer_size must be greater than zero, got {buffer_size}"
            )));
        }
        Ok(ShuffleNode {
            input,
            buffer_size: buffer_size as usize,
            seeds: SeedGenerator::new(seed, reshuffle_each_iteration),
        })
    }
}

impl DatasetNode for ShuffleNode {
    fn make_iterator(&self, ctx: &Arc<Context>) -> Result<Box<dyn DatasetIterator>> {
        let (iteration, rng) = self.seeds.next_iteration(ctx.probing());
        Ok(Box::new(ShuffleIterator {
            input: Some(ctx.open(&self.input)?),
            buffer: Vec::new(),
            indexes: Vec::new(),
            buffer_size: self.buffer_size,
            rng,
            seed: self.seeds.seed(),
            iteration,
            emitted: 0,
            ended: false,
            held: Held::default(),
            trail: Trail::new(),
        }))
    }

    fn cardinality(&self) -> Cardinality {
        self.input.cardinality()
    }

    fn restore(
        &self,
        ctx: &Arc<Context>,
        state: &State,
        replay: bool,
    ) -> Result<Box<dyn DatasetIterator>> {
        let fields = state.fields("Shuffle", 8)?;
        let (seed, iteration) = (fields.bits(0)?, fields.count(1)?);
        let counts = Counts {
            emitted: fields.count(2)?,
            pulled: fields.count(3)?,
            ended: fields.flag(4)?,
        };
        let mut rng = self
            .seeds
            .restore(seed, iteration, 0)
            .map_err(Error::InvalidArgument)?;
        let slots = replay_choices(self.buffer_size, &counts, &mut rng)
            .ok_or_else(|| fields.malformed("counts elements the buffer never gave out"))?;
        let oldest = slots.iter().min().copied();
        let mark = Trail::saved_mark(&fields, 6, oldest)?;
        let (buffer, held) = match &mark {
            None => (Vec::new(), Held::starting_at(counts.pulled)),
            Some((at, state)) => {
                let buffer = refill(ctx, &self.input, (*at, state), &slots)?
                    .into_iter()
                    .collect::<Result<Vec<Element>>>()?;
                (buffer, Held::holding(&slots, counts.pulled))
            }
        };
        Ok(Box::new(ShuffleIterator {
            input: ctx.restore_maybe(&self.input, fields.maybe(5)?, replay)?,
            buffer,
            indexes: slots,
            buffer_size: self.buffer_size,
            rng,
            seed,
            iteration,
            emitted: counts.emitted,
            ended: counts.ended,
            held,
            trail: Trail::restored(counts.pulled, mark),
        }))
    }
}

/// How far a saved pass got: elements given out and pulled, and whether the input ended.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
struct Counts {
    emitted: u64,
    pulled: u64,
    ended: bool,
}

/// The slot choices of a pass that got to `target`, run again on input indexes: the index
/// in each slot of the buffer then, with `rng` where the pass left it. `None` when the counts
/// are not ones a pass reaches.
fn replay_choices(buffer_size: usize, target: &Counts, rng: &mut RandomStream) -> Option<Vec<u64>> {
    let available = if target.ended {
        target.pulled
    } else {
        u64::MAX
    };
    let mut slots: Vec<u64> = Vec::new();
    let mut pulled = 0u64;
    let pull = |pulled: &mut u64| {
        (*pulled < available).then(|| {
            *pulled += 1;
            *pulled - 1
        })
    };
    for _ in 0..target.emitted {
        while slots.len() < buffer_size {
            match pull(&mut pulled) {
                Some(index) => slots.push(index),
                None => break,
            }
        }
        if slots.is_empty() {
            return None;
        }
        let i = rng.below(slots.len() as u64) as usize;
        match pull(&mut pulled) {
            Some(index) => slots[i] = index,
            None => {
                slots.swap_remove(i);
            }
        }
    }
    (pulled == target.pulled).then_some(slots)
}

/// Which input indexes the buffer holds, as a window from the oldest: finding the oldest
/// after any element leaves costs O(1) on average.
#[derive(Default)]
struct Held {
    /// The index of `present[0]`.
    start: u64,
    present: VecDeque<bool>,
}

impl Held {
    fn starting_at(next: u64) -> Self {
        Held {
            start: next,
            present: VecDeque::new(),
        }
    }

    /// The window of a restored buffer holding `indexes`, `pulled` elements in.
    fn holding(indexes: &[u64], pulled: u64) -> Self {
        let start = indexes.iter().copied().min().unwrap_or(pulled);
        let mut present: VecDeque<bool> = (start..pulled).map(|_| false).collect();
        for &i in indexes {
            present[(i - start) as usize] = true;
        }
        Held { start, present }
    }

    fn push(&mut self) {
        self.present.push_back(true);
    }

    fn remove(&mut self, index: u64) {
        self.present[(index - self.start) as usize] = false;
        while self.present.front() == Some(&false) {
            self.present.pop_front();
            self.start += 1;
        }
    }

    /// The oldest index held, or the next to be pulled when none is.
    fn oldest(&self) -> u64 {
        self.start
    }
}

struct ShuffleIterator {
    input: Option<Box<dyn DatasetIterator>>,
    buffer: Vec<Element>,
    /// The input index of each buffered element, slot for slot.
    indexes: Vec<u64>,
    buffer_size: usize,
    rng: RandomStream,
    seed: u64,
    iteration: u64,
    emitted: u64,
    /// The input has ended (it is kept: see `pull`).
    ended: bool,
    held: Held,
    /// Counts the elements pulled, and keeps input states to re-read the buffer from.
    trail: Trail,
}

impl ShuffleIterator {
    /// The next input element, and its index.
    fn pull(&mut self, ctx: &Context) -> Result<Option<Element>> {
        let Some(input) = self.input.as_mut().filter(|_| !self.ended) else {
            return Ok(None);
        };
        self.trail.before_pull(&**input);
        let next = input.next(ctx)?;
        match next {
            Some(_) => {
                self.trail.count_pull();
                self.held.push();
            }
            // The ended input is kept: its state still holds the seeds and passes of the
            // stages under it, which the epochs after a restored one need.
            None => self.ended = true,
        }
        Ok(next)
    }
}

impl DatasetIterator for ShuffleIterator {
    fn next(&mut self, ctx: &Context) -> Result<Option<Element>> {
        while self.buffer.len() < self.buffer_size {
            match self.pull(ctx)? {
                Some(e) => {
                    self.buffer.push(e);
                    self.indexes.push(self.trail.pulled() - 1);
                }
                None => break,
            }
        }
        if self.buffer.is_empty() {
            return Ok(None);
        }
        let i = self.rng.below(self.buffer.len() as u64) as usize;
        let gone = self.indexes[i];
        let out = match self.pull(ctx)? {
            Some(replacement) => {
                self.indexes[i] = self.trail.pulled() - 1;
                std::mem::replace(&mut self.buffer[i], replacement)
            }
            None => {
                self.indexes.swap_remove(i);
                self.buffer.swap_remove(i)
            }
        };
        self.held.remove(gone);
        self.trail.prune(self.held.oldest());
        self.emitted += 1;
        Ok(Some(out))
    }

    fn save(&self) -> Result<State> {
        let [mark_at, mark] = self
            .trail
            .save(self.held.oldest(), !self.buffer.is_empty())?;
        Ok(State::op(
            "Shuffle",
            vec![
                State::bits(self.seed),
                State::count(self.iteration),
                State::count(self.emitted),
                State::count(self.trail.pulled()),
                State::flag(self.ended),
                save_maybe(&self.input)?,
                mark_at,
                mark,
            ],
        ))
    }
}
