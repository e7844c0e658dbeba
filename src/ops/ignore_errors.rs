//! `Dataset.ignore_errors(log_warning)`: drops the elements whose production failed and goes
//! on. Interrupts and cancellation still stop the pipeline. Each skipped error is recorded in
//! the context, so the user can see what was lost.

use std::sync::Arc;

use crate::engine::{
    Cardinality, Context, DatasetIterator, DatasetNode, Element, Error, Result, State,
};

pub struct IgnoreErrorsNode {
    input: Arc<dyn DatasetNode>,
    log_warning: bool,
}

impl IgnoreErrorsNode {
    pub fn new(input: Arc<dyn DatasetNode>, log_warning: bool) -> Self {
        IgnoreErrorsNode { input, log_warning }
    }
}

impl DatasetNode for IgnoreErrorsNode {
    fn make_iterator(&self, ctx: &Arc<Context>) -> Result<Box<dyn DatasetIterator>> {
        Ok(Box::new(IgnoreErrorsIterator {
            input: ctx.open(&self.input)?,
            log_warning: self.log_warning,
        }))
    }

    fn cardinality(&self) -> Cardinality {
        match self.input.cardinality() {
            Cardinality::Infinite => Cardinality::Infinite,
            _ => Cardinality::Unknown,
        }
    }

    fn restore(
        &self,
        ctx: &Arc<Context>,
        state: &State,
        replay: bool,
    ) -> Result<Box<dyn DatasetIterator>> {
        let input = state.fields("IgnoreErrors", 1)?.state(0);
        Ok(Box::new(IgnoreErrorsIterator {
            input: ctx.restore(&self.input, input, replay)?,
            log_warning: self.log_warning,
        }))
    }
}

struct IgnoreErrorsIterator {
    input: Box<dyn DatasetIterator>,
    log_warning: bool,
}

impl DatasetIterator for IgnoreErrorsIterator {
    fn next(&mut self, ctx: &Context) -> Result<Option<Element>> {
        loop {
            match self.input.next(ctx) {
                Err(e @ (Error::Cancelled | Error::Interrupted(_))) => return Err(e),
                Err(e) => {
                    let message = e.to_string();
                    if self.log_warning {
                        eprintln!("ferroflow: ignoring error: {message}");
                    }
                    ctx.record_skipped_error(message);
                }
                ok => return ok,
            }
        }
    }

    fn save(&self) -> Result<State> {
        Ok(State::op("IgnoreErrors", vec![self.input.save()?]))
    }
}
