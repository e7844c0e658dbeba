//! `Dataset.shuffle(buffer_size, seed, reshuffle_each_iteration)`: fills a buffer of
//! `buffer_size` elements, then outputs a uniformly chosen one and refills its slot from the
//! input, as tf.data does. A buffer of 1 keeps the input order.

use std::sync::Arc;

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
        let (iteration, rng) = self.seeds.next_iteration();
        Ok(Box::new(ShuffleIterator {
            input: Some(ctx.open(&self.input)?),
            buffer: Vec::new(),
            origins: Vec::new(),
            buffer_size: self.buffer_size,
            rng,
            seed: self.seeds.seed(),
            iteration,
            pulled: 0,
            unsaveable: None,
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
        let fields = state.fields("Shuffle", 7)?;
        let (seed, iteration, draws) = (fields.bits(0)?, fields.count(1)?, fields.count(2)?);
        let rng = self
            .seeds
            .restore(seed, iteration, draws)
            .map_err(Error::InvalidArgument)?;
        let indexes = fields
            .list(5)?
            .iter()
            .map(|s| match s {
                State::Int(n) if *n >= 0 => Ok(*n as u64),
                _ => Err(fields.malformed("lists a buffered element that is not a count")),
            })
            .collect::<Result<Vec<u64>>>()?;
        if indexes.len() > self.buffer_size {
            return Err(fields.malformed(&format!(
                "holds {} elements, more than the buffer's {}",
                indexes.len(),
                self.buffer_size
            )));
        }
        let (buffer, origins) = match fields.maybe(6)? {
            Some(earliest) => self.refill(ctx, earliest, &indexes)?,
            None if indexes.is_empty() => (Vec::new(), Vec::new()),
            None => return Err(fields.malformed("holds elements but no input position")),
        };
        Ok(Box::new(ShuffleIterator {
            input: ctx.restore_maybe(&self.input, fields.maybe(4)?, replay)?,
            buffer,
            origins,
            buffer_size: self.buffer_size,
            rng,
            seed,
            iteration,
            pulled: fields.count(3)?,
            unsaveable: None,
        }))
    }
}

impl ShuffleNode {
    /// Re-produces the buffered elements, at input `indexes` (in buffer order), from the
    /// input's state `earliest` before the first of them: passing over the elements between
    /// them (a map's function is not called for those), producing only the buffered ones.
    fn refill(
        &self,
        ctx: &Arc<Context>,
        earliest: &State,
        indexes: &[u64],
    ) -> Result<(Vec<Element>, Vec<Origin>)> {
        let misfit = || {
            Error::InvalidArgument(
                "the state does not fit this dataset: its shuffle buffer holds elements the \
                 input does not have"
                    .into(),
            )
        };
        let mut order: Vec<usize> = (0..indexes.len()).collect();
        order.sort_by_key(|&i| indexes[i]);
        let mut input = ctx.restore(&self.input, earliest, true)?;
        let mut at = indexes[order[0]];
        let mut slots: Vec<Option<(Element, Origin)>> = (0..indexes.len()).map(|_| None).collect();
        for i in order {
            let gap = indexes[i].checked_sub(at).ok_or_else(misfit)?;
            if input.pass_over(ctx, gap)? < gap {
                return Err(misfit());
            }
            let before = input.save()?;
            let element = input.next(ctx)?.ok_or_else(misfit)?;
            slots[i] = Some((
                element,
                Origin {
                    index: indexes[i],
                    before,
                },
            ));
            at = indexes[i] + 1;
        }
        Ok(slots
            .into_iter()
            .map(|s| s.expect("every slot filled"))
            .unzip())
    }
}

/// Where a buffered element came from: its index in the input and the input's state before
/// it, from which a restored iterator produces it again.
#[derive(Clone)]
struct Origin {
    index: u64,
    before: State,
}

struct ShuffleIterator {
    input: Option<Box<dyn DatasetIterator>>,
    buffer: Vec<Element>,
    /// The buffered elements' origins, slot for slot; empty once a state could not be saved.
    origins: Vec<Origin>,
    buffer_size: usize,
    rng: RandomStream,
    seed: u64,
    iteration: u64,
    /// Input elements pulled in this pass.
    pulled: u64,
    /// Why this pass's state cannot be saved, once an input state could not be.
    unsaveable: Option<Error>,
}

impl ShuffleIterator {
    fn pull(&mut self, ctx: &Context) -> Result<Option<(Element, Option<Origin>)>> {
        let Some(input) = self.input.as_mut() else {
            return Ok(None);
        };
        let before = match &self.unsaveable {
            None => match input.save() {
                Ok(state) => Some(state),
                Err(e) => {
                    self.unsaveable = Some(e);
                    self.origins.clear();
                    None
                }
            },
            Some(_) => None,
        };
        let next = input.next(ctx)?;
        if next.is_none() {
            self.input = None;
        }
        let index = self.pulled;
        self.pulled += next.is_some() as u64;
        Ok(next.map(|e| (e, before.map(|before| Origin { index, before }))))
    }
}

impl DatasetIterator for ShuffleIterator {
    fn next(&mut self, ctx: &Context) -> Result<Option<Element>> {
        while self.buffer.len() < self.buffer_size {
            match self.pull(ctx)? {
                Some((e, origin)) => {
                    self.buffer.push(e);
                    self.origins.extend(origin);
                }
                None => break,
            }
        }
        if self.buffer.is_empty() {
            return Ok(None);
        }
        let i = self.rng.below(self.buffer.len() as u64) as usize;
        let out = match self.pull(ctx)? {
            Some((replacement, origin)) => {
                if let Some(origin) = origin {
                    self.origins[i] = origin;
                }
                std::mem::replace(&mut self.buffer[i], replacement)
            }
            None => {
                if !self.origins.is_empty() {
                    self.origins.swap_remove(i);
                }
                self.buffer.swap_remove(i)
            }
        };
        Ok(Some(out))
    }

    fn save(&self) -> Result<State> {
        if let Some(e) = &self.unsaveable {
            return Err(e.clone());
        }
        let (_, draws) = self.rng.position();
        let earliest = self.origins.iter().min_by_key(|o| o.index);
        Ok(State::op(
            "Shuffle",
            vec![
                State::bits(self.seed),
                State::count(self.iteration),
                State::count(draws),
                State::count(self.pulled),
                save_maybe(&self.input)?,
                State::list(self.origins.iter().map(|o| State::count(o.index)).collect()),
                State::maybe(earliest.map(|o| o.before.clone())),
            ],
        ))
    }
}
