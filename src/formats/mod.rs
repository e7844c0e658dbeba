//! File formats: readers and writers that know bytes on disk, not datasets.

pub mod arrow_ipc;
pub mod arrow_read;
pub mod arrow_write;
pub mod compression;
pub mod example;
pub mod fixed_length;
pub mod parquet;
pub mod protowire;
mod schema;
pub mod text_lines;
pub mod tfrecord;

#[cfg(test)]
mod testdata;

use std::fs::File;
use std::path::Path;

use crate::engine::{Error, Result};

/// Opens `path` for reading; the error names the file.
pub(crate) fn open_file(path: &Path) -> Result<File> {
    File::open(path).map_err(|e| Error::io(path.display(), e))
}
