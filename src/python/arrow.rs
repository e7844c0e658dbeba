//! Arrow at the Python edge: columnar sources (Parquet, Arrow IPC, any object exposing the
//! Arrow PyCapsule interface) and record batches handed back through that interface.

use std::collections::HashMap;
use std::ffi::CStr;
use std::path::PathBuf;
use std::sync::Arc;

use arrow_array::ffi::{from_ffi, FFI_ArrowArray, FFI_ArrowSchema};
use arrow_array::ffi_stream::{ArrowArrayStreamReader, FFI_ArrowArrayStream};
use arrow_array::{Array, RecordBatch, RecordBatchIterator, StructArray};
use arrow_schema::SchemaRef;
use pyo3::prelude::*;
use pyo3::types::{PyCapsule, PyCapsuleMethods, PyDict, PyTuple};

use super::convert::tensor_from_py;
use super::dataset::NativeDataset;
use super::errors::IntoPyResult;
use crate::engine::args::positive;
use crate::engine::random::SeedGenerator;
use crate::engine::{Error, Result};
use crate::formats::arrow_ipc::ArrowIpcSource;
use crate::formats::arrow_read::{describe, LeafSpec};
use crate::formats::batch_source::{BatchSource, MemorySource};
use crate::formats::parquet::ParquetSource;
use crate::kernels::cast::cast;
use crate::ops::columnar::{shard, ColumnarNode, Evening, UnitOrder};

const SCHEMA_CAPSULE: &CStr = c"arrow_schema";
const ARRAY_CAPSULE: &CStr = c"arrow_array";
const STREAM_CAPSULE: &CStr = c"arrow_array_stream";

/// A leaf column as Python sees it: path, dtype name, row shape (None: variable length).
type LeafTuple = (Vec<String>, &'static str, Vec<Option<usize>>);

/// A source of record batches and the leaf columns its schema has.
#[pyclass(frozen, module = "ferroflow._lib")]
pub struct NativeColumnarSource {
    source: Arc<dyn BatchSource>,
    leaves: Vec<LeafSpec>,
}

impl NativeColumnarSource {
    fn new(source: Arc<dyn BatchSource>) -> Result<Self> {
        let leaves = describe(&source.schema())?;
        Ok(NativeColumnarSource { source, leaves })
    }

    /// A source of files opened by `open` (reading their footers), without the GIL.
    fn opened<S: BatchSource + 'static>(
        py: Python<'_>,
        open: impl FnOnce() -> Result<S> + Send,
    ) -> PyResult<Self> {
        py.detach(|| NativeColumnarSource::new(Arc::new(open()?)))
            .py_err(py)
    }
}

fn arrow_err(e: arrow_schema::ArrowError) -> Error {
    Error::invalid(format!("cannot import Arrow data: {e}"))
}

