//! File formats: readers and writers that know bytes on disk, not datasets.

pub mod arrow_ipc;
pub mod arrow_read;
pub mod arrow_write;
pub mod batch_source;
pub mod compression;
pub mod example;
pub mod fixed_length;
pub mod inspect;
pub mod output;
pub mod parquet;
pub mod protowire;
pub mod remote;
mod schema;
pub mod shared_file;
pub mod tensor_proto;
pub mod text_lines;
pub mod tfrecord;

#[cfg(test)]
mod testdata;

use std::fs::File;
use std::path::Path;

use crate::engine::{Error, Result};

/// The whole contents of the file (or object, for a URL) `path`; the error names it.
pub(crate) fn read_whole(path: &str) -> Result<Vec<u8>> {
    if remote::is_remote(path) {
        let object = remote::RemoteObject::open(path)?;
        if object.size() == 0 {
            return Ok(Vec::new());
        }
        let bytes = object
            .read_range(0..object.size())
            .map_err(|e| Error::io(path, e))?;
        return Ok(bytes.to_vec());
    }
    std::fs::read(path).map_err(|e| Error::io(path, e))
}

/// Opens `path` for reading; the error names the file.
pub(crate) fn open_file(path: &Path) -> Result<File> {
    File::open(path).map_err(|e| Error::io(path.display(), e))
}

/// TensorFlow's default read buffer for its file datasets.
const DEFAULT_READ_BUFFER: usize = 256 * 1024;
/// The smallest read buffer: record and line readers search and frame within the buffer, so
/// tf.data's "no buffering" (0) gets this much.
const MIN_READ_BUFFER: usize = 8 * 1024;

/// A file of records opened for reading: its decompressed, buffered stream, the name
/// messages give it, and its length when the stream is the file itself (uncompressed).
pub(crate) struct RecordStream {
    pub input: Box<dyn std::io::BufRead + Send>,
    pub name: String,
    pub plain_len: Option<u64>,
}

/// Opens `path` through `compression`'s decoder; `buffer_size` defaults to TensorFlow's
/// 256 KiB.
pub(crate) fn open_records(
    path: &Path,
    compression: compression::Compression,
    buffer_size: Option<usize>,
) -> Result<RecordStream> {
    open_records_at(path, compression, buffer_size, 0)
}

/// `open_records` positioned `at` bytes into the uncompressed stream: a plain file seeks
/// there, a compressed one is decompressed from its start up to there.
pub(crate) fn open_records_at(
    path: &Path,
    compression: compression::Compression,
    buffer_size: Option<usize>,
    at: u64,
) -> Result<RecordStream> {
    let name = path.display().to_string();
    // Opened once and read at offsets: a local file or an object in a store alike.
    let file = shared_file::SharedFile::open(path)?;
    let plain_len = match compression {
        compression::Compression::None => Some(file.size()),
        _ => None,
    };
    let buffer_size = buffer_size
        .unwrap_or(DEFAULT_READ_BUFFER)
        .max(MIN_READ_BUFFER);
    let short = |got: u64| {
        Error::DataLoss(format!(
            "{name}: the saved position {at} lies past the end of the file ({got} bytes)"
        ))
    };
    let mut start = 0;
    if let Some(len) = plain_len {
        if len < at {
            return Err(short(len));
        }
        start = at;
    }
    let file = file.reader_at(start).buffered(buffer_size);
    let mut input = compression.buffered_decoder(file, buffer_size);
    if plain_len.is_none() && at > 0 {
        let skipped = std::io::copy(
            &mut std::io::Read::take(&mut input, at),
            &mut std::io::sink(),
        )
        .map_err(|e| Error::io(&name, e))?;
        if skipped < at {
            return Err(short(skipped));
        }
    }
    Ok(RecordStream {
        input,
        name,
        plain_len,
    })
}
