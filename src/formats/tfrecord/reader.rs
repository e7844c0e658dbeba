//! Reading TFRecord files record by record, failing the way TensorFlow fails on damaged files.

use std::io::{self, BufRead, Read};
use std::path::Path;

use super::{masked_crc, FOOTER_LEN, HEADER_LEN};
use crate::engine::error::{Error, Result};
use crate::engine::tensor::StringBuf;
use crate::formats::compression::Compression;
use crate::formats::open_records_at;

/// Reads the records of one TFRecord stream in order.
///
/// After an error the reader keeps returning that error: TensorFlow's reader cannot resync past a
/// damaged record either, so nothing after it is trusted.
pub struct TfRecordReader {
    input: Box<dyn BufRead + Send>,
    name: String,
    /// Offset of the next record in the uncompressed stream.
    offset: u64,
    /// Length of the uncompressed stream when known (a plain file), so that a record length can
    /// be checked against what is left before anything is allocated for it.
    stream_len: Option<u64>,
    failed: Option<Error>,
}

impl TfRecordReader {
    /// Opens `path`; `buffer_size` defaults to TensorFlow's 256 KiB.
    pub fn open(
        path: &Path,
        compression: Compression,
        buffer_size: Option<usize>,
    ) -> Result<TfRecordReader> {
        TfRecordReader::open_at(path, compression, buffer_size, 0)
    }

    /// Opens `path` with the next record at byte `offset` of the uncompressed stream (an
    /// `offset()` of an earlier reader of the file).
    pub fn open_at(
        path: &Path,
        compression: Compression,
        buffer_size: Option<usize>,
        offset: u64,
    ) -> Result<TfRecordReader> {
        let stream = open_records_at(path, compression, buffer_size, offset)?;
        let mut reader = TfRecordReader::new(stream.input, stream.name, stream.plain_len);
        reader.offset = offset;
        Ok(reader)
    }

    /// Reads from any byte source; `name` is what error messages call it.
    pub fn from_reader(
        input: Box<dyn Read + Send>,
        name: impl Into<String>,
        compression: Compression,
        buffer_size: usize,
    ) -> TfRecordReader {
        TfRecordReader::new(compression.decoder(input, buffer_size), name.into(), None)
    }

    fn new(input: Box<dyn BufRead + Send>, name: String, stream_len: Option<u64>) -> Self {
        TfRecordReader {
            input,
            name,
            offset: 0,
            stream_len,
            failed: None,
        }
    }

    /// The byte offset of the next record in the uncompressed stream.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The next record, or `None` at a clean end of the stream.
    pub fn next_record(&mut self) -> Result<Option<Vec<u8>>> {
        let mut record = Vec::new();
        Ok(self.read_record_into(&mut record)?.then_some(record))
    }

    /// Reads the next record into `record` (replacing its contents, reusing its capacity), so a
    /// loop over a file allocates once rather than once per record. Returns false at the end.
    pub fn read_record_into(&mut self, record: &mut Vec<u8>) -> Result<bool> {
        if let Some(err) = &self.failed {
            return Err(err.clone());
        }
        self.read_one(record).inspect_err(|err| {
            self.failed = Some(err.clone());
        })
    }

    /// Appends up to `max` records to `out`, copying each through `scratch`; returns how many
    /// were read (fewer than `max` only at the end of the stream).
    pub fn read_records_into(
        &mut self,
        out: &mut StringBuf,
        max: usize,
        scratch: &mut Vec<u8>,
    ) -> Result<usize> {
        let mut count = 0;
        while count < max && self.read_record_into(scratch)? {
            out.push(scratch);
            count += 1;
        }
        Ok(count)
    }

    fn read_one(&mut self, record: &mut Vec<u8>) -> Result<bool> {
        let start = self.offset;
        let mut header = [0u8; HEADER_LEN as usize];
        let got = self.read_full(&mut header)?;
        if got == 0 {
            return Ok(false);
        }
        if got < header.len() {
            return Err(self.data_loss("truncated record", start, ""));
        }
        let (length_bytes, length_crc) = header.split_at(8);
        if masked_crc(length_bytes) != u32::from_le_bytes(length_crc.try_into().unwrap()) {
            return Err(self.data_loss("corrupted record", start, ""));
        }
        let length = u64::from_le_bytes(length_bytes.try_into().unwrap());
        let data_at = start + HEADER_LEN;

        record.clear();
        let complete = match self.stream_len {
            Some(stream_len) => {
                let left = stream_len.saturating_sub(data_at);
                if length.saturating_add(FOOTER_LEN) > left {
                    let detail =
                        format!(": its length {length} is more than the {left} bytes left");
                    return Err(self.data_loss("truncated record", start, &detail));
                }
                // Fits: it is no longer than the file.
                record.resize(usize::try_from(length).unwrap_or(usize::MAX), 0);
                self.read_full(record)? == record.len()
            }
            // The length cannot be checked up front, so memory grows only with bytes that
            // actually arrive.
            None => {
                let got = (&mut self.input)
                    .take(length)
                    .read_to_end(record)
                    .map_err(|e| Error::io(&self.name, e))?;
                got as u64 == length
            }
        };
        let mut footer = [0u8; FOOTER_LEN as usize];
        if !complete || self.read_full(&mut footer)? < footer.len() {
            return Err(self.data_loss("truncated record", start, ""));
        }
        if masked_crc(record) != u32::from_le_bytes(footer) {
            return Err(self.data_loss("corrupted record", data_at, ""));
        }
        self.offset = data_at + length + FOOTER_LEN;
        Ok(true)
    }

    /// Fills `buf` unless the stream ends first; returns how many bytes were read.
    fn read_full(&mut self, buf: &mut [u8]) -> Result<usize> {
        let mut filled = 0;
        while filled < buf.len() {
            match self.input.read(&mut buf[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Error::io(&self.name, e)),
            }
        }
        Ok(filled)
    }

    /// TensorFlow's wording ("corrupted record at 45"), plus the file, plus its hint when the
    /// very first record is bad.
    fn data_loss(&self, what: &str, at: u64, detail: &str) -> Error {
        let hint = if self.offset == 0 {
            " (Is this even a TFRecord file?)"
        } else {
            ""
        };
        Error::DataLoss(format!("{what} at {at} in {}{detail}{hint}", self.name))
    }
}

impl Iterator for TfRecordReader {
    type Item = Result<Vec<u8>>;

    /// Yields each record, then at most one error (repeated errors would loop forever).
    fn next(&mut self) -> Option<Result<Vec<u8>>> {
        if self.failed.is_some() {
            return None;
        }
        self.next_record().transpose()
    }
}
