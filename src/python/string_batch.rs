//! `NativeStringBatch`: a tensor of strings handed to Python as one object, the engine's
//! buffer, so a batch of records costs one hand-off instead of a `bytes` per string. The
//! Python class registered with `use_string_tensor_type` wraps it; its strings become
//! Python objects only when the user asks for them.

use numpy::ndarray::{Array, IxDyn};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyType};

use crate::engine::{StringBuf, Tensor};

#[pyclass(frozen, module = "ferroflow._lib")]
pub struct NativeStringBatch {
    shape: Vec<usize>,
    strings: StringBuf,
}

#[pymethods]
impl NativeStringBatch {
    /// The dimensions.
    #[getter]
    fn shape(&self) -> Vec<usize> {
        self.shape.clone()
    }

    /// How many strings it holds.
    #[getter]
    fn size(&self) -> usize {
        self.strings.len()
    }

    /// The bytes of all its strings together.
    #[getter]
    fn nbytes(&self) -> usize {
        self.strings.values().len()
    }

    /// The string at flat position `index`, as `bytes`.
    fn item<'py>(&self, py: Python<'py>, index: usize) -> PyResult<Bound<'py, PyBytes>> {
        if index >= self.strings.len() {
            return Err(pyo3::exceptions::PyIndexError::new_err(format!(
                "index {index} is out of range for {} strings",
                self.strings.len()
            )));
        }
        Ok(PyBytes::new(py, self.strings.get(index)))
    }

    /// Every string as `bytes`, in a numpy object array of the batch's shape.
    fn to_numpy<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        object_array(py, &self.shape, &self.strings)
    }

    /// The strings' bytes, end to end, and where each string starts (one more offset than
    /// strings): the layout of an Arrow binary array.
    fn buffers<'py>(&self, py: Python<'py>) -> (Bound<'py, PyBytes>, Vec<i64>) {
        let offsets = self.strings.offsets().iter().map(|&o| o as i64).collect();
        (PyBytes::new(py, self.strings.values()), offsets)
    }
}

/// `strings` as a numpy object array of `bytes` of `shape`.
pub fn object_array<'py>(
    py: Python<'py>,
    shape: &[usize],
    strings: &StringBuf,
) -> PyResult<Bound<'py, PyAny>> {
    let items: Vec<Py<PyAny>> = strings
        .iter()
        .map(|b| PyBytes::new(py, b).into_any().unbind())
        .collect();
    let array = Array::from_shape_vec(IxDyn(shape), items)
        .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))?;
    Ok(numpy::PyArray::from_owned_object_array(py, array).into_any())
}

static STRING_TENSOR_TYPE: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// Registers the Python class that wraps a `NativeStringBatch` (called with it); called once,
/// when the Python package is imported.
#[pyfunction]
pub fn use_string_tensor_type(py: Python<'_>, cls: Bound<'_, PyType>) -> PyResult<()> {
    STRING_TENSOR_TYPE
        .set(py, cls.unbind())
        .map_err(|_| pyo3::exceptions::PyRuntimeError::new_err("the string type is already set"))
}

/// Whether a class to wrap string tensors is registered.
pub fn registered(py: Python<'_>) -> bool {
    STRING_TENSOR_TYPE.get(py).is_some()
}

/// A string tensor as the registered class (see `registered`).
pub fn string_tensor<'py>(
    py: Python<'py>,
    shape: Vec<usize>,
    strings: StringBuf,
) -> PyResult<Bound<'py, PyAny>> {
    let cls = STRING_TENSOR_TYPE
        .get(py)
        .ok_or_else(|| pyo3::exceptions::PyRuntimeError::new_err("no string type registered"))?;
    let batch = Bound::new(py, NativeStringBatch { shape, strings })?;
    cls.bind(py).call1((batch,))
}

/// The tensor a registered string class's instance holds (its `_batch`), copied.
pub fn tensor_of(obj: &Bound<'_, PyAny>) -> Option<crate::engine::Result<Tensor>> {
    let cls = STRING_TENSOR_TYPE.get(obj.py())?;
    if !obj.get_type().is(cls.bind(obj.py())) {
        return None;
    }
    let batch = obj.getattr(pyo3::intern!(obj.py(), "_batch")).ok()?;
    let batch = batch.cast::<NativeStringBatch>().ok()?.get();
    Some(Tensor::new(batch.shape.clone(), batch.strings.clone()))
}
