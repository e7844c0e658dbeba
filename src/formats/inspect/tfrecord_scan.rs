//! One pass over a TFRecord file: every record read by the TFRecord reader (which checks each
//! length and data checksum), counted, and handed to the Example statistics. The first damage
//! ends the pass, as it ends TensorFlow's reader: nothing after a bad length can be framed.

use std::io::{self, Read};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::example_schema::{Contents, SchemaBuilder};
use super::Progress;
use crate::engine::{Error, Result};
use crate::formats::compression::Compression;
use crate::formats::open_file;
use crate::formats::tfrecord::TfRecordReader;

/// Bytes before a record's data: its length and the length's checksum.
const HEADER_LEN: u64 = 12;
/// The compressed side's read buffer, TensorFlow's default.
const READ_BUFFER: usize = 256 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DamageKind {
    /// The file ends inside a record, or a length claims more than the file holds.
    Truncated,
    /// A record's length does not match its checksum.
    LengthCrc,
    /// A record's data does not match its checksum.
    DataCrc,
    /// The bytes could not be read or decompressed.
    Unreadable,
}

impl DamageKind {
    pub fn name(self) -> &'static str {
        match self {
            DamageKind::Truncated => "truncated",
            DamageKind::LengthCrc => "length_crc",
            DamageKind::DataCrc => "data_crc",
            DamageKind::Unreadable => "unreadable",
        }
    }
}

/// The first damaged record of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Damage {
    pub kind: DamageKind,
    /// Where TensorFlow's reader reports it: the record's start, or its data for a data
    /// checksum. Offsets count bytes of the decompressed stream.
    pub offset: u64,
    /// Where the damaged record starts.
    pub record_offset: u64,
    /// The damaged record's index (the number of intact records before it).
    pub record: u64,
    pub message: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RecordSizes {
    pub min: u64,
    pub max: u64,
    pub total: u64,
}

#[derive(Debug, Clone)]
pub struct TfRecordReport {
    pub compression: Compression,
    /// Intact records (all of them when `damage` is `None`).
    pub records: u64,
    /// Data bytes of the intact records.
    pub sizes: RecordSizes,
    pub damage: Option<Damage>,
    /// What the intact records are.
    pub contents: Contents,
}

/// Counts the bytes read through it, for progress through a compressed file.
struct Counted<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Decides when progress is due. The clock is read only every so many records or bytes, so
/// small records do not pay for it.
struct Ticker {
    interval: Duration,
    last: Instant,
    records: u32,
    bytes: u64,
}

impl Ticker {
    const CHECK_RECORDS: u32 = 256;
    const CHECK_BYTES: u64 = 1 << 20;

    fn new(interval: Duration) -> Self {
        Ticker {
            interval,
            last: Instant::now(),
            records: 0,
            bytes: 0,
        }
    }

    fn due(&mut self, record_len: usize) -> bool {
        self.records += 1;
        self.bytes += record_len as u64;
        if self.records < Self::CHECK_RECORDS && self.bytes < Self::CHECK_BYTES {
            return false;
        }
        self.records = 0;
        self.bytes = 0;
        let now = Instant::now();
        if now.duration_since(self.last) < self.interval {
            return false;
        }
        self.last = now;
        true
    }
}

