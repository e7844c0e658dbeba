//! Writing TFRecord files that TensorFlow reads back.

use std::io::{BufWriter, Write};
use std::path::Path;

use super::masked_crc;
use crate::engine::error::{Error, Result};
use crate::formats::compression::{Compression, Encoder};
use crate::formats::output::{self, Commit, Local};

const WRITE_BUFFER_SIZE: usize = 256 * 1024;

/// Appends framed records to a stream. `close` writes the compressed stream's trailer; dropping
/// an unclosed writer tries to do the same but cannot report failure.
pub struct TfRecordWriter {
    output: Option<Encoder>,
    /// What finishes the file once the stream is closed (an object in a store appears then).
    commit: Option<Commit>,
    name: String,
}

impl TfRecordWriter {
    /// Creates (or truncates) `path`, a local file or an object's URL.
    pub fn create(path: &Path, compression: Compression) -> Result<TfRecordWriter> {
        let name = path.display().to_string();
        let (file, commit) = output::create(&name, Local::InPlace)?;
        let mut writer = TfRecordWriter::from_writer(file, name, compression);
        writer.commit = Some(commit);
        Ok(writer)
    }

    /// Writes to any byte sink; `name` is what error messages call it.
    pub fn from_writer(
        output: Box<dyn Write + Send>,
        name: impl Into<String>,
        compression: Compression,
    ) -> TfRecordWriter {
        let buffered = Box::new(BufWriter::with_capacity(WRITE_BUFFER_SIZE, output));
        TfRecordWriter {
            output: Some(compression.encoder(buffered)),
            commit: None,
            name: name.into(),
        }
    }

    pub fn write_record(&mut self, data: &[u8]) -> Result<()> {
        let length = (data.len() as u64).to_le_bytes();
        let mut header = [0u8; 12];
        header[..8].copy_from_slice(&length);
        header[8..].copy_from_slice(&masked_crc(&length).to_le_bytes());
        let footer = masked_crc(data).to_le_bytes();
        let name = &self.name;
        let output = self.output.as_mut().ok_or_else(|| closed(name))?;
        output
            .write_all(&header)
            .and_then(|()| output.write_all(data))
            .and_then(|()| output.write_all(&footer))
            .map_err(|e| Error::io(name, e))
    }

    /// Pushes buffered bytes to the sink. With compression, the bytes written so far become
    /// readable only after `close`.
    pub fn flush(&mut self) -> Result<()> {
        let name = &self.name;
        let output = self.output.as_mut().ok_or_else(|| closed(name))?;
        output.flush().map_err(|e| Error::io(name, e))
    }

    /// Finishes the stream. Closing twice is harmless; writing after closing is an error.
    pub fn close(&mut self) -> Result<()> {
        let commit = self.commit.take();
        if let Some(output) = self.output.take() {
            // A stream that failed to finish is never committed: an unfinished upload
            // is dropped, leaving no object.
            output.finish().map_err(|e| Error::io(&self.name, e))?;
        }
        match commit {
            Some(commit) => commit.commit(),
            None => Ok(()),
        }
    }
}

impl Drop for TfRecordWriter {
    fn drop(&mut self) {
        let _ = self.close();
    }
}

fn closed(name: &str) -> Error {
    Error::FailedPrecondition(format!("the TFRecord writer for {name} is closed"))
}
