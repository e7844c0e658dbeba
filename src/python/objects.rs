//! Objects in stores as Python sees them: listing, stat, delete, copy, per-prefix options,
//! and streams to read and write one object (the raw layer under `gfile.GFile`).

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::Mutex;

use pyo3::prelude::*;
use pyo3::types::PyBytes;

use super::errors::IntoPyResult;
use crate::engine::Error;
use crate::formats::output::{self, Commit, Local, Sink};
use crate::formats::remote::{self, ObjectInfo};
use crate::formats::shared_file::{OffsetReader, SharedFile};

type Info = (String, u64, i64);

fn as_tuple(info: ObjectInfo) -> Info {
    (info.url, info.size, info.modified_ns)
}

/// The URLs of every object under `prefix` in an object store (`s3://bucket/dir/`).
#[pyfunction]
pub fn list_objects(py: Python<'_>, prefix: String) -> PyResult<Vec<String>> {
    py.detach(|| remote::list(&prefix)).py_err(py)
}

/// One level under `prefix`: its objects as (url, size, modified_ns), and the URLs of the
/// folders below it.
#[pyfunction]
pub fn list_object_level(py: Python<'_>, prefix: String) -> PyResult<(Vec<Info>, Vec<String>)> {
    let (objects, folders) = py.detach(|| remote::list_level(&prefix)).py_err(py)?;
    Ok((objects.into_iter().map(as_tuple).collect(), folders))
}

/// The object `url` as (url, size, modified_ns), or None where there is none.
#[pyfunction]
pub fn stat_object(py: Python<'_>, url: String) -> PyResult<Option<Info>> {
    Ok(py.detach(|| remote::stat(&url)).py_err(py)?.map(as_tuple))
}

/// Deletes the object `url`.
#[pyfunction]
pub fn delete_object(py: Python<'_>, url: String) -> PyResult<()> {
    py.detach(|| remote::delete(&url)).py_err(py)
}

/// Deletes the objects `urls`, many per request where the store allows.
#[pyfunction]
pub fn delete_objects(py: Python<'_>, urls: Vec<String>) -> PyResult<()> {
    py.detach(|| remote::delete_all(&urls)).py_err(py)
}

/// Copies the object `source` to `target`, in the same store.
#[pyfunction]
pub fn copy_object(py: Python<'_>, source: String, target: String) -> PyResult<()> {
    py.detach(|| remote::copy(&source, &target)).py_err(py)
}

/// Sets store options for every URL under `prefix` (empty options remove them).
#[pyfunction]
pub fn set_storage_options(
    py: Python<'_>,
    prefix: String,
    options: Vec<(String, String)>,
) -> PyResult<()> {
    py.detach(|| remote::set_options(&prefix, options))
        .py_err(py)
}

/// An object (or local file) read from a position of its own, fetching ahead.
#[pyclass(frozen, module = "ferroflow._lib")]
pub struct NativeObjectReader {
    reader: Mutex<OffsetReader>,
    size: u64,
    name: String,
}

#[pymethods]
impl NativeObjectReader {
    #[new]
    fn new(py: Python<'_>, url: String) -> PyResult<Self> {
        let file = py.detach(|| SharedFile::open(Path::new(&url))).py_err(py)?;
        Ok(NativeObjectReader {
            size: file.size(),
            reader: Mutex::new(file.reader_at(0)),
            name: url,
        })
    }

    /// The object's length when opened.
    #[getter]
    fn size(&self) -> u64 {
        self.size
    }

    /// Up to `n` bytes from the current position (fewer only at the end).
    fn read<'py>(&self, py: Python<'py>, n: usize) -> PyResult<Bound<'py, PyBytes>> {
        let got = py
            .detach(|| {
                let mut reader = self.reader.lock().unwrap_or_else(|p| p.into_inner());
                let mut buf = Vec::with_capacity(n);
                (&mut *reader)
                    .take(n as u64)
                    .read_to_end(&mut buf)
                    .map(|_| buf)
                    .map_err(|e| Error::io(&self.name, e))
            })
            .py_err(py)?;
        Ok(PyBytes::new(py, &got))
    }

    /// Moves to byte `offset` from the start.
    fn seek(&self, py: Python<'_>, offset: u64) -> PyResult<u64> {
        let mut reader = self.reader.lock().unwrap_or_else(|p| p.into_inner());
        reader
            .seek(SeekFrom::Start(offset))
            .map_err(|e| Error::io(&self.name, e))
            .py_err(py)
    }
}

/// An object (or local file) being written; it is whole only after `close`, and `abort`
/// (or dropping it unclosed) leaves no object.
#[pyclass(frozen, module = "ferroflow._lib")]
pub struct NativeObjectWriter {
    state: Mutex<Option<(Sink, Commit)>>,
    name: String,
}

impl NativeObjectWriter {
    fn take(&self) -> Option<(Sink, Commit)> {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).take()
    }
}

#[pymethods]
impl NativeObjectWriter {
    #[new]
    fn new(py: Python<'_>, url: String) -> PyResult<Self> {
        let created = py
            .detach(|| output::create(&url, Local::InPlace))
            .py_err(py)?;
        Ok(NativeObjectWriter {
            state: Mutex::new(Some(created)),
            name: url,
        })
    }

    fn write(&self, py: Python<'_>, data: &Bound<'_, PyBytes>) -> PyResult<usize> {
        let data = data.as_bytes();
        py.detach(|| {
            let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
            let (out, _) = state
                .as_mut()
                .ok_or_else(|| Error::FailedPrecondition(format!("{} is closed", self.name)))?;
            out.write_all(data).map_err(|e| Error::io(&self.name, e))
        })
        .py_err(py)?;
        Ok(data.len())
    }

    /// Finishes the object; closing twice is harmless.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        let Some((out, commit)) = self.take() else {
            return Ok(());
        };
        py.detach(move || {
            drop(out);
            commit.commit()
        })
        .py_err(py)
    }

    /// Drops what was written.
    fn abort(&self) {
        drop(self.take());
    }
}
