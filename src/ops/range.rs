//! `Dataset.range(start, stop, step, output_type)`.

use std::sync::Arc;

use crate::engine::{
    Batch, Buffer, Cardinality, Context, DType, DatasetIterator, DatasetNode, Element, Error,
    Result, State, Tensor,
};

pub struct RangeNode {
    start: i64,
    stop: i64,
    step: i64,
    dtype: DType,
}

impl RangeNode {
    pub fn new(start: i64, stop: i64, step: i64, dtype: DType) -> Result<Self> {
        if step == 0 {
            return Err(Error::invalid("step must not be zero in Dataset.range"));
        }
        if dtype == DType::String || dtype == DType::Bool {
            return Err(Error::InvalidArgument(format!(
                "Dataset.range cannot produce {dtype} values"
            )));
        }
        Ok(RangeNode {
            start,
            stop,
            step,
            dtype,
        })
    }

    fn len_from(&self, next: i64) -> u64 {
        let span = if self.step > 0 {
            self.stop as i128 - next as i128
        } else {
            next as i128 - self.stop as i128
        };
        if span <= 0 {
            return 0;
        }
        let step = (self.step as i128).abs();
        ((span + step - 1) / step) as u64
    }
}

impl DatasetNode for RangeNode {
    fn make_iterator(&self, _ctx: &Arc<Context>) -> Result<Box<dyn DatasetIterator>> {
        Ok(Box::new(RangeIterator {
            next: self.start,
            remaining: self.len_from(self.start),
            step: self.step,
            dtype: self.dtype,
        }))
    }

    fn cardinality(&self) -> Cardinality {
        Cardinality::Finite(self.len_from(self.start))
    }

    fn restore(
        &self,
        _ctx: &Arc<Context>,
        state: &State,
        _replay: bool,
    ) -> Result<Box<dyn DatasetIterator>> {
        let fields = state.fields("Range", 2)?;
        let (next, remaining) = (fields.int(0)?, fields.count(1)?);
        let total = self.len_from(self.start);
        let taken = total.checked_sub(remaining);
        let expected = taken.map(|t| self.start.wrapping_add(self.step.wrapping_mul(t as i64)));
        if expected != Some(next) {
            return Err(fields.malformed(&format!(
                "is at {next} with {remaining} left, which this range never is"
            )));
        }
        Ok(Box::new(RangeIterator {
            next,
            remaining,
            step: self.step,
            dtype: self.dtype,
        }))
    }
}

struct RangeIterator {
    next: i64,
    remaining: u64,
    step: i64,
    dtype: DType,
}

/// Converts i64 values to a buffer of `dtype`, as a cast would.
fn buffer_of(dtype: DType, values: impl Iterator<Item = i64>) -> Buffer {
    match dtype {
        DType::Int8 => values.map(|v| v as i8).collect::<Vec<_>>().into(),
        DType::Int16 => values.map(|v| v as i16).collect::<Vec<_>>().into(),
        DType::Int32 => values.map(|v| v as i32).collect::<Vec<_>>().into(),
        DType::UInt8 => values.map(|v| v as u8).collect::<Vec<_>>().into(),
        DType::UInt16 => values.map(|v| v as u16).collect::<Vec<_>>().into(),
        DType::UInt32 => values.map(|v| v as u32).collect::<Vec<_>>().into(),
        DType::UInt64 => values.map(|v| v as u64).collect::<Vec<_>>().into(),
        DType::Float16 => values
            .map(|v| half::f16::from_f64(v as f64))
            .collect::<Vec<_>>()
            .into(),
        DType::Float32 => values.map(|v| v as f32).collect::<Vec<_>>().into(),
        DType::Float64 => values.map(|v| v as f64).collect::<Vec<_>>().into(),
        _ => values.collect::<Vec<_>>().into(),
    }
}

impl RangeIterator {
    fn take_values(&mut self, n: u64) -> (usize, Buffer) {
        let n = n.min(self.remaining);
        let (first, step) = (self.next, self.step);
        let buffer = buffer_of(self.dtype, (0..n as i64).map(move |i| first + i * step));
        self.next = self.next.wrapping_add(step.wrapping_mul(n as i64));
        self.remaining -= n;
        (n as usize, buffer)
    }
}

impl DatasetIterator for RangeIterator {
    fn next(&mut self, _ctx: &Context) -> Result<Option<Element>> {
        if self.remaining == 0 {
            return Ok(None);
        }
        let (_, buffer) = self.take_values(1);
        Ok(Some(vec![Tensor::new(Vec::new(), buffer)?]))
    }

    fn next_batch(&mut self, _ctx: &Context, max: usize) -> Result<Option<Batch>> {
        if self.remaining == 0 {
            return Ok(None);
        }
        let (rows, buffer) = self.take_values(max as u64);
        Ok(Some(Batch {
            rows,
            tensors: vec![Tensor::new(vec![rows], buffer)?],
        }))
    }

    fn skip(&mut self, _ctx: &Context, n: u64) -> Result<u64> {
        let n = n.min(self.remaining);
        self.next = self.next.wrapping_add(self.step.wrapping_mul(n as i64));
        self.remaining -= n;
        Ok(n)
    }

    fn save(&self) -> Result<State> {
        Ok(State::op(
            "Range",
            vec![State::int(self.next), State::count(self.remaining)],
        ))
    }
}