/// Reads every record of `path` (of `size` bytes) through `compression`, calling `progress`
/// at most once per `interval`.
pub(super) fn scan(
    path: &Path,
    compression: Compression,
    size: u64,
    progress: &mut dyn FnMut(Progress) -> Result<()>,
    interval: Duration,
) -> Result<TfRecordReport> {
    let consumed = Arc::new(AtomicU64::new(0));
    let mut reader = match compression {
        // The plain reader checks each length against the file size before reading it.
        Compression::None => TfRecordReader::open(path, compression, None)?,
        _ => {
            let counted = Counted {
                inner: open_file(path)?,
                count: consumed.clone(),
            };
            let name = path.display().to_string();
            TfRecordReader::from_reader(Box::new(counted), name, compression, READ_BUFFER)
        }
    };
    let mut schema = SchemaBuilder::new();
    let mut sizes = RecordSizes::default();
    let mut ticker = Ticker::new(interval);
    let mut record = Vec::new();
    let mut damage = None;
    loop {
        let start = reader.offset();
        match reader.read_record_into(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(err) => {
                damage = Some(classify(err, start, schema.records()));
                break;
            }
        }
        let len = record.len() as u64;
        sizes.min = if schema.records() == 0 {
            len
        } else {
            sizes.min.min(len)
        };
        sizes.max = sizes.max.max(len);
        sizes.total += len;
        schema.add(&record, start);
        if ticker.due(record.len()) {
            let bytes = match compression {
                Compression::None => reader.offset(),
                _ => consumed.load(Ordering::Relaxed),
            };
            progress(Progress {
                bytes: bytes.min(size),
                total: size,
                records: schema.records(),
            })?;
        }
    }
    Ok(TfRecordReport {
        compression,
        records: schema.records(),
        sizes,
        damage,
        contents: schema.finish(),
    })
}

