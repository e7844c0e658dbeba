//! File formats: readers and writers that know bytes on disk, not datasets.

pub mod compression;
pub mod example;
pub mod protowire;
pub mod tfrecord;

#[cfg(test)]
mod testdata;
