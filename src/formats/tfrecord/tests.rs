use std::io::Cursor;

use super::*;
use crate::engine::error::Error;
use crate::formats::compression::Compression;
use crate::formats::testdata::{base64_decode, fixture, json_fixture, read_fixture};

fn read_all(name: &str, compression: Compression) -> Vec<Vec<u8>> {
    let mut reader = TfRecordReader::open(&fixture(name), compression, None).unwrap();
    let mut records = Vec::new();
    while let Some(r) = reader.next_record().unwrap() {
        records.push(r);
    }
    records
}

fn raw_expected() -> Vec<Vec<u8>> {
    json_fixture("raw.json")
        .get("records_b64")
        .array()
        .iter()
        .map(|r| base64_decode(r.str()))
        .collect()
}

#[test]
fn raw_records_match_tensorflow() {
    let records = read_all("raw.tfrecord", Compression::None);
    let expected = raw_expected();
    assert_eq!(
        records.iter().map(Vec::len).collect::<Vec<_>>(),
        [0, 1, 1024, 70_000]
    );
    assert_eq!(records, expected);
}

#[test]
fn offset_is_the_start_of_the_next_record() {
    let mut reader =
        TfRecordReader::open(&fixture("raw.tfrecord"), Compression::None, None).unwrap();
    let mut offsets = vec![reader.offset()];
    let mut record = Vec::new();
    while reader.read_record_into(&mut record).unwrap() {
        offsets.push(reader.offset());
    }
    assert_eq!(offsets, [0, 16, 33, 1073, 71089]);
}

#[test]
fn empty_file_has_no_records() {
    assert!(read_all("empty.tfrecord", Compression::None).is_empty());
}

#[test]
fn compressed_files_hold_the_same_records() {
    let plain = read_all("examples.tfrecord", Compression::None);
    assert_eq!(plain.len(), 50);
    assert_eq!(read_all("examples.tfrecord.gz", Compression::Gzip), plain);
    assert_eq!(read_all("examples.tfrecord.zlib", Compression::Zlib), plain);
}

#[test]
fn batched_reads_fill_a_string_buffer() {
    let mut reader =
        TfRecordReader::open(&fixture("raw.tfrecord"), Compression::None, Some(100)).unwrap();
    let mut out = crate::engine::tensor::StringBuf::new();
    let mut scratch = Vec::new();
    assert_eq!(
        reader.read_records_into(&mut out, 3, &mut scratch).unwrap(),
        3
    );
    assert_eq!(
        reader.read_records_into(&mut out, 3, &mut scratch).unwrap(),
        1
    );
    assert_eq!(
        out.iter().map(<[u8]>::to_vec).collect::<Vec<_>>(),
        raw_expected()
    );
}

/// Reads a damaged file the way TensorFlow did: the same records, then a data-loss error whose
/// message names the file and TensorFlow's offset.
fn check_damaged(name: &str, compression: Compression, expect_count: usize, expect: &str) {
    let path = fixture(name);
    let mut reader = TfRecordReader::open(&path, compression, None).unwrap();
    let mut count = 0;
    let err = loop {
        match reader.next_record() {
            Ok(Some(_)) => count += 1,
            Ok(None) => panic!("{name}: no error after {count} records"),
            Err(e) => break e,
        }
    };
    assert_eq!(count, expect_count, "{name}");
    match &err {
        Error::DataLoss(m) => {
            assert!(m.contains(expect), "{name}: {m:?} lacks {expect:?}");
            assert!(m.contains(&path.display().to_string()), "{name}: {m}");
        }
        other => panic!("{name}: expected DataLoss, got {other:?}"),
    }
    // The reader stays failed rather than resynchronising on garbage.
    assert!(matches!(reader.next_record(), Err(Error::DataLoss(_))));
}

