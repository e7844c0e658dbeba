//! `Dataset.unbatch()`: splits each element along its first dimension.

use std::sync::Arc;

use crate::engine::{
    Batch, Cardinality, Context, DatasetIterator, DatasetNode, Element, Error, Result, State,
    Tensor,
};

pub struct UnbatchNode {
    input: Arc<dyn DatasetNode>,
}

impl UnbatchNode {
    pub fn new(input: Arc<dyn DatasetNode>) -> Self {
        UnbatchNode { input }
    }
}

impl DatasetNode for UnbatchNode {
    fn make_iterator(&self, ctx: &Arc<Context>) -> Result<Box<dyn DatasetIterator>> {
        Ok(Box::new(UnbatchIterator {
            input: ctx.open(&self.input)?,
            current: Vec::new(),
            current_before: None,
            rows: 0,
            next_row: 0,
        }))
    }

    fn restore(
        &self,
        ctx: &Arc<Context>,
        state: &State,
        replay: bool,
    ) -> Result<Box<dyn DatasetIterator>> {
        let fields = state.fields("Unbatch", 3)?;
        let next_row = fields.count(1)? as usize;
        let (current, before) = match fields.maybe(2)? {
            None => (Vec::new(), None),
            Some(before) => {
                let mut replayed = ctx.restore(&self.input, before, true)?;
                let batch = replayed
                    .next(ctx)?
                    .ok_or_else(|| fields.malformed("is inside a batch its input does not have"))?;
                (batch, Some(before.clone()))
            }
        };
        let rows = current.first().map(Tensor::rows).transpose()?.unwrap_or(0);
        if next_row > rows {
            return Err(fields.malformed("is past the end of its batch"));
        }
        Ok(Box::new(UnbatchIterator {
            input: ctx.restore(&self.input, fields.state(0), replay)?,
            current,
            current_before: before,
            rows,
            next_row,
        }))
    }

    fn cardinality(&self) -> Cardinality {
        match self.input.cardinality() {
            Cardinality::Finite(0) => Cardinality::Finite(0),
            Cardinality::Infinite => Cardinality::Infinite,
            _ => Cardinality::Unknown,
        }
    }
}

struct UnbatchIterator {
    input: Box<dyn DatasetIterator>,
    current: Element,
    /// The input's state before `current`, to make it again when restored.
    current_before: Option<State>,
    rows: usize,
    next_row: usize,
}

impl UnbatchIterator {
    /// Makes sure rows are available; false at the end of the input.
    fn fill(&mut self, ctx: &Context) -> Result<bool> {
        while self.next_row >= self.rows {
            // Kept for a checkpoint; an input that cannot save fails `save`, not this.
            let before = self.input.save().ok();
            let Some(element) = self.input.next(ctx)? else {
                return Ok(false);
            };
            self.current_before = before;
            let rows = element.first().map(Tensor::rows).transpose()?.unwrap_or(0);
            for (i, t) in element.iter().enumerate() {
                if t.rows()? != rows {
                    return Err(Error::InvalidArgument(format!(
                        "unbatch: component {i} has {} rows, component 0 has {rows}; all components must share the first dimension",
                        t.rows()?
                    )));
                }
            }
            self.current = element;
            self.rows = rows;
            self.next_row = 0;
        }
        Ok(true)
    }
}

impl DatasetIterator for UnbatchIterator {
    fn next(&mut self, ctx: &Context) -> Result<Option<Element>> {
        if !self.fill(ctx)? {
            return Ok(None);
        }
        let i = self.next_row;
        self.next_row += 1;
        self.current
            .iter()
            .map(|t| t.row(i))
            .collect::<Result<_>>()
            .map(Some)
    }

    /// Re-batching slices whole runs of rows instead of splitting and re-stacking them.
    fn next_batch(&mut self, ctx: &Context, max: usize) -> Result<Option<Batch>> {
        let mut pieces: Vec<Element> = Vec::new();
        let mut rows = 0;
        while rows < max && self.fill(ctx)? {
            let take = (max - rows).min(self.rows - self.next_row);
            let (start, end) = (self.next_row, self.next_row + take);
            pieces.push(
                self.current
                    .iter()
                    .map(|t| t.slice_rows(start, end))
                    .collect::<Result<_>>()?,
            );
            self.next_row = end;
            rows += take;
        }
        if pieces.is_empty() {
            return Ok(None);
        }
        let width = pieces[0].len();
        let tensors = (0..width)
            .map(|c| Tensor::concat_rows(&pieces.iter().map(|p| p[c].clone()).collect::<Vec<_>>()))
            .collect::<Result<_>>()?;
        Ok(Some(Batch { rows, tensors }))
    }

    fn save(&self) -> Result<State> {
        let mid_batch = self.next_row < self.rows;
        let input = self.input.save()?;
        let before = self.current_before.clone().filter(|_| mid_batch);
        if mid_batch && before.is_none() {
            return Err(Error::Internal("unbatch lost its batch's position".into()));
        }
        Ok(State::op(
            "Unbatch",
            vec![
                input,
                State::count(if mid_batch { self.next_row as u64 } else { 0 }),
                State::maybe(before),
            ],
        ))
    }
}