/// Names the damage the reader found in the record starting at `start`. The reader's message
/// says whether the record was cut short or failed a checksum, and where: at the record's
/// start for its length, at its data for the data.
fn classify(err: Error, start: u64, record: u64) -> Damage {
    let (kind, offset) = match &err {
        Error::DataLoss(m) if m.starts_with("truncated record") => (DamageKind::Truncated, start),
        Error::DataLoss(m)
            if m.starts_with(&format!("corrupted record at {} ", start + HEADER_LEN)) =>
        {
            (DamageKind::DataCrc, start + HEADER_LEN)
        }
        Error::DataLoss(m) if m.starts_with("corrupted record") => (DamageKind::LengthCrc, start),
        _ => (DamageKind::Unreadable, start),
    };
    Damage {
        kind,
        offset,
        record_offset: start,
        record,
        message: err.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::inspect::example_schema::{Shape, ValueKind};
    use crate::formats::testdata::{fixture, json_fixture};
    use crate::formats::tfrecord::TfRecordWriter;

    fn quiet(_: Progress) -> Result<()> {
        Ok(())
    }

    fn scan_fixture(name: &str, compression: Compression) -> TfRecordReport {
        let path = fixture(name);
        let size = std::fs::metadata(&path).unwrap().len();
        scan(&path, compression, size, &mut quiet, Duration::ZERO).unwrap()
    }

    #[test]
    fn examples_give_tensorflows_feature_schema_whatever_the_compression() {
        let expected = json_fixture("examples.json");
        let records = expected.get("records").array();
        for (name, compression) in [
            ("examples.tfrecord", Compression::None),
            ("examples.tfrecord.gz", Compression::Gzip),
            ("examples.tfrecord.zlib", Compression::Zlib),
        ] {
            let report = scan_fixture(name, compression);
            assert_eq!(report.records, 50, "{name}");
            assert_eq!(report.damage, None, "{name}");
            let Contents::Examples(features) = report.contents else {
                panic!("{name}: expected Examples, got {:?}", report.contents);
            };
            let shape = |n: &str| {
                let f = features.iter().find(|f| f.name == n).unwrap();
                (f.kind().unwrap(), f.shape(50))
            };
            assert_eq!(shape("label"), (ValueKind::Int64, Shape::Scalar));
            assert_eq!(shape("id"), (ValueKind::Int64, Shape::Scalar));
            assert_eq!(shape("score"), (ValueKind::Float, Shape::Scalar));
            assert_eq!(shape("embedding"), (ValueKind::Float, Shape::Fixed(8)));
            assert_eq!(shape("name"), (ValueKind::Bytes, Shape::Scalar));
            assert_eq!(shape("blob"), (ValueKind::Bytes, Shape::Scalar));
            assert_eq!(shape("tokens"), (ValueKind::Int64, Shape::Variable));
            assert_eq!(shape("tags"), (ValueKind::Bytes, Shape::Variable));
            // The value counts agree with TensorFlow's own decoding of every record.
            for f in &features {
                let values: u64 = records
                    .iter()
                    .map(|r| {
                        let feature = r.get(&f.name);
                        let list = feature
                            .try_get("values")
                            .or_else(|| feature.try_get("values_b64"))
                            .unwrap();
                        list.array().len() as u64
                    })
                    .sum();
                assert_eq!(f.values, values, "{name}: {}", f.name);
            }
        }
    }

    #[test]
    fn damage_is_reported_where_tensorflow_reports_it() {
        // (file, kind, offset, intact records before it): damaged.json's counts and offsets.
        let cases = [
            ("truncated.tfrecord", DamageKind::Truncated, 1073, 3),
            ("bad_data_crc.tfrecord", DamageKind::DataCrc, 45, 2),
            ("bad_length_crc.tfrecord", DamageKind::LengthCrc, 0, 0),
            ("bad_magic_length.tfrecord", DamageKind::LengthCrc, 0, 0),
            (
                "huge_length_valid_crc.tfrecord",
                DamageKind::Truncated,
                0,
                0,
            ),
        ];
        for (name, kind, offset, records) in cases {
            let report = scan_fixture(name, Compression::None);
            let damage = report.damage.unwrap();
            assert_eq!(damage.kind, kind, "{name}");
            assert_eq!(damage.offset, offset, "{name}");
            assert_eq!(report.records, records, "{name}");
            assert_eq!(damage.record, records, "{name}");
            assert!(damage.message.contains(name), "{name}: {}", damage.message);
        }
        let damage = scan_fixture("bad_data_crc.tfrecord", Compression::None)
            .damage
            .unwrap();
        assert_eq!(damage.record_offset, 33);
    }

    #[test]
    fn raw_and_empty_files_are_counted_but_not_examples() {
        let raw = scan_fixture("raw.tfrecord", Compression::None);
        assert_eq!(raw.records, 4);
        assert_eq!(
            raw.sizes,
            RecordSizes {
                min: 0,
                max: 70_000,
                total: 71_025
            }
        );
        assert!(matches!(raw.contents, Contents::Other { .. }));
        let empty = scan_fixture("empty.tfrecord", Compression::None);
        assert_eq!((empty.records, empty.damage), (0, None));
        assert_eq!(empty.contents, Contents::NoRecords);
    }

    #[test]
    fn a_damaged_compressed_stream_is_reported_not_raised() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cut.tfrecord.gz");
        let mut writer = TfRecordWriter::create(&path, Compression::Gzip).unwrap();
        for i in 0..2000u32 {
            writer.write_record(&i.to_le_bytes().repeat(50)).unwrap();
        }
        writer.close().unwrap();
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
        let size = bytes.len() as u64 / 2;
        let report = scan(&path, Compression::Gzip, size, &mut quiet, Duration::ZERO).unwrap();
        let damage = report.damage.expect("a cut stream is damage");
        assert!(report.records < 2000);
        assert_eq!(damage.record, report.records);
        assert!(
            damage.message.contains("cut.tfrecord.gz"),
            "{}",
            damage.message
        );
    }

    #[test]
    fn progress_is_reported_and_its_error_stops_the_scan() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.tfrecord");
        let mut writer = TfRecordWriter::create(&path, Compression::None).unwrap();
        let record = vec![7u8; 64 * 1024];
        for _ in 0..64 {
            writer.write_record(&record).unwrap();
        }
        writer.close().unwrap();
        let size = std::fs::metadata(&path).unwrap().len();
        let mut seen = Vec::new();
        let mut record_progress = |p: Progress| {
            seen.push(p);
            Ok(())
        };
        let report = scan(
            &path,
            Compression::None,
            size,
            &mut record_progress,
            Duration::ZERO,
        )
        .unwrap();
        assert_eq!(report.records, 64);
        // Every 1 MiB: after records 16, 32, 48 and 64.
        assert_eq!(
            seen.iter().map(|p| p.records).collect::<Vec<_>>(),
            [16, 32, 48, 64]
        );
        assert!(seen.iter().all(|p| p.total == size && p.bytes <= size));
        assert_eq!(seen.last().unwrap().bytes, size);

        let mut stop = |_: Progress| Err(Error::Cancelled);
        let stopped = scan(&path, Compression::None, size, &mut stop, Duration::ZERO);
        assert!(matches!(stopped, Err(Error::Cancelled)));
    }
}
