//! Reading text files line by line, as `tf.data.TextLineDataset` does: each line without its
//! `\n` (or `\r\n`); a last line without a line break is a line; an empty file has none.

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
        let read = self
            .input
            .read_until(b'\n', line)
            .map_err(|e| Error::io(format!("{} (after line {})", self.name, self.lines), e))?;
        if read == 0 {
            return Ok(false);
        }
        if line.last() == Some(&b'\n') {
            line.pop();
            if line.last() == Some(&b'\r') {
                line.pop();
            }
        }
        self.lines += 1;
        Ok(true)
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
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut gz, b"x,1\ny,2\n").unwrap();
        let packed = gz.finish().unwrap();
        assert_eq!(lines(&packed, Compression::Gzip), [b"x,1", b"y,2"]);
    }
}
