//! The stream compressions a TFRecord file may use. TensorFlow compresses the whole stream, not
//! each record, so compression wraps the byte stream under the record framing.

use std::io::{self, BufRead, BufReader, Read, Write};

use flate2::bufread::{MultiGzDecoder, ZlibDecoder};
use flate2::write::{GzEncoder, ZlibEncoder};

use crate::engine::error::{Error, Result};

/// How a TFRecord stream is compressed, named as `tf.data.TFRecordDataset`'s
/// `compression_type` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Compression {
    #[default]
    None,
    Gzip,
    Zlib,
}

impl Compression {
    /// Accepts TensorFlow's spellings: `""` or `"NONE"`, `"GZIP"`, `"ZLIB"`.
    pub fn parse(name: &str) -> Result<Compression> {
        match name {
            "" | "NONE" => Ok(Compression::None),
            "GZIP" => Ok(Compression::Gzip),
            "ZLIB" => Ok(Compression::Zlib),
            other => Err(Error::InvalidArgument(format!(
                "unsupported compression type {other:?}: expected \"\", \"NONE\", \"GZIP\" or \"ZLIB\""
            ))),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Compression::None => "NONE",
            Compression::Gzip => "GZIP",
            Compression::Zlib => "ZLIB",
        }
    }

    /// The decompressed stream of `input`, buffered with `buffer_size` bytes on both sides of
    /// the decoder so that the record reader's small header reads stay cheap (and line
    /// readers can search the buffer itself).
    pub(crate) fn decoder(
        self,
        input: Box<dyn Read + Send>,
        buffer_size: usize,
    ) -> Box<dyn BufRead + Send> {
        self.buffered_decoder(
            Box::new(BufReader::with_capacity(buffer_size, input)),
            buffer_size,
        )
    }

    /// `decoder` for an input that is buffered already.
    pub(crate) fn buffered_decoder(
        self,
        raw: Box<dyn BufRead + Send>,
        buffer_size: usize,
    ) -> Box<dyn BufRead + Send> {
        match self {
            Compression::None => Box::new(raw),
            // Multi-member so that concatenated gzip files (`cat a.gz b.gz`) read as one stream.
            Compression::Gzip => Box::new(BufReader::with_capacity(
                buffer_size,
                Damage::new(MultiGzDecoder::new(raw), self),
            )),
            Compression::Zlib => Box::new(BufReader::with_capacity(
                buffer_size,
                Damage::new(ZlibDecoder::new(raw), self),
            )),
        }
    }

    pub(crate) fn encoder(self, output: Box<dyn Write + Send>) -> Encoder {
        let level = flate2::Compression::default();
        match self {
            Compression::None => Encoder::Plain(output),
            Compression::Gzip => Encoder::Gzip(GzEncoder::new(output, level)),
            Compression::Zlib => Encoder::Zlib(ZlibEncoder::new(output, level)),
        }
    }
}

/// A decompressor whose complaints about its input (a corrupt or cut-off stream) read as
/// `InvalidData`, which `Error::io` reports as data loss; the file's own I/O errors pass
/// through as they are.
struct Damage<R> {
    decoder: R,
    compression: Compression,
    /// Decompressed bytes delivered so far, where the damage shows.
    delivered: u64,
}

impl<R: Read> Damage<R> {
    fn new(decoder: R, compression: Compression) -> Self {
        Damage {
            decoder,
            compression,
            delivered: 0,
        }
    }
}

impl<R: Read> Read for Damage<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.decoder.read(buf) {
            Ok(n) => {
                self.delivered += n as u64;
                Ok(n)
            }
            Err(e) => match e.kind() {
                io::ErrorKind::InvalidInput
                | io::ErrorKind::InvalidData
                | io::ErrorKind::UnexpectedEof => Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "damaged {} stream after {} decompressed bytes: {e}",
                        self.compression.name(),
                        self.delivered
                    ),
                )),
                _ => Err(e),
            },
        }
    }
}

/// A compressing writer whose end (the gzip/zlib trailer) is written by `finish`.
pub(crate) enum Encoder {
    Plain(Box<dyn Write + Send>),
    Gzip(GzEncoder<Box<dyn Write + Send>>),
    Zlib(ZlibEncoder<Box<dyn Write + Send>>),
}

impl Encoder {
    /// Writes the compressed stream's trailer and flushes the underlying writer.
    pub(crate) fn finish(self) -> io::Result<()> {
        let mut inner = match self {
            Encoder::Plain(w) => w,
            Encoder::Gzip(e) => e.finish()?,
            Encoder::Zlib(e) => e.finish()?,
        };
        inner.flush()
    }
}

impl Write for Encoder {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Encoder::Plain(w) => w.write(buf),
            Encoder::Gzip(e) => e.write(buf),
            Encoder::Zlib(e) => e.write(buf),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self {
            Encoder::Plain(w) => w.write_all(buf),
            Encoder::Gzip(e) => e.write_all(buf),
            Encoder::Zlib(e) => e.write_all(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Encoder::Plain(w) => w.flush(),
            Encoder::Gzip(e) => e.flush(),
            Encoder::Zlib(e) => e.flush(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_accepts_tensorflow_names_only() {
        assert_eq!(Compression::parse("").unwrap(), Compression::None);
        assert_eq!(Compression::parse("NONE").unwrap(), Compression::None);
        assert_eq!(Compression::parse("GZIP").unwrap(), Compression::Gzip);
        assert_eq!(Compression::parse("ZLIB").unwrap(), Compression::Zlib);
        match Compression::parse("gzip") {
            Err(Error::InvalidArgument(m)) => assert!(m.contains("\"gzip\""), "{m}"),
            other => panic!("expected InvalidArgument, got {other:?}"),
        }
    }
}
