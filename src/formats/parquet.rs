//! Parquet files: a source of record batches whose units are row groups, and a writer of
//! record batches. Footers are read once, when the dataset is made; a row group is read (only
//! the projected columns) when a pass reaches it.

use std::path::{Path, PathBuf};

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder,
};
use parquet::arrow::{ArrowWriter, ProjectionMask};
use parquet::basic::{Compression, GzipLevel, ZstdLevel};
use parquet::errors::ParquetError;
use parquet::file::properties::WriterProperties;
use parquet::file::reader::ChunkReader;

use super::output::{self, Commit, Local, Sink};
use super::schema::{same_schema, CommonSchema};
use super::shared_file::SharedFile;
use crate::engine::{Error, Result};
use crate::formats::batch_source::BatchSource;

struct ParquetFile {
    path: PathBuf,
    /// Open for the source's life: every row group is read from the file as it was opened.
    file: SharedFile,
    metadata: ArrowReaderMetadata,
    /// The top-level columns to read, as indices into the file's schema.
    roots: Vec<usize>,
}

/// The row groups of one or more Parquet files with the same (projected) schema.
pub struct ParquetSource {
    files: Vec<ParquetFile>,
    /// (file, row group) per unit.
    units: Vec<(usize, usize)>,
    schema: SchemaRef,
}

/// The projected columns of row group `rg` of `file`, read through `bytes`.
fn decode_row_group<T: ChunkReader + 'static>(
    file: &ParquetFile,
    rg: usize,
    bytes: T,
) -> Result<Vec<RecordBatch>> {
    let fail = |e| Error::DataLoss(format!("{}: row group {rg}: {e}", file.path.display()));
    let mask = ProjectionMask::roots(file.metadata.parquet_schema(), file.roots.clone());
    let rows = decode_rows(file.metadata.metadata().row_group(rg));
    let reader = ParquetRecordBatchReaderBuilder::new_with_metadata(bytes, file.metadata.clone())
        .with_row_groups(vec![rg])
        .with_projection(mask)
        .with_batch_size(rows)
        .build()
        .map_err(fail)?;
    reader
        .map(|b| b.map_err(|e| fail(ParquetError::ArrowError(e.to_string()))))
        .collect()
}

/// A Parquet reader's error as ours: I/O errors as I/O, anything else as damage naming
/// the file.
pub(crate) fn parquet_error(path: &Path, err: ParquetError) -> Error {
    match err {
        ParquetError::External(e) => match e.downcast::<std::io::Error>() {
            Ok(io) => Error::io(path.display(), *io),
            Err(e) => Error::DataLoss(format!("{}: {e}", path.display())),
        },
        other => Error::DataLoss(format!(
            "{}: not a readable Parquet file: {other}",
            path.display()
        )),
    }
}

impl ParquetSource {
    /// Reads the footers of `paths`; `columns` keeps only those top-level columns.
    pub fn open(paths: &[PathBuf], columns: Option<&[String]>) -> Result<Self> {
        let mut files = Vec::with_capacity(paths.len());
        let mut units = Vec::new();
        let mut schema = CommonSchema::default();
        for path in paths {
            let file = SharedFile::open(path)?;
            let metadata = ArrowReaderMetadata::load(&file, ArrowReaderOptions::new())
                .map_err(|e| parquet_error(path, e))?;
            let roots = schema.add(metadata.schema(), columns, path)?;
            let row_groups = metadata.metadata().num_row_groups();
            units.extend((0..row_groups).map(|rg| (files.len(), rg)));
            files.push(ParquetFile {
                path: path.clone(),
                file,
                metadata,
                roots,
            });
        }
        let schema = schema.finish("Parquet")?;
        Ok(ParquetSource {
            files,
            units,
            schema,
        })
    }
}

impl BatchSource for ParquetSource {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn units(&self) -> usize {
        self.units.len()
    }

    fn unit_rows(&self, unit: usize) -> Option<u64> {
        let (f, rg) = self.units[unit];
        let rows = self.files[f].metadata.metadata().row_group(rg).num_rows();
        Some(rows as u64)
    }

    fn read(&self, unit: usize) -> Result<Vec<RecordBatch>> {
        let (f, rg) = self.units[unit];
        let file = &self.files[f];
        // From an object store, the projected columns' chunks of the row group are fetched
        // whole first, all at once, rather than a request per page.
        let schema = file.metadata.parquet_schema();
        let ranges: Vec<_> = file
            .metadata
            .metadata()
            .row_group(rg)
            .columns()
            .iter()
            .enumerate()
            .filter(|(leaf, _)| file.roots.contains(&schema.get_column_root_idx(*leaf)))
            .map(|(_, column)| {
                let (start, length) = column.byte_range();
                start..start + length
            })
            .collect();
        match file.file.fetch_if_remote(&ranges) {
            Some(fetched) => {
                let fetched = fetched.map_err(|e| Error::io(file.path.display(), e))?;
                decode_row_group(file, rg, fetched)
            }
            None => decode_row_group(file, rg, file.file.clone()),
        }
    }

