//! Files of fixed-length records (`tf.data.FixedLengthRecordDataset`, CIFAR-10's binary
//! format): an optional header, records of one length, an optional footer. A body that is
//! not a whole number of records is refused, naming the file.

use std::io::BufRead;
use std::path::Path;

use super::compression::Compression;
use super::{open_records, open_records_at};
use crate::engine::{Error, Result};

/// Where the records lie in a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FixedLayout {
    pub record_bytes: usize,
    pub header_bytes: usize,
    pub footer_bytes: usize,
}

impl FixedLayout {
    pub fn new(record_bytes: i64, header_bytes: i64, footer_bytes: i64) -> Result<Self> {
        let count = |name: &str, v: i64, least: i64| {
            usize::try_from(v)
                .ok()
                .filter(|_| v >= least)
                .ok_or_else(|| {
                    Error::InvalidArgument(format!("{name} must be at least {least}, got {v}"))
                })
        };
        Ok(FixedLayout {
            record_bytes: count("record_bytes", record_bytes, 1)?,
            header_bytes: count("header_bytes", header_bytes, 0)?,
            footer_bytes: count("footer_bytes", footer_bytes, 0)?,
        })
    }
}

pub struct FixedLengthReader {
    input: Box<dyn BufRead + Send>,
    name: String,
    layout: FixedLayout,
    /// Bytes read and not yet handed out: the next record and the footer that may follow.
    ahead: Vec<u8>,
    at_end: bool,
    header_skipped: bool,
    /// Records handed out so far.
    records: u64,
}

impl FixedLengthReader {
    /// Opens `path`; a plain file whose body is not a whole number of records is refused at
    /// once, as TensorFlow refuses it.
    pub fn open(
        path: &Path,
        layout: FixedLayout,
        compression: Compression,
        buffer_size: Option<usize>,
    ) -> Result<FixedLengthReader> {
        let stream = open_records(path, compression, buffer_size)?;
        if let Some(size) = stream.plain_len {
            check_body(&stream.name, layout, size)?;
        }
        Ok(FixedLengthReader::from_reader(
            stream.input,
            stream.name,
            layout,
        ))
    }

    /// Opens `path` with the next record at byte `offset` of the uncompressed stream (an
    /// `offset()` of an earlier reader of the file).
    pub fn open_at(
        path: &Path,
        layout: FixedLayout,
        compression: Compression,
        buffer_size: Option<usize>,
        offset: u64,
    ) -> Result<FixedLengthReader> {
        if offset == 0 {
            return FixedLengthReader::open(path, layout, compression, buffer_size);
        }
        let header = layout.header_bytes as u64;
        let record = layout.record_bytes as u64;
        let records = offset
            .checked_sub(header)
            .filter(|body| body % record == 0)
            .map(|body| body / record)
            .ok_or_else(|| {
                Error::InvalidArgument(format!(
                    "malformed iterator state: byte {offset} of {} is not where a record \
                     starts",
                    path.display()
                ))
            })?;
        let stream = open_records_at(path, compression, buffer_size, offset)?;
        if let Some(size) = stream.plain_len {
            check_body(&stream.name, layout, size)?;
        }
        let mut reader = FixedLengthReader::from_reader(stream.input, stream.name, layout);
        reader.header_skipped = true;
        reader.records = records;
        Ok(reader)
    }

    /// The byte offset of the next record in the uncompressed stream.
    pub fn offset(&self) -> u64 {
        if !self.header_skipped {
            return 0;
        }
        self.layout.header_bytes as u64 + self.records * self.layout.record_bytes as u64
    }

    /// Reads from an uncompressed, buffered byte source; `name` is what error messages call
    /// it.
    pub fn from_reader(
        input: Box<dyn BufRead + Send>,
        name: impl Into<String>,
        layout: FixedLayout,
    ) -> FixedLengthReader {
        FixedLengthReader {
            input,
            name: name.into(),
            layout,
            ahead: Vec::new(),
            at_end: false,
            header_skipped: false,
            records: 0,
        }
    }

