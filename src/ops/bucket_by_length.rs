//! `Dataset.bucket_by_sequence_length`: elements are grouped by the bucket their length
//! falls in, and a bucket is batched (padded, unless told not to) when it holds its batch
//! size; at the end the partial buckets are batched in bucket order, as tf.data's
//! group_by_window flushes them.

use std::sync::Arc;

use super::batch::check_batch_size;
use super::padded_batch::Padding;
use crate::engine::{
    Cardinality, Context, DatasetIterator, DatasetNode, Element, ElementFn, Error, Result, Tensor,
};

pub struct BucketByLengthNode {
    input: Arc<dyn DatasetNode>,
    length_fn: Arc<dyn ElementFn>,
    buckets: Arc<Buckets>,
}

/// Where bucket boundaries fall and how each bucket is batched.
pub struct Buckets {
    /// Strictly increasing; bucket `i` holds lengths in `[boundaries[i-1], boundaries[i])`.
    boundaries: Vec<i64>,
    batch_sizes: Vec<usize>,
    /// None stacks elements as they are (`no_padding`).
    padding: Option<Padding>,
    /// Open padded dimensions take the bucket's boundary minus one, not the batch's largest.
    pad_to_boundary: bool,
    drop_remainder: bool,
}

impl Buckets {
    pub fn new(
        boundaries: Vec<i64>,
        batch_sizes: Vec<i64>,
        padding: Option<Padding>,
        pad_to_boundary: bool,
        drop_remainder: bool,
    ) -> Result<Self> {
        if batch_sizes.len() != boundaries.len() + 1 {
            return Err(Error::InvalidArgument(format!(
                "len(bucket_batch_sizes) must equal len(bucket_boundaries) + 1, got {} and {}",
                batch_sizes.len(),
                boundaries.len()
            )));
        }
        if boundaries.windows(2).any(|w| w[0] >= w[1]) {
            return Err(Error::invalid(
                "bucket_boundaries must be strictly increasing",
            ));
        }
        Ok(Buckets {
            boundaries,
            batch_sizes: batch_sizes
                .into_iter()
                .map(check_batch_size)
                .collect::<Result<_>>()?,
            padding,
            pad_to_boundary,
            drop_remainder,
        })
    }

    fn bucket_of(&self, length: i64) -> usize {
        self.boundaries.partition_point(|&b| b <= length)
    }

    fn batch(&self, bucket: usize, elements: &[Element]) -> Result<Element> {
        let Some(padding) = &self.padding else {
            let width = elements[0].len();
            return (0..width)
                .map(|c| Tensor::stack(&elements.iter().map(|e| e[c].clone()).collect::<Vec<_>>()))
                .collect();
        };
        let unknown = if self.pad_to_boundary {
            let boundary = self.boundaries.get(bucket).ok_or_else(|| {
                Error::invalid(
                    "When pad_to_bucket_boundary=True, elements must have length < \
                     max(bucket_boundaries).",
                )
            })?;
            Some(usize::try_from(boundary - 1).unwrap_or(0))
        } else {
            None
        };
        padding.batch(elements, unknown)
    }
}

impl BucketByLengthNode {
    pub fn new(
        input: Arc<dyn DatasetNode>,
        length_fn: Arc<dyn ElementFn>,
        buckets: Buckets,
    ) -> Self {
        BucketByLengthNode {
            input,
            length_fn,
            buckets: Arc::new(buckets),
        }
    }
}

impl DatasetNode for BucketByLengthNode {
    fn make_iterator(&self, ctx: &Arc<Context>) -> Result<Box<dyn DatasetIterator>> {
        Ok(Box::new(BucketByLengthIterator {
            input: Some(ctx.open(&self.input)?),
            length_fn: self.length_fn.clone(),
            pending: vec![Vec::new(); self.buckets.batch_sizes.len()],
            flushed: 0,
            buckets: self.buckets.clone(),
        }))
    }

    fn cardinality(&self) -> Cardinality {
        match self.input.cardinality() {
            Cardinality::Infinite => Cardinality::Infinite,
            _ => Cardinality::Unknown,
        }
    }
}

struct BucketByLengthIterator {
    /// None once the input has ended.
    input: Option<Box<dyn DatasetIterator>>,
    length_fn: Arc<dyn ElementFn>,
    pending: Vec<Vec<Element>>,
    /// Buckets batched after the input ended.
    flushed: usize,
    buckets: Arc<Buckets>,
}

/// The length `length_fn` gives an element: a scalar integer.
fn length_of(length_fn: &dyn ElementFn, element: &Element) -> Result<i64> {
    let out = length_fn.call(element.clone())?;
    match out.as_slice() {
        [t] if t.rank() == 0 => {
            let wide = crate::kernels::cast::cast(t, crate::engine::DType::Int64)?;
            match (t.dtype().is_integer(), wide.as_slice::<i64>()) {
                (true, Some(v)) => Ok(v[0]),
                _ => Err(Error::InvalidArgument(format!(
                    "element_length_func must return a scalar integer, got {}",
                    t.dtype()
                ))),
            }
        }
        _ => Err(Error::invalid(
            "element_length_func must return one scalar integer",
        )),
    }
}

impl DatasetIterator for BucketByLengthIterator {
    fn next(&mut self, ctx: &Context) -> Result<Option<Element>> {
        while let Some(input) = self.input.as_mut() {
            let Some(element) = input.next(ctx)? else {
                self.input = None;
                break;
            };
            let bucket = self
                .buckets
                .bucket_of(length_of(&*self.length_fn, &element)?);
            let waiting = &mut self.pending[bucket];
            waiting.push(element);
            if waiting.len() == self.buckets.batch_sizes[bucket] {
                let full = std::mem::take(waiting);
                return self.buckets.batch(bucket, &full).map(Some);
            }
        }
        while self.flushed < self.pending.len() {
            let bucket = self.flushed;
            self.flushed += 1;
            let rest = std::mem::take(&mut self.pending[bucket]);
            if !rest.is_empty() && !self.buckets.drop_remainder {
                return self.buckets.batch(bucket, &rest).map(Some);
            }
        }
        Ok(None)
    }
}
