//! Dataset operations, one file each, each with its node (the description) and its iterator.

pub mod assert_cardinality;
pub mod batch;
pub mod bucket_by_length;
pub mod cache;
#[cfg(test)]
mod checkpoint_buffer_tests;
#[cfg(test)]
mod checkpoint_tests;
mod chunked;
pub mod columnar;
pub mod concatenate;
pub mod directed_interleave;
pub mod file_records;
pub mod filter;
pub mod flat_map;
pub mod from_tensor_slices;
pub mod from_tensors;
pub mod generator;
pub mod group_by_window;
pub mod ignore_errors;
pub mod interleave;
pub mod map;
pub mod padded_batch;
pub mod parallel;
pub mod parallel_map;
pub mod prefetch;
pub mod random_source;
pub mod range;
pub mod repeat;
pub mod scan;
pub mod shard;
pub mod shuffle;
pub mod skip;
pub mod source_fn;
pub mod take;
pub mod take_while;
mod trail;
pub mod unbatch;
pub mod unique;
pub mod window;
pub mod zip;
