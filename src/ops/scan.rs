//! `Dataset.scan(initial_state, scan_func)`: carries a state through the elements; each call
//! takes the state's components then the element's and returns the new state's components
//! then the output element's.

use std::sync::Arc;

use crate::engine::{
    Cardinality, Context, DatasetIterator, DatasetNode, Element, ElementFn, Error, Result, State,
};

pub struct ScanNode {
    input: Arc<dyn DatasetNode>,
    func: Arc<dyn ElementFn>,
    initial_state: Element,
}

impl ScanNode {
    pub fn new(
        input: Arc<dyn DatasetNode>,
        func: Arc<dyn ElementFn>,
        initial_state: Element,
    ) -> Self {
        ScanNode {
            input,
            func,
            initial_state,
        }
    }
}

impl DatasetNode for ScanNode {
    fn make_iterator(&self, ctx: &Arc<Context>) -> Result<Box<dyn DatasetIterator>> {
        Ok(Box::new(ScanIterator {
            input: ctx.open(&self.input)?,
            func: self.func.clone(),
            state: self.initial_state.clone(),
        }))
    }

    fn cardinality(&self) -> Cardinality {
        self.input.cardinality()
    }

    /// The carried state is saved whole (its tensors, not the elements before it).
    fn restore(
        &self,
        ctx: &Arc<Context>,
        state: &State,
        replay: bool,
    ) -> Result<Box<dyn DatasetIterator>> {
        let fields = state.fields("Scan", 2)?;
        let carried = fields.element(0)?;
        let fits = carried.len() == self.initial_state.len()
            && carried
                .iter()
                .zip(&self.initial_state)
                .all(|(a, b)| a.dtype() == b.dtype());
        if !fits {
            return Err(Error::invalid(
                "the state does not fit this dataset: its scan state has other components \
                 than this scan's initial state",
            ));
        }
        Ok(Box::new(ScanIterator {
            input: ctx.restore(&self.input, fields.state(1), replay)?,
            func: self.func.clone(),
            state: carried,
        }))
    }
}

struct ScanIterator {
    input: Box<dyn DatasetIterator>,
    func: Arc<dyn ElementFn>,
    state: Element,
}

impl DatasetIterator for ScanIterator {
    fn next(&mut self, ctx: &Context) -> Result<Option<Element>> {
        let Some(element) = self.input.next(ctx)? else {
            return Ok(None);
        };
        let width = self.state.len();
        let mut args = self.state.clone();
        args.extend(element);
        let mut out = self.func.call(args)?;
        if out.len() < width {
            return Err(Error::InvalidArgument(format!(
                "scan_func returned {} components, fewer than the state's {width}",
                out.len()
            )));
        }
        let output = out.split_off(width);
        for (i, (old, new)) in self.state.iter().zip(&out).enumerate() {
            if old.dtype() != new.dtype() {
                return Err(Error::InvalidArgument(format!(
                    "scan_func changed state component {i} from {} to {}",
                    old.dtype(),
                    new.dtype()
                )));
            }
        }
        self.state = out;
        Ok(Some(output))
    }

    fn save(&self) -> Result<State> {
        Ok(State::op(
            "Scan",
            vec![State::element(&self.state), self.input.save()?],
        ))
    }
}
