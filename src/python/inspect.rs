//! `inspect_file`: the engine's file inspection as a dict of plain Python values, ready for
//! `json.dumps`. The scan runs with the GIL released; the progress callback takes it only for
//! its call, which is also where Ctrl-C is noticed.

use std::path::PathBuf;
use std::time::Duration;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use super::errors::{external, IntoPyResult};
use super::interpreter;
use crate::formats::inspect::{
    self, Contents, Field, FileReport, IpcReport, ParquetReport, Progress, Report, Shape,
    TfRecordReport,
};

/// Inspects the file at `path`; `progress(bytes_done, bytes_total, records)` is called at
/// most every `progress_interval` seconds while a long TFRecord file is scanned.
#[pyfunction]
#[pyo3(signature = (path, progress=None, progress_interval=None))]
pub fn inspect_file<'py>(
    py: Python<'py>,
    path: PathBuf,
    progress: Option<Py<PyAny>>,
    progress_interval: Option<f64>,
) -> PyResult<Bound<'py, PyDict>> {
    let interval = match progress_interval {
        None => inspect::PROGRESS_INTERVAL,
        Some(s) => Duration::try_from_secs_f64(s).map_err(|_| {
            PyValueError::new_err(format!(
                "progress_interval must be a non-negative number of seconds, got {s}"
            ))
        })?,
    };
    let report = py
        .detach(|| {
            let mut report_progress = |p: Progress| {
                interpreter::attach(|py| {
                    py.check_signals().map_err(external)?;
                    if let Some(callback) = &progress {
                        callback
                            .call1(py, (p.bytes, p.total, p.records))
                            .map_err(external)?;
                    }
                    Ok(())
                })
            };
            inspect::inspect_file(&path, interval, &mut report_progress)
        })
        .py_err(py)?;
    report_dict(py, &report)
}

fn report_dict<'py>(py: Python<'py>, report: &Report) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("path", &report.path)?;
    d.set_item("size", report.size)?;
    match &report.contents {
        FileReport::TfRecord(r) => tfrecord_items(py, &d, r)?,
        FileReport::Parquet(r) => parquet_items(py, &d, r)?,
        FileReport::ArrowIpc(r) => ipc_items(py, &d, r)?,
    }
    Ok(d)
}

fn tfrecord_items(py: Python<'_>, d: &Bound<'_, PyDict>, r: &TfRecordReport) -> PyResult<()> {
    d.set_item("format", "tfrecord")?;
    d.set_item("compression", r.compression.name())?;
    d.set_item("records", r.records)?;
    let sizes = PyDict::new(py);
    sizes.set_item("min", r.sizes.min)?;
    sizes.set_item("max", r.sizes.max)?;
    sizes.set_item("total", r.sizes.total)?;
    d.set_item("record_bytes", sizes)?;
    match &r.damage {
        None => d.set_item("damage", py.None())?,
        Some(damage) => {
            let dd = PyDict::new(py);
            dd.set_item("kind", damage.kind.name())?;
            dd.set_item("offset", damage.offset)?;
            dd.set_item("record_offset", damage.record_offset)?;
            dd.set_item("record", damage.record)?;
            dd.set_item("message", &damage.message)?;
            d.set_item("damage", dd)?;
        }
    }
    let (contents, features, not_example) = match &r.contents {
        Contents::NoRecords => ("none", None, None),
        Contents::SequenceExamples => ("sequence_example", None, None),
        Contents::Examples(features) => {
            let list = PyList::empty(py);
            for f in features {
                let fd = PyDict::new(py);
                fd.set_item("name", &f.name)?;
                fd.set_item("kind", f.kind().map(|k| k.name()))?;
                let kinds = PyDict::new(py);
                kinds.set_item("int64", f.kinds.int64)?;
                kinds.set_item("float", f.kinds.float)?;
                kinds.set_item("bytes", f.kinds.bytes)?;
                kinds.set_item("unset", f.kinds.unset)?;
                fd.set_item("kinds", kinds)?;
                fd.set_item("records", f.records)?;
                fd.set_item("min_length", f.min_len)?;
                fd.set_item("max_length", f.max_len)?;
                fd.set_item("values", f.values)?;
                let shape: Option<Vec<u64>> = match f.shape(r.records) {
                    Shape::Scalar => Some(vec![]),
                    Shape::Fixed(n) => Some(vec![n]),
                    Shape::Variable => None,
                };
                fd.set_item("shape", shape)?;
                list.append(fd)?;
            }
            ("example", Some(list), None)
        }
        Contents::Other {
            record,
            offset,
            reason,
        } => {
            let od = PyDict::new(py);
            od.set_item("record", record)?;
            od.set_item("offset", offset)?;
            od.set_item("reason", reason)?;
            ("other", None, Some(od))
        }
    };
    d.set_item("contents", contents)?;
    d.set_item("features", features)?;
    d.set_item("not_example", not_example)?;
    Ok(())
}

fn fields_list<'py>(py: Python<'py>, fields: &[Field]) -> PyResult<Bound<'py, PyList>> {
    let list = PyList::empty(py);
    for f in fields {
        let fd = PyDict::new(py);
        fd.set_item("name", &f.name)?;
        fd.set_item("type", &f.data_type)?;
        fd.set_item("nullable", f.nullable)?;
        list.append(fd)?;
    }
    Ok(list)
}

fn parquet_items(py: Python<'_>, d: &Bound<'_, PyDict>, r: &ParquetReport) -> PyResult<()> {
    d.set_item("format", "parquet")?;
    d.set_item("rows", r.rows)?;
    d.set_item("row_groups", r.row_groups.len())?;
    d.set_item("row_group_rows", &r.row_groups)?;
    d.set_item("codecs", &r.codecs)?;
    d.set_item("created_by", &r.created_by)?;
    d.set_item("columns", fields_list(py, &r.fields)?)?;
    let leaves = PyList::empty(py);
    for c in &r.columns {
        let cd = PyDict::new(py);
        cd.set_item("path", &c.path)?;
        cd.set_item("physical_type", &c.physical_type)?;
        cd.set_item("codecs", &c.codecs)?;
        cd.set_item("compressed_bytes", c.compressed_bytes)?;
        cd.set_item("uncompressed_bytes", c.uncompressed_bytes)?;
        cd.set_item("null_count", c.null_count)?;
        leaves.append(cd)?;
    }
    d.set_item("leaf_columns", leaves)?;
    Ok(())
}

fn ipc_items(py: Python<'_>, d: &Bound<'_, PyDict>, r: &IpcReport) -> PyResult<()> {
    d.set_item("format", "arrow_ipc")?;
    d.set_item("ipc_format", if r.stream { "stream" } else { "file" })?;
    d.set_item("rows", r.rows)?;
    d.set_item("record_batches", r.batches.len())?;
    d.set_item("batch_rows", &r.batches)?;
    d.set_item("dictionary_batches", r.dictionary_batches)?;
    d.set_item("codecs", &r.codecs)?;
    d.set_item("columns", fields_list(py, &r.fields)?)?;
    Ok(())
}
