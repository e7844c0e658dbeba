//! Reading text files line by line, as `tf.data.TextLineDataset` does: each line without its
//! `\n` (or `\r\n`); a last line without a line break is a line; an empty file has none.
//! CSV records are read the same way, but a line break inside double quotes does not end one.

use std::io::{BufRead, Read};
use std::path::Path;

use super::compression::Compression;
use super::open_records_at;
use crate::engine::memory::reserve;
use crate::engine::{Error, Result};

pub struct TextLineReader {
    input: Box<dyn BufRead + Send>,
    name: String,
    /// Line breaks read so far, for messages.
    lines: u64,
    /// The line (from 1) the last record read starts on.
    record_line: u64,
    /// Bytes of the uncompressed stream read so far.
    offset: u64,
}

impl TextLineReader {
    /// Opens `path`; `buffer_size` defaults to TensorFlow's 256 KiB.
    pub fn open(
        path: &Path,
        compression: Compression,
        buffer_size: Option<usize>,
    ) -> Result<TextLineReader> {
        TextLineReader::open_at(path, compression, buffer_size, (0, 0))
    }

    /// Opens `path` where an earlier reader of it stood: `(offset, lines)` of its `tell()`.
    pub fn open_at(
        path: &Path,
        compression: Compression,
        buffer_size: Option<usize>,
        (offset, lines): (u64, u64),
    ) -> Result<TextLineReader> {
        let stream = open_records_at(path, compression, buffer_size, offset)?;
        let mut reader = TextLineReader::new(stream.input, stream.name);
        reader.offset = offset;
        reader.lines = lines;
        Ok(reader)
    }

    /// The bytes of the uncompressed stream read so far and the line breaks among them.
    pub fn tell(&self) -> (u64, u64) {
        (self.offset, self.lines)
    }

    /// Reads from any byte source; `name` is what error messages call it.
    pub fn from_reader(
        input: Box<dyn Read + Send>,
        name: impl Into<String>,
        compression: Compression,
        buffer_size: usize,
    ) -> TextLineReader {
        TextLineReader::new(compression.decoder(input, buffer_size), name.into())
    }

    fn new(input: Box<dyn BufRead + Send>, name: String) -> Self {
        TextLineReader {
            input,
            name,
            lines: 0,
            record_line: 0,
            offset: 0,
        }
    }

    /// Reads the next line into `line` (replacing its contents); false at the end.
    pub fn read_line_into(&mut self, line: &mut Vec<u8>) -> Result<bool> {
        line.clear();
        if self.read_chunk(line)? == 0 {
            return Ok(false);
        }
        strip_line_break(line);
        self.lines += 1;
        Ok(true)
    }

    /// Reads the next CSV record into `record`: up to a line break (`\n`, `\r` or `\r\n`)
    /// outside a quoted field, as TensorFlow's CsvDataset reads; a quote opens a field only
    /// at the field's start, so a stray one cannot swallow the rest of the file. False at
    /// the end.
    pub fn read_csv_record_into(
        &mut self,
        record: &mut Vec<u8>,
        syntax: CsvSyntax,
    ) -> Result<bool> {
        record.clear();
        self.record_line = self.lines + 1;
        let mut state = CsvState::FieldStart;
        let mut read_any = false;
        loop {
            let buf = self
                .input
                .fill_buf()
                .map_err(|e| Error::io(format!("{} (after line {})", self.name, self.lines), e))?;
            if buf.is_empty() {
                self.lines += count_line_breaks(record);
                return Ok(read_any);
            }
            read_any = true;
            let end = buf.iter().position(|&b| {
                state = state.next(b, syntax);
                state == CsvState::End
            });
            let Some(at) = end else {
                let len = buf.len();
                self.take_buffered(record, len, self.record_line)?;
                continue;
            };
            let line_break = buf[at];
            self.take_buffered(record, at, self.record_line)?;
            self.input.consume(1);
            self.offset += 1;
            if line_break == b'\r' && self.next_byte_is(b'\n')? {
                self.input.consume(1);
                self.offset += 1;
            }
            self.lines += 1 + count_line_breaks(record);
            return Ok(true);
        }
    }

    /// The line (from 1) the last record read starts on.
    pub fn record_line(&self) -> u64 {
        self.record_line
    }

    fn next_byte_is(&mut self, byte: u8) -> Result<bool> {
        let buf = self
            .input
            .fill_buf()
            .map_err(|e| Error::io(&self.name, e))?;
        Ok(buf.first() == Some(&byte))
    }

    /// Appends the bytes up to and including the next `\n`; 0 at the end of the input.
    fn read_chunk(&mut self, out: &mut Vec<u8>) -> Result<usize> {
        let start = out.len();
        loop {
            let buf = self
                .input
                .fill_buf()
                .map_err(|e| Error::io(format!("{} (after line {})", self.name, self.lines), e))?;
            let (len, ended) = match memchr::memchr(b'\n', buf) {
                Some(at) => (at + 1, true),
                None => (buf.len(), buf.is_empty()),
            };
            self.take_buffered(out, len, self.lines + 1)?;
            if ended {
                return Ok(out.len() - start);
            }
        }
    }

