//! File formats: readers and writers that know bytes on disk, not datasets.

pub mod arrow_ipc;
pub mod arrow_read;
pub mod arrow_write;
pub mod batch_source;
pub mod compression;
pub mod example;
pub mod fixed_length;
pub mod inspect;
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

/// Opens `path` for reading; the error names the file.
pub(crate) fn open_file(path: &Path) -> Result<File> {
    File::open(path).map_err(|e| Error::io(path.display(), e))
}

/// A local file or an object in a store.
trait ReadSeek: std::io::Read + std::io::Seek + Send {}
impl<T: std::io::Read + std::io::Seek + Send> ReadSeek for T {}

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
    let (mut file, len): (Box<dyn ReadSeek>, u64) = match path.to_str() {
        Some(url) if remote::is_remote(url) => {
            let object = remote::RemoteFile::open(url)?;
            let size = object.size();
            (Box::new(object), size)
        }
        _ => {
            let file = open_file(path)?;
            let len = file.metadata().map_err(|e| Error::io(&name, e))?.len();
            (Box::new(file), len)
        }
    };
    let plain_len = match compression {
        compression::Compression::None => Some(len),
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
    if plain_len.is_some() && at > 0 {
        if plain_len < Some(at) {
            return Err(short(plain_len.unwrap_or(0)));
        }
        std::io::Seek::seek(&mut file, std::io::SeekFrom::Start(at))
            .map_err(|e| Error::io(&name, e))?;
    }
    let mut input = compression.decoder(Box::new(file), buffer_size);
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
