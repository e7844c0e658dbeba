//! ferroflow: tf.data's Dataset API on a Rust engine.
//!
//! `engine` holds tensors, elements and the iterator traits; `ops` one file per dataset
//! transformation; `formats` the file readers and writers; `python` (feature `python`) the
//! only place that knows about Python.

pub mod engine;
pub mod formats;
pub mod kernels;
pub mod ops;

#[cfg(feature = "python")]
mod python;

#[cfg(feature = "python")]
mod allocator;
