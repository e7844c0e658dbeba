//! Arrow IPC files (Feather v2) as a source of record batches, one unit per record batch. A
//! file in the IPC stream format has no index of its batches, so it is one unit read whole.

use std::io::BufReader;
use std::path::{Path, PathBuf};

use arrow_array::RecordBatch;
use arrow_ipc::reader::{FileReader, StreamReader};
use arrow_schema::{ArrowError, SchemaRef};

use super::open_file;
use super::schema::CommonSchema;
use crate::engine::{Error, Result};
use crate::ops::columnar::BatchSource;

struct IpcFile {
    path: PathBuf,
    roots: Vec<usize>,
    /// Record batches in the file's index; `None` for the stream format.
    batches: Option<usize>,
}

/// The record batches of one or more Arrow IPC files with the same (projected) schema.
pub struct ArrowIpcSource {
    files: Vec<IpcFile>,
    /// (file, batch) per unit; the batch is 0 for a stream-format file.
    units: Vec<(usize, usize)>,
    schema: SchemaRef,
}

fn ipc_error(path: &Path, e: ArrowError) -> Error {
    match e {
        ArrowError::IoError(_, io) => Error::io(path.display(), io),
        other => Error::DataLoss(format!(
            "{}: not a readable Arrow IPC file: {other}",
            path.display()
        )),
    }
}

impl ArrowIpcSource {
    /// Reads the schema (and, for the file format, the index) of every file.
    pub fn open(paths: &[PathBuf], columns: Option<&[String]>) -> Result<Self> {
        let mut files = Vec::with_capacity(paths.len());
        let mut units = Vec::new();
        let mut schema = CommonSchema::default();
        for path in paths {
            let (full, batches) = match FileReader::try_new_buffered(open_file(path)?, None) {
                Ok(reader) => (reader.schema(), Some(reader.num_batches())),
                Err(file_err) => match StreamReader::try_new_buffered(open_file(path)?, None) {
                    Ok(reader) => (reader.schema(), None),
                    Err(_) => return Err(ipc_error(path, file_err)),
                },
            };
            let roots = schema.add(&full, columns, path)?;
            units.extend((0..batches.unwrap_or(1)).map(|b| (files.len(), b)));
            files.push(IpcFile {
                path: path.clone(),
                roots,
                batches,
            });
        }
        let schema = schema.finish("Arrow IPC")?;
        Ok(ArrowIpcSource {
            files,
            units,
            schema,
        })
    }
}

impl BatchSource for ArrowIpcSource {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn units(&self) -> usize {
        self.units.len()
    }

    fn unit_rows(&self, _unit: usize) -> Option<u64> {
        None
    }

    fn read(&self, unit: usize) -> Result<Vec<RecordBatch>> {
        let (f, index) = self.units[unit];
        let file = &self.files[f];
        let fail = |e| ipc_error(&file.path, e);
        let handle = BufReader::new(open_file(&file.path)?);
        let projection = Some(file.roots.clone());
        match file.batches {
            Some(_) => {
                let mut reader = FileReader::try_new(handle, projection).map_err(fail)?;
                reader.set_index(index).map_err(fail)?;
                let batch = reader.next().transpose().map_err(fail)?;
                Ok(batch.into_iter().collect())
            }
            None => StreamReader::try_new(handle, projection)
                .map_err(fail)?
                .map(|b| b.map_err(fail))
                .collect(),
        }
    }

    fn locate(&self, unit: usize, row: u64) -> String {
        let (f, index) = self.units[unit];
        let file = &self.files[f];
        match file.batches {
            Some(_) => format!(
                "row {row} of record batch {index} of {}",
                file.path.display()
            ),
            None => format!("row {row} of {}", file.path.display()),
        }
    }
}
