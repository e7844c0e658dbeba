//! The input states a buffering stage keeps as it pulls, so its saved position can name
//! the input indexes its buffer holds rather than the elements: a restore re-reads those
//! from the last kept state at or before the oldest of them. A state is kept before every
//! `MARK_EVERY` pulls and dropped once the buffer has moved past it, so saving costs the
//! same whatever the buffer holds.

use std::collections::VecDeque;
use std::sync::Arc;

use crate::engine::state::Fields;
use crate::engine::{Context, DatasetIterator, DatasetNode, Element, Error, Result, State};

/// Input states are kept before every this many pulls, to re-read a buffer from.
const MARK_EVERY: u64 = 64;

pub struct Trail {
    /// Input elements pulled so far (the index of the next one).
    pulled: u64,
    /// Input states before some pulls `(index, state)`, oldest first: the last one at or
    /// before the oldest element held, and those after it.
    marks: VecDeque<(u64, State)>,
    /// Why this pass's state cannot be saved, once an input state could not be.
    unsaveable: Option<Error>,
}

impl Trail {
    pub fn new() -> Self {
        Trail::restored(0, None)
    }

    /// The trail of a restored pass `pulled` elements in, with the mark it saved.
    pub fn restored(pulled: u64, mark: Option<(u64, State)>) -> Self {
        Trail {
            pulled,
            marks: mark.into_iter().collect(),
            unsaveable: None,
        }
    }

    pub fn pulled(&self) -> u64 {
        self.pulled
    }

    /// Keeps `input`'s state when the next pull is due a mark; call before pulling.
    pub fn before_pull(&mut self, input: &dyn DatasetIterator) {
        if self.pulled % MARK_EVERY != 0 || self.unsaveable.is_some() {
            return;
        }
        if self.marks.back().is_some_and(|(at, _)| *at == self.pulled) {
            return;
        }
        match input.save() {
            Ok(state) => self.marks.push_back((self.pulled, state)),
            Err(e) => {
                self.unsaveable = Some(e);
                self.marks.clear();
            }
        }
    }

    /// Counts a pulled element (one the buffer may hold).
    pub fn count_pull(&mut self) {
        self.pulled += 1;
    }

    /// Drops the marks no longer needed once nothing before input index `oldest` is held.
    pub fn prune(&mut self, oldest: u64) {
        while self.marks.len() > 1 && self.marks[1].0 <= oldest {
            self.marks.pop_front();
        }
    }

    /// The two fields a saved state keeps of the trail: the index of the mark to re-read
    /// from and the mark itself (none when nothing is held), for a buffer whose oldest held
    /// element is input index `oldest`.
    pub fn save(&self, oldest: u64, holds_any: bool) -> Result<[State; 2]> {
        if let Some(e) = &self.unsaveable {
            return Err(e.clone());
        }
        let mark = self
            .marks
            .iter()
            .rev()
            .find(|(at, _)| *at <= oldest)
            .filter(|_| holds_any);
        Ok([
            State::count(mark.map_or(0, |m| m.0)),
            State::maybe(mark.map(|m| m.1.clone())),
        ])
    }

    /// The mark saved by `save` in fields `at` and `at + 1`, checked to lie at or before
    /// `oldest`; an error where elements are held (`oldest` is some) but no mark is.
    pub fn saved_mark(
        fields: &Fields<'_>,
        at: usize,
        oldest: Option<u64>,
    ) -> Result<Option<(u64, State)>> {
        let index = fields.count(at)?;
        match (fields.maybe(at + 1)?, oldest) {
            (_, None) => Ok(None),
            (Some(mark), Some(oldest)) if index <= oldest => Ok(Some((index, mark.clone()))),
            (Some(_), Some(_)) => {
                Err(fields.malformed("marks an input position after the buffer's"))
            }
            (None, Some(_)) => Err(fields.malformed("holds elements but no input position")),
        }
    }
}

impl Default for Trail {
    fn default() -> Self {
        Trail::new()
    }
}

/// Re-produces the elements at input `indexes` (any order; the result follows it) from
/// `mark`, the input's state before index `mark.0`: passing over the elements between them
/// (a map's function is not called for those), producing only these. An element that
/// fails comes back as its error; an input that ends too soon means the state is another
/// dataset's.
pub fn refill(
    ctx: &Arc<Context>,
    input: &Arc<dyn DatasetNode>,
    mark: (u64, &State),
    indexes: &[u64],
) -> Result<Vec<Result<Element>>> {
    let misfit = || {
        Error::InvalidArgument(
            "the state does not fit this dataset: its buffer holds elements the input does \
             not have"
                .into(),
        )
    };
    let mut order: Vec<usize> = (0..indexes.len()).collect();
    order.sort_by_key(|&i| indexes[i]);
    let mut reader = ctx.restore(input, mark.1, true)?;
    let mut at = mark.0;
    let mut slots: Vec<Option<Result<Element>>> = (0..indexes.len()).map(|_| None).collect();
    for i in order {
        let gap = indexes[i].checked_sub(at).ok_or_else(misfit)?;
        if reader.pass_over(ctx, gap)? < gap {
            return Err(misfit());
        }
        slots[i] = Some(match reader.next(ctx) {
            Ok(Some(element)) => Ok(element),
            Ok(None) => return Err(misfit()),
            Err(e @ (Error::Cancelled | Error::Interrupted(_))) => return Err(e),
            Err(e) => Err(e),
        });
        at = indexes[i] + 1;
    }
    Ok(slots
        .into_iter()
        .map(|s| s.expect("every slot filled"))
        .collect())
}