/// The batches of an object exposing `__arrow_c_stream__` or `__arrow_c_array__`, taken over
/// without copying their buffers.
fn import_batches(obj: &Bound<'_, PyAny>) -> PyResult<(Vec<RecordBatch>, SchemaRef)> {
    let py = obj.py();
    if obj.hasattr("__arrow_c_stream__")? {
        let capsule = obj.call_method0("__arrow_c_stream__")?;
        let capsule = capsule.cast::<PyCapsule>()?;
        let ptr = capsule.pointer_checked(Some(STREAM_CAPSULE))?;
        // SAFETY: the capsule holds an ArrowArrayStream (its name says so); `from_raw` moves
        // it out and leaves a released stream behind, as the protocol asks of a consumer.
        let reader = unsafe { ArrowArrayStreamReader::from_raw(ptr.as_ptr().cast()) };
        let reader = reader.map_err(arrow_err).py_err(py)?;
        let schema = arrow_array::RecordBatchReader::schema(&reader);
        let batches = reader
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(arrow_err)
            .py_err(py)?;
        return Ok((batches, schema));
    }
    if obj.hasattr("__arrow_c_array__")? {
        let pair = obj.call_method1("__arrow_c_array__", (py.None(),))?;
        let pair = pair.cast::<PyTuple>()?;
        let schema_capsule = pair.get_item(0)?;
        let array_capsule = pair.get_item(1)?;
        let schema_ptr = schema_capsule
            .cast::<PyCapsule>()?
            .pointer_checked(Some(SCHEMA_CAPSULE))?;
        let array_ptr = array_capsule
            .cast::<PyCapsule>()?
            .pointer_checked(Some(ARRAY_CAPSULE))?;
        // SAFETY: the capsules hold an ArrowSchema and an ArrowArray (their names say so);
        // the array is moved out, the schema only read.
        let data = unsafe {
            let array = FFI_ArrowArray::from_raw(array_ptr.as_ptr().cast());
            from_ffi(array, &*schema_ptr.as_ptr().cast::<FFI_ArrowSchema>())
        };
        let data = data.map_err(arrow_err).py_err(py)?;
        let structs = StructArray::from(data);
        if structs.null_count() > 0 {
            return Err(Error::invalid(
                "cannot import a record batch with null rows",
            ))
            .py_err(py);
        }
        let batch = RecordBatch::from(structs);
        let schema = batch.schema();
        return Ok((vec![batch], schema));
    }
    Err(pyo3::exceptions::PyTypeError::new_err(format!(
        "from_arrow needs an object with __arrow_c_stream__ or __arrow_c_array__ \
         (a pyarrow Table or RecordBatch, a polars DataFrame ...), got {}",
        obj.get_type().name()?
    )))
}

#[pymethods]
impl NativeColumnarSource {
    /// The row groups of Parquet files; `columns` keeps only those top-level columns.
    #[staticmethod]
    #[pyo3(signature = (paths, columns=None))]
    fn parquet(
        py: Python<'_>,
        paths: Vec<PathBuf>,
        columns: Option<Vec<String>>,
    ) -> PyResult<Self> {
        NativeColumnarSource::opened(py, || ParquetSource::open(&paths, columns.as_deref()))
    }

    /// The record batches of Arrow IPC files.
    #[staticmethod]
    #[pyo3(signature = (paths, columns=None))]
    fn arrow_ipc(
        py: Python<'_>,
        paths: Vec<PathBuf>,
        columns: Option<Vec<String>>,
    ) -> PyResult<Self> {
        NativeColumnarSource::opened(py, || ArrowIpcSource::open(&paths, columns.as_deref()))
    }

    /// Record batches taken from an object exposing the Arrow PyCapsule interface.
    #[staticmethod]
    fn from_arrow(obj: &Bound<'_, PyAny>) -> PyResult<Self> {
        let (batches, schema) = import_batches(obj)?;
        NativeColumnarSource::new(Arc::new(MemorySource::new(batches, schema))).py_err(obj.py())
    }

    /// Every leaf column: (path, dtype name, row shape with None for a variable length).
    fn leaves(&self) -> Vec<LeafTuple> {
        self.leaves
            .iter()
            .map(|l| (l.path.clone(), l.dtype.name(), l.shape.clone()))
            .collect()
    }

