//! Reading text files line by line, as `tf.data.TextLineDataset` does: each line without its
//! `\n` (or `\r\n`); a last line without a line break is a line; an empty file has none.
//! CSV records are read the same way, but a line break inside double quotes does not end one.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use super::compression::Compression;
use super::open_file;
use crate::engine::{Error, Result};

/// TensorFlow's default read buffer for `TextLineDataset`.
const DEFAULT_BUFFER_SIZE: usize = 256 * 1024;

pub struct TextLineReader {
    input: BufReader<Box<dyn Read + Send>>,
    name: String,
    /// Lines read so far, for messages.
    lines: u64,
}

impl TextLineReader {
    /// Opens `path`; `buffer_size` defaults to TensorFlow's 256 KiB.
    pub fn open(
        path: &Path,
        compression: Compression,
        buffer_size: Option<usize>,
    ) -> Result<TextLineReader> {
        let file = open_file(path)?;
        let buffer_size = buffer_size.unwrap_or(DEFAULT_BUFFER_SIZE);
        Ok(TextLineReader::from_reader(
            Box::new(file),
            path.display().to_string(),
            compression,
            buffer_size,
        ))
    }

    /// Reads from any byte source; `name` is what error messages call it.
    pub fn from_reader(
        input: Box<dyn Read + Send>,
        name: impl Into<String>,
        compression: Compression,
        buffer_size: usize,
    ) -> TextLineReader {
        TextLineReader {
            input: BufReader::with_capacity(buffer_size, compression.decoder(input, buffer_size)),
            name: name.into(),
            lines: 0,
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

    /// Reads the next CSV record into `record`: up to a line break outside double quotes, so
    /// a quoted field may span lines (as TensorFlow's CsvDataset reads). False at the end.
    pub fn read_csv_record_into(&mut self, record: &mut Vec<u8>) -> Result<bool> {
        record.clear();
        let mut quotes = 0usize;
        loop {
            let start = record.len();
            if self.read_chunk(record)? == 0 {
                break;
            }
            self.lines += 1;
            quotes += record[start..].iter().filter(|&&b| b == b'"').count();
            if quotes % 2 == 0 {
                break;
            }
        }
        if record.is_empty() {
            return Ok(false);
        }
        strip_line_break(record);
        Ok(true)
    }

    /// Appends the bytes up to and including the next `\n`; 0 at the end of the input.
    fn read_chunk(&mut self, out: &mut Vec<u8>) -> Result<usize> {
        self.input
            .read_until(b'\n', out)
            .map_err(|e| Error::io(format!("{} (after line {})", self.name, self.lines), e))
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
        let mut reader = TextLineReader::from_reader(
            Box::new(std::io::Cursor::new(
                b"1,\"a\nb\"\r\n\n2,\"\"\"x\"\n".to_vec(),
            )),
            "t",
            none,
            4,
        );
        let mut record = Vec::new();
        let mut records = Vec::new();
        while reader.read_csv_record_into(&mut record).unwrap() {
            records.push(record.clone());
        }
        assert_eq!(records, [&b"1,\"a\nb\""[..], b"", b"2,\"\"\"x\""]);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut gz, b"x,1\ny,2\n").unwrap();
        let packed = gz.finish().unwrap();
        assert_eq!(lines(&packed, Compression::Gzip), [b"x,1", b"y,2"]);
    }
}
