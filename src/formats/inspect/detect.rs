//! Telling a file's format, and a TFRecord stream's compression, from its first bytes. The
//! extension decides only what the bytes cannot: an empty file, or one too damaged to show
//! any of the signatures.

use std::path::Path;

use crate::formats::compression::Compression;
use crate::formats::tfrecord::masked_crc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    TfRecord(Compression),
    Parquet,
    /// The Arrow IPC file format (Feather v2), with a footer indexing its batches.
    ArrowFile,
    /// The Arrow IPC stream format: messages one after another, no index.
    ArrowStream,
}

const PARQUET_MAGIC: &[u8] = b"PAR1";
const ARROW_MAGIC: &[u8] = b"ARROW1";
/// What every message of a current IPC stream starts with.
const IPC_CONTINUATION: &[u8] = &[0xff; 4];
const GZIP_MAGIC: &[u8] = &[0x1f, 0x8b];

/// The format of a file starting with `head` (up to its first 12 bytes).
pub fn detect(path: &Path, head: &[u8]) -> Format {
    if head.starts_with(PARQUET_MAGIC) {
        return Format::Parquet;
    }
    if head.starts_with(ARROW_MAGIC) {
        return Format::ArrowFile;
    }
    // A plain TFRecord file proves itself with its first length checksum. This is tested
    // before the compression signatures because a record length may begin with their bytes.
    if is_tfrecord_header(head) {
        return Format::TfRecord(Compression::None);
    }
    if head.starts_with(IPC_CONTINUATION) {
        return Format::ArrowStream;
    }
    if head.starts_with(GZIP_MAGIC) {
        return Format::TfRecord(Compression::Gzip);
    }
    if is_zlib_header(head) {
        return Format::TfRecord(Compression::Zlib);
    }
    by_extension(path)
}

fn is_tfrecord_header(head: &[u8]) -> bool {
    head.len() >= 12 && masked_crc(&head[..8]).to_le_bytes() == head[8..12]
}

/// RFC 1950: deflate with a window of at most 32 KiB, and a check value making the first two
/// bytes a multiple of 31.
fn is_zlib_header(head: &[u8]) -> bool {
    match head {
        [cmf, flg, ..] => {
            cmf & 0x0f == 8 && cmf >> 4 <= 7 && (u16::from(*cmf) << 8 | u16::from(*flg)) % 31 == 0
        }
        _ => false,
    }
}

fn by_extension(path: &Path) -> Format {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("parquet" | "pq") => Format::Parquet,
        Some("arrow" | "feather" | "ipc") => Format::ArrowFile,
        Some("arrows") => Format::ArrowStream,
        Some("gz" | "gzip") => Format::TfRecord(Compression::Gzip),
        Some("zlib" | "zz") => Format::TfRecord(Compression::Zlib),
        _ => Format::TfRecord(Compression::None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::testdata::{fixture, read_fixture};

    fn head_of(name: &str) -> Vec<u8> {
        read_fixture(name).into_iter().take(12).collect()
    }

    #[test]
    fn reference_files_are_told_apart_by_content() {
        let cases = [
            ("examples.tfrecord", Format::TfRecord(Compression::None)),
            ("examples.tfrecord.gz", Format::TfRecord(Compression::Gzip)),
            (
                "examples.tfrecord.zlib",
                Format::TfRecord(Compression::Zlib),
            ),
            ("raw.tfrecord", Format::TfRecord(Compression::None)),
            ("../parquet/table_snappy.parquet", Format::Parquet),
            ("../parquet/table.arrow", Format::ArrowFile),
        ];
        for (name, expected) in cases {
            // A misleading name must not matter when the bytes are clear.
            let renamed = Path::new("data.bin");
            assert_eq!(detect(renamed, &head_of(name)), expected, "{name}");
        }
    }

    #[test]
    fn a_record_length_that_looks_like_a_zlib_header_is_still_plain() {
        // 0x9c78 = 40056: a first record of that length starts with the bytes 78 9c.
        let length = 0x9c78u64.to_le_bytes();
        let mut head = length.to_vec();
        head.extend_from_slice(&masked_crc(&length).to_le_bytes());
        assert!(is_zlib_header(&head));
        assert_eq!(
            detect(Path::new("x"), &head),
            Format::TfRecord(Compression::None)
        );
    }

    #[test]
    fn the_extension_decides_for_empty_or_unrecognized_files() {
        assert_eq!(
            detect(&fixture("empty.tfrecord"), b""),
            Format::TfRecord(Compression::None)
        );
        assert_eq!(detect(Path::new("a.parquet"), b""), Format::Parquet);
        assert_eq!(detect(Path::new("a.feather"), b"xx"), Format::ArrowFile);
        assert_eq!(detect(Path::new("a.arrows"), b""), Format::ArrowStream);
        assert_eq!(
            detect(Path::new("a.tfrecord.gz"), b""),
            Format::TfRecord(Compression::Gzip)
        );
        // Damaged plain TFRecord data keeps its format, so its damage can be reported.
        assert_eq!(
            detect(Path::new("a.tfrecord"), &[0u8; 12]),
            Format::TfRecord(Compression::None)
        );
        assert_eq!(
            detect(Path::new("s"), &[0xff, 0xff, 0xff, 0xff, 8, 0, 0, 0]),
            Format::ArrowStream
        );
    }
}
