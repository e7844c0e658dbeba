//! File formats: readers and writers that know bytes on disk, not datasets.

pub mod arrow_ipc;
pub mod arrow_read;
pub mod arrow_write;
pub mod compression;
pub mod example;
pub mod parquet;
pub mod protowire;
mod schema;
pub mod tfrecord;

#[cfg(test)]
mod testdata;
