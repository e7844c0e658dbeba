//! Inspecting data files without reading them into a pipeline: what format a file is, how it
//! is compressed, how many records or rows it holds, whether every TFRecord checksum holds,
//! and what tf.train.Example features its records carry. The file-format code elsewhere in
//! `formats` does the reading; this module only counts and summarizes.

mod detect;
mod example_schema;
mod ipc_meta;
mod parquet_meta;
mod tfrecord_scan;

pub use detect::Format;
pub use example_schema::{Contents, FeatureStats, KindCounts, Shape, ValueKind};
pub use ipc_meta::IpcReport;
pub use parquet_meta::{ParquetColumn, ParquetReport};
pub use tfrecord_scan::{Damage, DamageKind, RecordSizes, TfRecordReport};

use std::io::Read;
use std::path::Path;
use std::time::Duration;

use arrow_schema::Schema;

use super::open_file;
use crate::engine::{Error, Result};

/// How often progress is reported by default: often enough for a live display, and for
/// Ctrl-C (noticed in the callback) to feel immediate.
pub const PROGRESS_INTERVAL: Duration = Duration::from_millis(100);

/// How far a scan has got, for a progress display.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Bytes of the file consumed so far (compressed bytes for a compressed file).
    pub bytes: u64,
    /// The file's size.
    pub total: u64,
    /// Records read so far.
    pub records: u64,
}

/// What one file holds.
#[derive(Debug, Clone)]
pub struct Report {
    pub path: String,
    /// The file's size in bytes.
    pub size: u64,
    pub contents: FileReport,
}

#[derive(Debug, Clone)]
pub enum FileReport {
    TfRecord(TfRecordReport),
    Parquet(ParquetReport),
    ArrowIpc(IpcReport),
}

/// A top-level column as Arrow sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub name: String,
    pub data_type: String,
    pub nullable: bool,
}

pub(crate) fn fields(schema: &Schema) -> Vec<Field> {
    schema
        .fields()
        .iter()
        .map(|f| Field {
            name: f.name().clone(),
            data_type: f.data_type().to_string(),
            nullable: f.is_nullable(),
        })
        .collect()
}

/// Bytes read to tell a format from another: enough for a TFRecord header (length and its
/// checksum) and the Arrow file magic.
const HEAD_LEN: usize = 12;

/// Inspects one file. A damaged TFRecord file is a report (with its damage), not an error: the
/// error cases are files that cannot be opened and Parquet or Arrow files whose metadata cannot
/// be read. `progress` is called at most once per `interval` during long scans; an error it
/// returns (an interrupt, say) stops the scan and is returned.
pub fn inspect_file(
    path: &Path,
    interval: Duration,
    progress: &mut dyn FnMut(Progress) -> Result<()>,
) -> Result<Report> {
    let name = path.display().to_string();
    let mut file = open_file(path)?;
    let meta = file.metadata().map_err(|e| Error::io(&name, e))?;
    if meta.is_dir() {
        return Err(Error::InvalidArgument(format!(
            "{name} is a directory, not a data file"
        )));
    }
    let mut head = Vec::with_capacity(HEAD_LEN);
    (&mut file)
        .take(HEAD_LEN as u64)
        .read_to_end(&mut head)
        .map_err(|e| Error::io(&name, e))?;
    let contents = match detect::detect(path, &head) {
        Format::TfRecord(compression) => FileReport::TfRecord(tfrecord_scan::scan(
            path,
            compression,
            meta.len(),
            progress,
            interval,
        )?),
        Format::Parquet => FileReport::Parquet(parquet_meta::read(path, file)?),
        Format::ArrowFile => FileReport::ArrowIpc(ipc_meta::read_file(path, file)?),
        Format::ArrowStream => FileReport::ArrowIpc(ipc_meta::read_stream(path, file)?),
    };
    Ok(Report {
        path: name,
        size: meta.len(),
        contents,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::compression::Compression;
    use crate::formats::testdata::fixture;

    fn inspect(path: &Path) -> Result<Report> {
        inspect_file(path, PROGRESS_INTERVAL, &mut |_| Ok(()))
    }

    #[test]
    fn dispatches_on_content() {
        let report = inspect(&fixture("examples.tfrecord.gz")).unwrap();
        match report.contents {
            FileReport::TfRecord(r) => {
                assert_eq!(r.compression, Compression::Gzip);
                assert_eq!(r.records, 50);
            }
            other => panic!("expected a TFRecord report, got {other:?}"),
        }
        let report = inspect(&fixture("../parquet/table_zstd.parquet")).unwrap();
        assert!(matches!(report.contents, FileReport::Parquet(_)));
        let report = inspect(&fixture("../parquet/table.arrow")).unwrap();
        assert!(matches!(report.contents, FileReport::ArrowIpc(_)));
    }

    #[test]
    fn streams_are_read_from_their_start_after_detection() {
        use arrow_array::{Int32Array, RecordBatch};
        use arrow_ipc::writer::StreamWriter;
        use arrow_schema::{DataType, Field, Schema};
        use std::sync::Arc;

        let schema = Arc::new(Schema::new(vec![Field::new("a", DataType::Int32, false)]));
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![Arc::new(Int32Array::from_iter_values(0..5))],
        )
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.arrows");
        let mut w = StreamWriter::try_new(std::fs::File::create(&path).unwrap(), &schema).unwrap();
        w.write(&batch).unwrap();
        w.finish().unwrap();
        match inspect(&path).unwrap().contents {
            FileReport::ArrowIpc(r) => assert_eq!((r.stream, r.rows), (true, 5)),
            other => panic!("expected an Arrow IPC report, got {other:?}"),
        }
    }

    #[test]
    fn missing_files_and_directories_are_errors_naming_the_path() {
        match inspect(&fixture("no_such_file.tfrecord")) {
            Err(Error::NotFound(m)) => assert!(m.contains("no_such_file.tfrecord"), "{m}"),
            other => panic!("expected NotFound, got {other:?}"),
        }
        let dir = tempfile::tempdir().unwrap();
        match inspect(dir.path()) {
            Err(Error::InvalidArgument(m)) => assert!(m.contains("directory"), "{m}"),
            other => panic!("expected InvalidArgument, got {other:?}"),
        }
    }
}
