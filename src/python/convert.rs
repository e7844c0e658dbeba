//! Tensors to and from Python values. In: numpy arrays of a supported dtype, object arrays of
//! `bytes`, or `bytes` (the Python layer normalises everything else first). Out: what tf.data's
//! `as_numpy_iterator()` yields: numpy scalars, `bytes` for scalar strings, C-contiguous arrays,
//! object arrays of `bytes` for string tensors.

use half::f16;
use numpy::ndarray::{Array, ArrayView, IxDyn};
use numpy::{
    Element as NpElement, PyArray1, PyArrayDescrMethods, PyArrayDyn, PyArrayMethods,
    PyUntypedArray, PyUntypedArrayMethods,
};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyString};

use crate::engine::storage::Storage;
use crate::engine::{Buffer, Element, Error, Result, StringBuf, Tensor};

/// Reads one value the Python layer produced.
pub fn tensor_from_py(obj: &Bound<'_, PyAny>) -> Result<Tensor> {
    if let Ok(bytes) = obj.cast::<PyBytes>() {
        return Ok(Tensor::scalar_bytes(bytes.as_bytes()));
    }
    let array = obj.cast::<PyUntypedArray>().map_err(|_| {
        Error::InvalidArgument(format!(
            "expected a numpy array or bytes, got {}",
            obj.get_type()
                .name()
                .map(|n| n.to_string())
                .unwrap_or_default()
        ))
    })?;
    let shape = array.shape().to_vec();
    let py = obj.py();
    let dtype = array.dtype();
    macro_rules! try_numeric {
        ($($t:ty),*) => {
            $(if dtype.is_equiv_to(&numpy::dtype::<$t>(py)) {
                let typed = array.cast::<PyArrayDyn<$t>>().map_err(|e| Error::InvalidArgument(e.to_string()))?;
                let view = typed.readonly();
                let values: Vec<$t> = match view.as_slice() {
                    Ok(s) => s.to_vec(),
                    Err(_) => view.as_array().iter().copied().collect(),
                };
                return Tensor::new(shape, values);
            })*
        };
    }
    try_numeric!(bool, i8, i16, i32, i64, u8, u16, u32, u64, f16, f32, f64);
    if dtype.is_equiv_to(&numpy::dtype::<Py<PyAny>>(py)) {
        let typed = array
            .cast::<PyArrayDyn<Py<PyAny>>>()
            .map_err(|e| Error::InvalidArgument(e.to_string()))?;
        let view = typed.readonly();
        let mut strings = StringBuf::new();
        for item in view.as_array().iter() {
            let item = item.bind(py);
            if let Ok(bytes) = item.cast::<PyBytes>() {
                strings.push(bytes.as_bytes());
            } else if let Ok(text) = item.cast::<PyString>() {
                strings.push(
                    text.to_str()
                        .map_err(|e| Error::InvalidArgument(e.to_string()))?
                        .as_bytes(),
                );
            } else {
                return Err(Error::InvalidArgument(format!(
                    "string tensors hold bytes or str, got {}",
                    item.get_type()
                        .name()
                        .map(|n| n.to_string())
                        .unwrap_or_default()
                )));
            }
        }
        return Tensor::new(shape, strings);
    }
    Err(Error::InvalidArgument(format!("unsupported dtype {dtype}")))
}

pub fn element_from_py(values: &Bound<'_, PyAny>) -> Result<Element> {
    let list = values
        .cast::<PyList>()
        .map_err(|_| Error::InvalidArgument("expected a list of component values".into()))?;
    list.iter().map(|v| tensor_from_py(&v)).collect()
}

/// Keeps an Arrow buffer alive while numpy arrays use its memory.
#[pyclass(frozen, module = "ferroflow._lib")]
struct ArrowValues {
    _buffer: arrow_buffer::Buffer,
}

fn numeric_to_py<'py, T: NpElement + Copy>(
    py: Python<'py>,
    shape: &[usize],
    values: Storage<T>,
) -> PyResult<Bound<'py, PyAny>> {
    if let (Some(buffer), false) = (values.arrow(), shape.is_empty()) {
        // The tensor was the only holder of these values (a clone would own a copy), so the
        // array may be writeable; the container keeps the Arrow memory alive.
        let view = ArrayView::from_shape(IxDyn(shape), &values[..])
            .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))?;
        let owner = Bound::new(
            py,
            ArrowValues {
                _buffer: buffer.clone(),
            },
        )?;
        // SAFETY: `owner` holds the buffer the view points into, and an Arrow buffer is
        // never reallocated.
        let array = unsafe { PyArrayDyn::borrow_from_array(&view, owner.into_any()) };
        return Ok(array.into_any());
    }
    let flat = PyArray1::from_vec(py, values.into_vec());
    if shape.is_empty() {
        // Indexing a one-value array yields a numpy scalar, as as_numpy_iterator() does.
        return flat.get_item(0);
    }
    if shape.len() == 1 {
        return Ok(flat.into_any());
    }
    Ok(flat.reshape(IxDyn(shape))?.into_any())
}

/// Hands a tensor to Python, without copying numeric data the tensor owns alone.
pub fn tensor_to_py(py: Python<'_>, tensor: Tensor) -> PyResult<Bound<'_, PyAny>> {
    let (shape, buffer) = tensor.into_parts();
    match buffer {
        Buffer::String(s) => strings_to_py(py, &shape, &s),
        Buffer::Bool(v) => numeric_to_py(py, &shape, v),
        Buffer::Int8(v) => numeric_to_py(py, &shape, v),
        Buffer::Int16(v) => numeric_to_py(py, &shape, v),
        Buffer::Int32(v) => numeric_to_py(py, &shape, v),
        Buffer::Int64(v) => numeric_to_py(py, &shape, v),
        Buffer::UInt8(v) => numeric_to_py(py, &shape, v),
        Buffer::UInt16(v) => numeric_to_py(py, &shape, v),
        Buffer::UInt32(v) => numeric_to_py(py, &shape, v),
        Buffer::UInt64(v) => numeric_to_py(py, &shape, v),
        Buffer::Float16(v) => numeric_to_py(py, &shape, v),
        Buffer::Float32(v) => numeric_to_py(py, &shape, v),
        Buffer::Float64(v) => numeric_to_py(py, &shape, v),
    }
}

fn strings_to_py<'py>(
    py: Python<'py>,
    shape: &[usize],
    s: &StringBuf,
) -> PyResult<Bound<'py, PyAny>> {
    if shape.is_empty() {
        return Ok(PyBytes::new(py, s.get(0)).into_any());
    }
    let items: Vec<Py<PyAny>> = s
        .iter()
        .map(|b| PyBytes::new(py, b).into_any().unbind())
        .collect();
    let array = Array::from_shape_vec(IxDyn(shape), items)
        .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))?;
    Ok(numpy::PyArray::from_owned_object_array(py, array).into_any())
}

pub fn element_to_py(py: Python<'_>, element: Element) -> PyResult<Bound<'_, PyList>> {
    let items = element
        .into_iter()
        .map(|t| tensor_to_py(py, t))
        .collect::<PyResult<Vec<_>>>()?;
    PyList::new(py, items)
}
