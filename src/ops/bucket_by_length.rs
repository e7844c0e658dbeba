//! `Dataset.bucket_by_sequence_length`: elements are grouped by the bucket their length
//! falls in, and a bucket is batched (padded, unless told not to) when it holds its batch
//! size; at the end the partial buckets are batched in bucket order.

use std::sync::Arc;

use super::batch::check_batch_size;
use super::group_by_window::{int_scalar, Grouping};
use super::padded_batch::Padding;
use crate::engine::{Batch, Element, ElementFn, Error, Result};

/// Where bucket boundaries fall and how each bucket is batched.
pub struct Buckets {
    length_fn: Arc<dyn ElementFn>,
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
        length_fn: Arc<dyn ElementFn>,
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
            length_fn,
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

    fn batch(&self, bucket: usize, elements: &[Element]) -> Result<Element> {
        let Some(padding) = &self.padding else {
            return Ok(Batch::stack(elements)?.tensors);
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

impl Grouping for Buckets {
    fn key(&self, element: &Element) -> Result<i64> {
        let length = int_scalar(&*self.length_fn, element.clone(), "element_length_func")?;
        Ok(self.boundaries.partition_point(|&b| b <= length) as i64)
    }

    fn window_size(&self, bucket: i64) -> Result<usize> {
        Ok(self.batch_sizes[bucket as usize])
    }

    fn emit(&self, bucket: i64, group: &[Element]) -> Result<Element> {
        self.batch(bucket as usize, group)
    }

    fn drop_partial(&self) -> bool {
        self.drop_remainder
    }
}