    /// A dataset of rows with the leaves at `paths`, in that order. `fills` maps a dotted
    /// column name to the value its nulls take; `parallel_reads` 0 reads units as needed;
    /// `shuffle_seed` shuffles the units each pass (`None` with `shuffle` picks a seed).
    /// `even` ("drop" or "pad") deals every pass's order out to the shards and evens their
    /// rows.
    #[pyo3(signature = (paths, fills, parallel_reads, shuffle, shuffle_seed, num_shards, shard_index, even=None))]
    #[allow(clippy::too_many_arguments)]
    fn dataset(
        &self,
        py: Python<'_>,
        paths: Vec<Vec<String>>,
        fills: &Bound<'_, PyDict>,
        parallel_reads: Option<i64>,
        shuffle: bool,
        shuffle_seed: Option<u64>,
        num_shards: i64,
        shard_index: i64,
        even: Option<&str>,
    ) -> PyResult<NativeDataset> {
        let even = match even {
            None => None,
            Some("drop") => Some(Evening::Drop),
            Some("pad") => Some(Evening::Pad),
            Some(other) => {
                let e = Error::invalid(format!("even must be \"drop\" or \"pad\", got {other:?}"));
                return Err(e).py_err(py);
            }
        };
        let parallel_reads = parallel_reads
            .map(|n| positive("num_parallel_reads", n))
            .transpose()
            .py_err(py)?
            .unwrap_or(0);
        let (num_shards, shard_index) = shard(num_shards, shard_index).py_err(py)?;
        let mut leaves = Vec::with_capacity(paths.len());
        for path in &paths {
            let leaf = self
                .leaves
                .iter()
                .find(|l| &l.path == path)
                .ok_or_else(|| Error::invalid(format!("no column '{}'", path.join("."))));
            leaves.push(leaf.py_err(py)?.clone());
        }
        let mut fill_values = HashMap::new();
        for (name, value) in fills.iter() {
            let name: String = name.extract()?;
            let Some(leaf) = leaves.iter().find(|l| l.name() == name) else {
                let e = Error::invalid(format!("null_values names no column '{name}'"));
                return Err(e).py_err(py);
            };
            let fill = tensor_from_py(&value)
                .and_then(|t| cast(&t, leaf.dtype))
                .and_then(|t| match t.num_elements() {
                    1 => t.with_shape(vec![]),
                    _ => Err(Error::invalid(format!(
                        "the null value of column '{name}' must be a scalar"
                    ))),
                });
            fill_values.insert(name, fill.py_err(py)?);
        }
        let order = UnitOrder {
            parallel_reads,
            shuffle: shuffle.then(|| SeedGenerator::new(shuffle_seed, true)),
            shard: (num_shards, shard_index),
            even,
        };
        let node = ColumnarNode::new(self.source.clone(), leaves, fill_values, order);
        Ok(NativeDataset {
            node: Arc::new(node.py_err(py)?),
        })
    }
}

/// A record batch made by the pipeline, handed out through the Arrow PyCapsule interface.
#[pyclass(frozen, module = "ferroflow._lib", name = "RecordBatch")]
pub struct NativeRecordBatch {
    pub batch: RecordBatch,
}

#[pymethods]
impl NativeRecordBatch {
    #[getter]
    fn num_rows(&self) -> usize {
        self.batch.num_rows()
    }

    #[getter]
    fn column_names(&self) -> Vec<String> {
        self.batch
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect()
    }

    fn __len__(&self) -> usize {
        self.batch.num_rows()
    }

    fn __repr__(&self) -> String {
        let schema = self.batch.schema();
        let fields: Vec<String> = schema.fields().iter().map(|f| f.to_string()).collect();
        format!(
            "RecordBatch(num_rows={}, columns=[{}])",
            self.batch.num_rows(),
            fields.join(", ")
        )
    }

    /// The schema as an `arrow_schema` capsule.
    fn __arrow_c_schema__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyCapsule>> {
        let schema = FFI_ArrowSchema::try_from(self.batch.schema().as_ref())
            .map_err(arrow_err)
            .py_err(py)?;
        PyCapsule::new_with_value(py, schema, SCHEMA_CAPSULE)
    }

    /// The batch as `(arrow_schema, arrow_array)` capsules of a struct array; the buffers are
    /// shared, not copied. A requested schema is not applied (the protocol allows that).
    #[pyo3(signature = (requested_schema=None))]
    fn __arrow_c_array__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyAny>>,
    ) -> PyResult<(Bound<'py, PyCapsule>, Bound<'py, PyCapsule>)> {
        let _ = requested_schema;
        let schema = self.__arrow_c_schema__(py)?;
        let data = StructArray::from(self.batch.clone()).into_data();
        let array = PyCapsule::new_with_value(py, FFI_ArrowArray::new(&data), ARRAY_CAPSULE)?;
        Ok((schema, array))
    }

    /// The batch as a one-batch `arrow_array_stream` capsule (for readers that take streams).
    #[pyo3(signature = (requested_schema=None))]
    fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let _ = requested_schema;
        let reader = RecordBatchIterator::new([Ok(self.batch.clone())], self.batch.schema());
        let stream = FFI_ArrowArrayStream::new(Box::new(reader));
        PyCapsule::new_with_value(py, stream, STREAM_CAPSULE)
    }
}