    /// Reads until `want` bytes are ahead or the input ends.
    fn fill(&mut self, want: usize) -> Result<()> {
        while self.ahead.len() < want && !self.at_end {
            let start = self.ahead.len();
            self.ahead.resize(want, 0);
            match self.input.read(&mut self.ahead[start..]) {
                Ok(0) => {
                    self.ahead.truncate(start);
                    self.at_end = true;
                }
                Ok(n) => self.ahead.truncate(start + n),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => self.ahead.truncate(start),
                Err(e) => return Err(Error::io(&self.name, e)),
            }
        }
        Ok(())
    }

    /// Reads the next record into `record`; false after the last one.
    pub fn read_record_into(&mut self, record: &mut Vec<u8>) -> Result<bool> {
        let FixedLayout {
            record_bytes,
            header_bytes,
            footer_bytes,
        } = self.layout;
        if !self.header_skipped {
            self.fill(header_bytes)?;
            let skipped = header_bytes.min(self.ahead.len());
            self.ahead.drain(..skipped);
            self.header_skipped = true;
        }
        self.fill(record_bytes + footer_bytes)?;
        if self.ahead.len() < record_bytes + footer_bytes {
            if self.ahead.len() == footer_bytes {
                return Ok(false);
            }
            let body = self.records * record_bytes as u64 + self.ahead.len() as u64;
            return Err(Error::DataLoss(not_whole(
                &self.name,
                self.layout,
                body.saturating_sub(footer_bytes as u64),
            )));
        }
        record.clear();
        record.extend(self.ahead.drain(..record_bytes));
        self.records += 1;
        Ok(true)
    }
}

/// TensorFlow's words for a body that is not a whole number of records.
fn not_whole(name: &str, layout: FixedLayout, body: u64) -> String {
    format!(
        "Excluding the header ({} bytes) and footer ({} bytes), input file \"{name}\" has body \
         length {body} bytes, which is not an exact multiple of the record length ({} bytes).",
        layout.header_bytes, layout.footer_bytes, layout.record_bytes
    )
}

/// Refuses a plain file whose body is not a whole number of records (InvalidArgument, as
/// TensorFlow refuses it before reading; in a compressed stream it is found at the end, as
/// data loss).
fn check_body(name: &str, layout: FixedLayout, size: u64) -> Result<()> {
    let framing = (layout.header_bytes + layout.footer_bytes) as u64;
    let body = size.checked_sub(framing).ok_or_else(|| {
        Error::DataLoss(format!(
            "input file \"{name}\" is {size} bytes, shorter than its header ({} bytes) and \
             footer ({} bytes)",
            layout.header_bytes, layout.footer_bytes
        ))
    })?;
    if body % layout.record_bytes as u64 != 0 {
        return Err(Error::InvalidArgument(not_whole(name, layout, body)));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(data: &[u8], layout: FixedLayout) -> Result<Vec<Vec<u8>>> {
        let mut reader = FixedLengthReader::from_reader(
            Box::new(std::io::Cursor::new(data.to_vec())),
            "f",
            layout,
        );
        let mut out = Vec::new();
        let mut record = Vec::new();
        while reader.read_record_into(&mut record)? {
            out.push(record.clone());
        }
        Ok(out)
    }

    #[test]
    fn reads_records_between_header_and_footer() {
        let layout = FixedLayout::new(3, 2, 1).unwrap();
        let got = records(b"HHabcdefZ", layout).unwrap();
        assert_eq!(got, [b"abc".to_vec(), b"def".to_vec()]);
        assert_eq!(records(b"HHZ", layout).unwrap(), Vec::<Vec<u8>>::new());
        let err = records(b"HHabcdeZ", layout).unwrap_err().to_string();
        assert!(err.contains("body length 5 bytes"), "{err}");
        assert!(check_body("f", layout, 8)
            .unwrap_err()
            .to_string()
            .contains("not an exact multiple"));
        assert!(check_body("f", layout, 2).is_err());
        assert!(FixedLayout::new(0, 0, 0).is_err());
    }
}
