//! `Dataset.scan(initial_state, scan_func)`: carries a state through the elements; each call
//! takes the state's components then the element's and returns the new state's components
//! then the output element's.

use std::sync::Arc;

use crate::engine::{
    Cardinality, Context, DatasetIterator, DatasetNode, Element, ElementFn, Error, Result,
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
}
