//! The wrapper every stage's iterator runs inside: it counts elements and times calls into the
//! pass's `StatsRegistry`. `Context::open` applies it, so no operation has to.

use std::sync::Arc;

use super::dataset::{Batch, Context, DatasetIterator, NOT_SAVEABLE};
use super::error::{Error, Result};
use super::state::{not_saveable, State};
use super::stats::{StageStats, StatsRegistry};
use super::tensor::Element;

pub struct Instrumented {
    inner: Box<dyn DatasetIterator>,
    stats: Arc<StageStats>,
    registry: Arc<StatsRegistry>,
    name: &'static str,
}

impl Instrumented {
    pub fn new(
        inner: Box<dyn DatasetIterator>,
        stats: Arc<StageStats>,
        registry: Arc<StatsRegistry>,
        name: &'static str,
    ) -> Self {
        Instrumented {
            inner,
            stats,
            registry,
            name,
        }
    }
}

impl Instrumented {
    fn count_rows(&self, out: Result<Option<Batch>>) -> Result<Option<Batch>> {
        if let Ok(Some(batch)) = &out {
            self.stats.add_elements(batch.rows as u64);
        }
        out
    }
}

impl DatasetIterator for Instrumented {
    fn next(&mut self, ctx: &Context) -> Result<Option<Element>> {
        let (inner, stats) = (&mut self.inner, &self.stats);
        let out = self.registry.measure(stats, || inner.next(ctx));
        if let Ok(Some(_)) = &out {
            self.stats.add_elements(1);
        }
        out
    }

    fn next_batch(&mut self, ctx: &Context, max: usize) -> Result<Option<Batch>> {
        let (inner, stats) = (&mut self.inner, &self.stats);
        let out = self.registry.measure(stats, || inner.next_batch(ctx, max));
        self.count_rows(out)
    }

    fn next_ragged_batch(
        &mut self,
        ctx: &Context,
        max: usize,
        ragged: &[bool],
    ) -> Result<Option<Batch>> {
        let (inner, stats) = (&mut self.inner, &self.stats);
        let out = self
            .registry
            .measure(stats, || inner.next_ragged_batch(ctx, max, ragged));
        self.count_rows(out)
    }

    fn skip(&mut self, ctx: &Context, n: u64) -> Result<u64> {
        let (inner, stats) = (&mut self.inner, &self.stats);
        self.registry.measure(stats, || inner.skip(ctx, n))
    }

    fn try_next(&mut self, ctx: &Context) -> Option<Result<Option<Element>>> {
        let (inner, stats) = (&mut self.inner, &self.stats);
        let out = self.registry.measure(stats, || inner.try_next(ctx));
        if let Some(Ok(Some(_))) = &out {
            self.stats.add_elements(1);
        }
        out
    }

    fn set_stats(&mut self, stats: Arc<StageStats>) {
        self.inner.set_stats(stats);
    }

    fn pass_over(&mut self, ctx: &Context, n: u64) -> Result<u64> {
        let (inner, stats) = (&mut self.inner, &self.stats);
        self.registry.measure(stats, || inner.pass_over(ctx, n))
    }

    fn save(&self) -> Result<State> {
        self.inner.save().map_err(|e| match e {
            Error::Unimplemented(m) if m == NOT_SAVEABLE => not_saveable(self.name),
            e => e,
        })
    }
}