#[test]
fn damaged_files_fail_like_tensorflow() {
    let damaged = json_fixture("damaged.json");
    for (name, expected) in damaged.entries() {
        let Some(count) = expected.try_get("records_before_error") else {
            continue;
        };
        // TensorFlow's message is "<what> at <offset>[ (hint)]" behind op context.
        let message = expected.get("message").str();
        let what = ["truncated record at ", "corrupted record at "]
            .into_iter()
            .find(|w| message.contains(w))
            .unwrap();
        let offset: String = message[message.find(what).unwrap() + what.len()..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        let expect = format!("{what}{offset}");
        check_damaged(name, Compression::None, count.i64() as usize, &expect);
        if message.contains("(Is this even a TFRecord file?)") {
            let mut reader = TfRecordReader::open(&fixture(name), Compression::None, None).unwrap();
            let err = reader.next_record().unwrap_err().to_string();
            assert!(err.contains("(Is this even a TFRecord file?)"), "{err}");
        }
    }
}

#[test]
fn huge_length_is_a_clean_error() {
    // Length 2^40 with a valid CRC: refused by comparing with the file size, before allocating.
    check_damaged(
        "huge_length_valid_crc.tfrecord",
        Compression::None,
        0,
        "truncated record at 0",
    );
    // Through an unsized stream the data is read in growing chunks, so only the few bytes that
    // exist are ever allocated.
    let bytes = read_fixture("huge_length_valid_crc.tfrecord");
    let mut reader = TfRecordReader::from_reader(
        Box::new(Cursor::new(bytes)),
        "stream",
        Compression::None,
        64,
    );
    match reader.next_record() {
        Err(Error::DataLoss(m)) => assert!(m.contains("truncated record at 0 in stream"), "{m}"),
        other => panic!("expected DataLoss, got {other:?}"),
    }
}

#[test]
fn truncated_compressed_stream_is_data_loss() {
    // A gzip stream that ends inside a record: the decoder reports the early end as an I/O
    // error or a short read; either way no record is invented.
    let bytes = read_fixture("raw.tfrecord");
    let mut compressed = Vec::new();
    {
        use std::io::Write;
        let mut enc = flate2::write::GzEncoder::new(&mut compressed, flate2::Compression::fast());
        enc.write_all(&bytes[..1500]).unwrap();
        enc.finish().unwrap();
    }
    let mut reader = TfRecordReader::from_reader(
        Box::new(Cursor::new(compressed)),
        "cut.gz",
        Compression::Gzip,
        4096,
    );
    for _ in 0..3 {
        reader.next_record().unwrap().unwrap();
    }
    match reader.next_record() {
        Err(Error::DataLoss(m)) => assert!(m.contains("truncated record at 1073 in cut.gz"), "{m}"),
        other => panic!("expected DataLoss, got {other:?}"),
    }
}

/// A `Write` whose bytes the test can read after the writer is done with it.
#[derive(Clone, Default)]
struct SharedSink(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for SharedSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn write_all(records: &[Vec<u8>], compression: Compression) -> Vec<u8> {
    let sink = SharedSink::default();
    let mut writer = TfRecordWriter::from_writer(Box::new(sink.clone()), "mem", compression);
    for r in records {
        writer.write_record(r).unwrap();
    }
    writer.close().unwrap();
    assert!(matches!(
        writer.write_record(b"late"),
        Err(Error::FailedPrecondition(_))
    ));
    let bytes = sink.0.lock().unwrap().clone();
    bytes
}

#[test]
fn uncompressed_rewrite_is_byte_identical() {
    let records = read_all("raw.tfrecord", Compression::None);
    assert_eq!(
        write_all(&records, Compression::None),
        read_fixture("raw.tfrecord")
    );
    let examples = read_all("examples.tfrecord", Compression::None);
    assert_eq!(
        write_all(&examples, Compression::None),
        read_fixture("examples.tfrecord")
    );
}

#[test]
fn compressed_writes_round_trip() {
    let records = read_all("examples.tfrecord", Compression::None);
    for compression in [Compression::Gzip, Compression::Zlib] {
        let bytes = write_all(&records, compression);
        let reader =
            TfRecordReader::from_reader(Box::new(Cursor::new(bytes)), "mem", compression, 1 << 16);
        let back: Vec<Vec<u8>> = reader.map(Result::unwrap).collect();
        assert_eq!(back, records, "{compression:?}");
    }
}

#[test]
fn writer_creates_files_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.tfrecord.gz");
    let mut writer = TfRecordWriter::create(&path, Compression::Gzip).unwrap();
    writer.write_record(b"hello").unwrap();
    writer.flush().unwrap();
    writer.close().unwrap();
    let mut reader = TfRecordReader::open(&path, Compression::Gzip, None).unwrap();
    assert_eq!(reader.next_record().unwrap().unwrap(), b"hello");
    assert!(reader.next_record().unwrap().is_none());
}

#[test]
fn missing_file_is_not_found() {
    match TfRecordReader::open(&fixture("no-such.tfrecord"), Compression::None, None) {
        Err(Error::NotFound(m)) => assert!(m.contains("no-such.tfrecord"), "{m}"),
        Err(other) => panic!("expected NotFound, got {other:?}"),
        Ok(_) => panic!("expected NotFound"),
    }
}
