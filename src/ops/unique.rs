//! `Dataset.unique()`: each distinct element once, in order of first appearance. Elements
//! are one int32, int64 or string tensor; every distinct one seen is remembered, and a
//! saved pass holds them all (the state grows with the distinct elements seen).

use std::collections::HashSet;
use std::sync::Arc;

use crate::engine::{
    Buffer, Cardinality, Context, DatasetIterator, DatasetNode, Element, Error, Result, State,
    Tensor,
};

pub struct UniqueNode {
    input: Arc<dyn DatasetNode>,
}

impl UniqueNode {
    pub fn new(input: Arc<dyn DatasetNode>) -> Self {
        UniqueNode { input }
    }
}

impl DatasetNode for UniqueNode {
    fn make_iterator(&self, ctx: &Arc<Context>) -> Result<Box<dyn DatasetIterator>> {
        Ok(Box::new(UniqueIterator {
            input: ctx.open(&self.input)?,
            seen: HashSet::new(),
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
        let fields = state.fields("Unique", 2)?;
        Ok(Box::new(UniqueIterator {
            seen: fields.bytes_list(0)?.into_iter().collect(),
            input: ctx.restore(&self.input, fields.state(1), replay)?,
        }))
    }
}

struct UniqueIterator {
    input: Box<dyn DatasetIterator>,
    seen: HashSet<Vec<u8>>,
}

/// The bytes that tell one element from another: its rank and shape, then its values
/// (strings each after its length, so ["ab", "c"] and ["a", "bc"] differ).
fn key(element: &Element) -> Result<Vec<u8>> {
    let [t] = element.as_slice() else {
        return Err(Error::invalid(
            "unique only supports elements of a single component",
        ));
    };
    let mut out: Vec<u8> = (t.rank() as u64).to_le_bytes().to_vec();
    out.extend(t.shape().iter().flat_map(|d| (*d as u64).to_le_bytes()));
    match t.buffer() {
        Buffer::Int32(v) => out.extend(v.iter().flat_map(|x| x.to_le_bytes())),
        Buffer::Int64(v) => out.extend(v.iter().flat_map(|x| x.to_le_bytes())),
        _ => match t.as_strings() {
            Some(s) => {
                for item in s.iter() {
                    out.extend((item.len() as u64).to_le_bytes());
                    out.extend_from_slice(item);
                }
            }
            None => return Err(unsupported(t)),
        },
    }
    Ok(out)
}

fn unsupported(t: &Tensor) -> Error {
    Error::InvalidArgument(format!(
        "unique does not support {} elements, only int32, int64 and string",
        t.dtype()
    ))
}

impl DatasetIterator for UniqueIterator {
    fn next(&mut self, ctx: &Context) -> Result<Option<Element>> {
        while let Some(element) = self.input.next(ctx)? {
            if self.seen.insert(key(&element)?) {
                return Ok(Some(element));
            }
        }
        Ok(None)
    }

    fn save(&self) -> Result<State> {
        // Sorted, so one position always saves as one value.
        let mut keys: Vec<&Vec<u8>> = self.seen.iter().collect();
        keys.sort_unstable();
        let seen = keys.into_iter().map(|k| State::bytes(k)).collect();
        Ok(State::op(
            "Unique",
            vec![State::list(seen), self.input.save()?],
        ))
    }
}
