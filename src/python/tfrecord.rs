//! `TFRecordWriter`'s native half: records go straight to the Rust writer.

use std::path::PathBuf;
use std::sync::Mutex;

use pyo3::prelude::*;
use pyo3::types::PyBytes;

use super::errors::IntoPyResult;
use crate::engine::Error;
use crate::formats::compression::Compression;
use crate::formats::tfrecord::TfRecordWriter;

#[pyclass(frozen, module = "ferroflow._lib")]
pub struct NativeTfRecordWriter {
    writer: Mutex<TfRecordWriter>,
}

impl NativeTfRecordWriter {
    fn with<T>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&mut TfRecordWriter) -> Result<T, Error> + Send,
    ) -> PyResult<T>
    where
        T: Send,
    {
        py.detach(|| f(&mut self.writer.lock().unwrap_or_else(|p| p.into_inner())))
            .py_err(py)
    }
}

#[pymethods]
impl NativeTfRecordWriter {
    #[new]
    fn new(py: Python<'_>, path: PathBuf, compression: &str) -> PyResult<Self> {
        let compression = Compression::parse(compression).py_err(py)?;
        let writer = py
            .detach(|| TfRecordWriter::create(&path, compression))
            .py_err(py)?;
        Ok(NativeTfRecordWriter {
            writer: Mutex::new(writer),
        })
    }

    fn write(&self, py: Python<'_>, record: &Bound<'_, PyBytes>) -> PyResult<()> {
        let data = record.as_bytes();
        // Without the GIL: a write to an object in a store may wait for a part to upload.
        self.with(py, |w| w.write_record(data))
    }

    fn flush(&self, py: Python<'_>) -> PyResult<()> {
        self.with(py, |w| w.flush())
    }

    fn close(&self, py: Python<'_>) -> PyResult<()> {
        self.with(py, |w| w.close())
    }
}
