//! A Parquet file's footer, summarized: rows, row groups, the Arrow schema the readers give
//! it, and per leaf column the codecs, sizes and null counts its chunks record. Nothing but
//! the footer is read.

use std::fs::File;
use std::path::Path;

use parquet::arrow::arrow_reader::{ArrowReaderMetadata, ArrowReaderOptions};
use parquet::basic::Compression;
use parquet::errors::ParquetError;
use parquet::file::metadata::ColumnChunkMetaData;

use super::{fields, Field};
use crate::engine::Result;
use crate::formats::parquet::parquet_error;

/// One leaf column over all row groups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParquetColumn {
    /// The dotted path of the leaf (`vec.list.element` for a list's values).
    pub path: String,
    pub physical_type: String,
    /// The distinct codecs of its chunks, in row-group order.
    pub codecs: Vec<String>,
    pub compressed_bytes: u64,
    pub uncompressed_bytes: u64,
    /// Nulls over all chunks; `None` when some chunk does not record it.
    pub null_count: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParquetReport {
    pub rows: u64,
    /// Rows per row group.
    pub row_groups: Vec<u64>,
    pub created_by: Option<String>,
    pub fields: Vec<Field>,
    pub columns: Vec<ParquetColumn>,
    /// The distinct codecs of all chunks.
    pub codecs: Vec<String>,
}

/// The codec's name as the Parquet format spells it, without the writer's level (which the
/// file does not record).
fn codec_name(c: Compression) -> &'static str {
    match c {
        Compression::UNCOMPRESSED => "UNCOMPRESSED",
        Compression::SNAPPY => "SNAPPY",
        Compression::GZIP(_) => "GZIP",
        Compression::LZO => "LZO",
        Compression::BROTLI(_) => "BROTLI",
        Compression::LZ4 => "LZ4",
        Compression::ZSTD(_) => "ZSTD",
        Compression::LZ4_RAW => "LZ4_RAW",
    }
}

fn push_unique(list: &mut Vec<String>, item: &str) {
    if !list.iter().any(|c| c == item) {
        list.push(item.to_owned());
    }
}

fn add_chunk(column: &mut ParquetColumn, chunk: &ColumnChunkMetaData) {
    push_unique(&mut column.codecs, codec_name(chunk.compression()));
    column.compressed_bytes += chunk.compressed_size().max(0) as u64;
    column.uncompressed_bytes += chunk.uncompressed_size().max(0) as u64;
    let nulls = chunk.statistics().and_then(|s| s.null_count_opt());
    column.null_count = column.null_count.zip(nulls).map(|(a, b)| a + b);
}

pub(super) fn read(path: &Path, file: File) -> Result<ParquetReport> {
    // A damaged footer must be an error, never a panic that takes the process down.
    let loaded =
        std::panic::catch_unwind(|| ArrowReaderMetadata::load(&file, ArrowReaderOptions::new()))
            .unwrap_or_else(|_| Err(ParquetError::General("malformed metadata".into())));
    let metadata = loaded.map_err(|e| parquet_error(path, e))?;
    let parquet = metadata.metadata();
    let mut columns: Vec<ParquetColumn> = parquet
        .file_metadata()
        .schema_descr()
        .columns()
        .iter()
        .map(|c| ParquetColumn {
            path: c.path().string(),
            physical_type: c.physical_type().to_string(),
            codecs: Vec::new(),
            compressed_bytes: 0,
            uncompressed_bytes: 0,
            null_count: Some(0),
        })
        .collect();
    let mut codecs = Vec::new();
    for group in parquet.row_groups() {
        for (column, chunk) in columns.iter_mut().zip(group.columns()) {
            add_chunk(column, chunk);
            push_unique(&mut codecs, codec_name(chunk.compression()));
        }
    }
    Ok(ParquetReport {
        rows: parquet.file_metadata().num_rows().max(0) as u64,
        row_groups: parquet
            .row_groups()
            .iter()
            .map(|g| g.num_rows().max(0) as u64)
            .collect(),
        created_by: parquet.file_metadata().created_by().map(str::to_owned),
        fields: fields(metadata.schema()),
        columns,
        codecs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Error;
    use crate::formats::open_file;
    use crate::formats::testdata::fixture;

    fn report(name: &str) -> Result<ParquetReport> {
        let path = fixture(&format!("../parquet/{name}"));
        read(&path, open_file(&path)?)
    }

    #[test]
    fn reference_tables_show_rows_row_groups_and_codecs() {
        for (name, codec) in [
            ("table_snappy.parquet", "SNAPPY"),
            ("table_zstd.parquet", "ZSTD"),
            ("table_gzip.parquet", "GZIP"),
            ("table_none.parquet", "UNCOMPRESSED"),
        ] {
            let r = report(name).unwrap();
            assert_eq!(r.rows, 300, "{name}");
            assert_eq!(r.row_groups, [64, 64, 64, 64, 44], "{name}");
            assert_eq!(r.codecs, [codec], "{name}");
            assert_eq!(
                r.fields.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(),
                ["id", "x", "maybe", "word", "vec", "seq", "raw", "flag"],
                "{name}"
            );
            let maybe = r.columns.iter().find(|c| c.path == "maybe").unwrap();
            assert!(maybe.null_count.unwrap() > 0, "{name}");
            let id = r.columns.iter().find(|c| c.path == "id").unwrap();
            assert_eq!(id.null_count, Some(0));
            assert_eq!(id.physical_type, "INT64");
        }
    }

    #[test]
    fn a_file_that_is_not_parquet_is_a_data_loss_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fake.parquet");
        std::fs::write(&path, b"PAR1 but nothing else").unwrap();
        match read(&path, open_file(&path).unwrap()) {
            Err(Error::DataLoss(m)) => assert!(m.contains("fake.parquet"), "{m}"),
            other => panic!("expected DataLoss, got {other:?}"),
        }
    }
}