    /// Moves the first `len` buffered bytes to `out`, part of line `line`. A line is as
    /// long as the data makes it (/dev/zero has no end of line): its growth fails with an
    /// error naming the line, not an abort, when memory runs out.
    fn take_buffered(&mut self, out: &mut Vec<u8>, len: usize, line: u64) -> Result<()> {
        reserve(out, len, &|| format!("{}, line {line}", self.name))?;
        // Already buffered: this hands back the bytes the caller looked at.
        let buf = self
            .input
            .fill_buf()
            .map_err(|e| Error::io(&self.name, e))?;
        out.extend_from_slice(&buf[..len]);
        self.input.consume(len);
        self.offset += len as u64;
        Ok(())
    }
}

/// Line breaks inside a record (a quoted field spanning lines): `\n`, and `\r` not
/// followed by `\n`.
fn count_line_breaks(record: &[u8]) -> u64 {
    let lone_cr = record
        .windows(2)
        .filter(|w| w[0] == b'\r' && w[1] != b'\n')
        .count()
        + usize::from(record.last() == Some(&b'\r'));
    (record.iter().filter(|&&b| b == b'\n').count() + lone_cr) as u64
}

/// How CSV records are written, as far as finding where one ends needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CsvSyntax {
    pub delimiter: u8,
    /// Fields may be quoted with `"`.
    pub quoted: bool,
}

impl CsvSyntax {
    /// The syntax with `delimiter` (one byte, as TensorFlow requires) between fields.
    pub fn new(delimiter: &[u8], quoted: bool) -> Result<Self> {
        let &[delimiter] = delimiter else {
            return Err(Error::invalid("field_delim should be only 1 char"));
        };
        Ok(CsvSyntax { delimiter, quoted })
    }
}

impl Default for CsvSyntax {
    fn default() -> Self {
        CsvSyntax {
            delimiter: b',',
            quoted: true,
        }
    }
}

/// Where a CSV reader is within a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CsvState {
    FieldStart,
    Unquoted,
    Quoted,
    /// A quote inside a quoted field: its end, or the first of a doubled quote.
    QuoteSeen,
    /// The byte read was the record's line break.
    End,
}

impl CsvState {
    fn next(self, b: u8, syntax: CsvSyntax) -> CsvState {
        match self {
            CsvState::Quoted if b == b'"' => CsvState::QuoteSeen,
            CsvState::Quoted => CsvState::Quoted,
            CsvState::QuoteSeen if b == b'"' => CsvState::Quoted,
            CsvState::FieldStart if syntax.quoted && b == b'"' => CsvState::Quoted,
            _ if b == b'\n' || b == b'\r' => CsvState::End,
            _ if b == syntax.delimiter => CsvState::FieldStart,
            // Text after a closing quote is malformed; decode_csv reports it.
            _ => CsvState::Unquoted,
        }
    }
}

/// Drops a trailing `\n` or `\r\n`.
fn strip_line_break(line: &mut Vec<u8>) {
    if line.last() == Some(&b'\n') {
        line.pop();
        if line.last() == Some(&b'\r') {
            line.pop();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &[u8], compression: Compression) -> Vec<Vec<u8>> {
        let mut reader = TextLineReader::from_reader(
            Box::new(std::io::Cursor::new(text.to_vec())),
            "t",
            compression,
            4,
        );
        let mut out = Vec::new();
        let mut line = Vec::new();
        while reader.read_line_into(&mut line).unwrap() {
            out.push(line.clone());
        }
        out
    }

    #[test]
    fn splits_lines_as_tensorflow_does() {
        let none = Compression::None;
        assert_eq!(lines(b"a\nbb\r\n\nc", none), [&b"a"[..], b"bb", b"", b"c"]);
        assert_eq!(lines(b"a\n", none), [b"a"]);
        assert_eq!(lines(b"", none), Vec::<Vec<u8>>::new());
        assert_eq!(lines(b"\r\r\n", none), [b"\r"]);
        let syntax = CsvSyntax::default();
        let records = |text: &[u8], syntax: CsvSyntax| {
            let cursor = std::io::Cursor::new(text.to_vec());
            let mut reader = TextLineReader::from_reader(Box::new(cursor), "t", none, 4);
            let mut record = Vec::new();
            let mut out = Vec::new();
            while reader.read_csv_record_into(&mut record, syntax).unwrap() {
                out.push(record.clone());
            }
            out
        };
        assert_eq!(
            records(b"1,\"a\nb\"\r\n\n2,\"\"\"x\"\n", syntax),
            [&b"1,\"a\nb\""[..], b"", b"2,\"\"\"x\""]
        );
        // A lone \r ends a record; a quote inside an unquoted field opens nothing.
        assert_eq!(records(b"1,a\r2,b\r", syntax), [&b"1,a"[..], b"2,b"]);
        assert_eq!(records(b"1,a\"b\n2,c", syntax), [&b"1,a\"b"[..], b"2,c"]);
        let plain = CsvSyntax {
            quoted: false,
            ..syntax
        };
        assert_eq!(records(b"\"a\nb\"", plain), [&b"\"a"[..], b"b\""]);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut gz, b"x,1\ny,2\n").unwrap();
        let packed = gz.finish().unwrap();
        assert_eq!(lines(&packed, Compression::Gzip), [b"x,1", b"y,2"]);
    }
}
