//! `Dataset.zip(datasets)`: elements of several datasets side by side, until one ends.

use std::sync::Arc;

use crate::engine::{Cardinality, Context, DatasetIterator, DatasetNode, Element, Result, State};

pub struct ZipNode {
    inputs: Vec<Arc<dyn DatasetNode>>,
}

impl ZipNode {
    pub fn new(inputs: Vec<Arc<dyn DatasetNode>>) -> Self {
        ZipNode { inputs }
    }
}

impl DatasetNode for ZipNode {
    fn make_iterator(&self, ctx: &Arc<Context>) -> Result<Box<dyn DatasetIterator>> {
        let inputs = self
            .inputs
            .iter()
            .map(|n| ctx.open(n))
            .collect::<Result<_>>()?;
        Ok(Box::new(ZipIterator { inputs }))
    }

    fn restore(
        &self,
        ctx: &Arc<Context>,
        state: &State,
        replay: bool,
    ) -> Result<Box<dyn DatasetIterator>> {
        let fields = state.fields("Zip", 1)?;
        let saved = fields.list(0)?;
        if saved.len() != self.inputs.len() {
            return Err(fields.malformed(&format!(
                "has {} inputs, this zip {}",
                saved.len(),
                self.inputs.len()
            )));
        }
        let inputs = self
            .inputs
            .iter()
            .zip(saved)
            .map(|(n, s)| ctx.restore(n, s, replay))
            .collect::<Result<_>>()?;
        Ok(Box::new(ZipIterator { inputs }))
    }

    fn cardinality(&self) -> Cardinality {
        let cards: Vec<_> = self.inputs.iter().map(|n| n.cardinality()).collect();
        let finite = cards.iter().filter_map(|c| match c {
            Cardinality::Finite(n) => Some(*n),
            _ => None,
        });
        match finite.min() {
            Some(n) if n == 0 || !cards.contains(&Cardinality::Unknown) => Cardinality::Finite(n),
            _ if cards.contains(&Cardinality::Unknown) => Cardinality::Unknown,
            _ => Cardinality::Infinite,
        }
    }
}

struct ZipIterator {
    inputs: Vec<Box<dyn DatasetIterator>>,
}

impl DatasetIterator for ZipIterator {
    fn next(&mut self, ctx: &Context) -> Result<Option<Element>> {
        let mut out = Vec::new();
        for input in &mut self.inputs {
            match input.next(ctx)? {
                Some(part) => out.extend(part),
                None => return Ok(None),
            }
        }
        Ok(Some(out))
    }

    fn save(&self) -> Result<State> {
        let inputs = self
            .inputs
            .iter()
            .map(|i| i.save())
            .collect::<Result<_>>()?;
        Ok(State::op("Zip", vec![State::list(inputs)]))
    }
}