    fn locate(&self, unit: usize, row: u64) -> String {
        let (f, rg) = self.units[unit];
        format!(
            "row {row} of row group {rg} of {}",
            self.files[f].path.display()
        )
    }
}

/// Rows per decoded record batch: about `DECODE_BYTES` of column data. Decoding a large row
/// group into one batch is markedly slower (fresh pages for every buffer) than decoding it in
/// cache-sized pieces, and the pieces bound the memory a unit in flight takes.
fn decode_rows(row_group: &parquet::file::metadata::RowGroupMetaData) -> usize {
    const DECODE_BYTES: i64 = 1 << 20;
    let rows = row_group.num_rows().max(1);
    let per_row = (row_group.total_byte_size() / rows).max(1);
    (DECODE_BYTES / per_row).clamp(256, 65536) as usize
}

/// The codec names `write_parquet` takes, as pyarrow names them.
pub fn compression(name: Option<&str>) -> Result<Compression> {
    Ok(match name.map(str::to_ascii_lowercase).as_deref() {
        None | Some("none") | Some("uncompressed") => Compression::UNCOMPRESSED,
        Some("snappy") => Compression::SNAPPY,
        Some("zstd") => Compression::ZSTD(ZstdLevel::default()),
        Some("gzip") => Compression::GZIP(GzipLevel::default()),
        Some("lz4") => Compression::LZ4_RAW,
        Some(other) => {
            return Err(Error::invalid(format!(
                "compression must be one of None, 'snappy', 'zstd', 'gzip', 'lz4', got '{other}'"
            )))
        }
    })
}

/// Writes record batches to a Parquet file, `row_group_size` rows per row group.
pub struct ParquetSink {
    path: PathBuf,
    writer: Option<(ArrowWriter<Sink>, SchemaRef, Commit)>,
    compression: Compression,
    row_group_size: usize,
}

impl ParquetSink {
    pub fn new(path: PathBuf, compression: Compression, row_group_size: usize) -> Result<Self> {
        if row_group_size == 0 {
            return Err(Error::invalid("row_group_size must be positive"));
        }
        Ok(ParquetSink {
            path,
            writer: None,
            compression,
            row_group_size,
        })
    }

    fn fail(&self, e: ParquetError) -> Error {
        Error::Io(format!(
            "{}: cannot write Parquet: {e}",
            self.path.display()
        ))
    }

    /// Appends a batch; the first one fixes the file's schema.
    pub fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        if self.writer.is_none() {
            let (file, commit) = output::create(&self.path.to_string_lossy(), Local::InPlace)?;
            let props = WriterProperties::builder()
                .set_compression(self.compression)
                .set_max_row_group_row_count(Some(self.row_group_size))
                .build();
            let writer = ArrowWriter::try_new(file, batch.schema(), Some(props))
                .map_err(|e| self.fail(e))?;
            self.writer = Some((writer, batch.schema(), commit));
        }
        let (writer, schema, _) = self.writer.as_mut().expect("opened above");
        same_schema(schema, &batch.schema(), &self.path)?;
        let written = writer.write(batch);
        written.map_err(|e| self.fail(e))
    }

    /// Finishes the file (its footer); a sink that saw no batch writes nothing.
    pub fn finish(mut self) -> Result<()> {
        match self.writer.take() {
            Some((writer, _, commit)) => {
                writer.close().map_err(|e| self.fail(e))?;
                commit.commit()
            }
            None => Err(Error::invalid(format!(
                "{}: the dataset has no rows to write",
                self.path.display()
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_or_damaged_file_names_itself() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.parquet");
        let err = ParquetSource::open(std::slice::from_ref(&missing), None)
            .err()
            .unwrap();
        assert!(matches!(err, Error::NotFound(m) if m.contains("missing.parquet")));
        let short = dir.path().join("short.parquet");
        std::fs::write(&short, b"PAR1 not really").unwrap();
        let err = ParquetSource::open(std::slice::from_ref(&short), None)
            .err()
            .unwrap();
        assert!(matches!(err, Error::DataLoss(m) if m.contains("short.parquet")));
    }
}
