//! TFRecord framing on arbitrary bytes: the reader must return records, a clean end or an error,
//! never panic, hang or allocate what a length field merely claims.
//!
//! Each input is read three ways:
//! 1. as an uncompressed stream through `from_reader` (no known length: data is read in chunks);
//! 2. as a gzip (odd first byte, like gzip's 0x1f magic) or zlib (even first byte, like zlib's
//!    0x78 header) stream through `from_reader`;
//! 3. as an uncompressed file through `open`, where the length is checked against the file size.
//!
//! Passes 1 and 3 read the same bytes, so they must yield the same records and end the same way.
#![no_main]

use std::io::Cursor;
use std::path::PathBuf;
use std::sync::OnceLock;

use ferroflow::formats::compression::Compression;
use ferroflow::formats::tfrecord::TfRecordReader;
use libfuzzer_sys::fuzz_target;

/// Records read before the reader stopped, and whether it stopped on an error.
fn read_all(mut reader: TfRecordReader) -> (Vec<Vec<u8>>, bool) {
    let mut records = Vec::new();
    loop {
        match reader.next_record() {
            Ok(Some(record)) => records.push(record),
            Ok(None) => return (records, false),
            Err(_) => {
                // Once failed, a reader keeps failing rather than resyncing.
                assert!(reader.next_record().is_err());
                return (records, true);
            }
        }
    }
}

fn stream(data: &[u8], compression: Compression) -> TfRecordReader {
    TfRecordReader::from_reader(
        Box::new(Cursor::new(data.to_vec())),
        "fuzz",
        compression,
        4096,
    )
}

/// One scratch file per fuzzing process.
fn scratch_path() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        std::env::temp_dir().join(format!("ferroflow-fuzz-{}.tfrecord", std::process::id()))
    })
}

fuzz_target!(|data: &[u8]| {
    let streamed = read_all(stream(data, Compression::None));

    let compression = match data.first() {
        Some(b) if b & 1 == 1 => Compression::Gzip,
        _ => Compression::Zlib,
    };
    let _ = read_all(stream(data, compression));

    let path = scratch_path();
    std::fs::write(path, data).expect("writing the scratch file");
    let reader = TfRecordReader::open(path, Compression::None, Some(4096))
        .expect("opening the scratch file");
    let from_file = read_all(reader);
    assert_eq!(
        streamed, from_file,
        "a stream and a file of the same bytes read differently"
    );
});
