//! Dataset operations, one file each, each with its node (the description) and its iterator.

pub mod batch;
pub mod cache;
mod chunked;
pub mod columnar;
pub mod concatenate;
pub mod filter;
pub mod flat_map;
pub mod from_tensor_slices;
pub mod from_tensors;
pub mod generator;
pub mod ignore_errors;
pub mod interleave;
pub mod map;
pub mod padded_batch;
pub mod parallel;
pub mod parallel_map;
pub mod prefetch;
pub mod range;
pub mod repeat;
pub mod shard;
pub mod shuffle;
pub mod skip;
pub mod take;
pub mod take_while;
pub mod tfrecord;
pub mod unbatch;
pub mod zip;
