//! Tensors to and from Python values. In: numpy arrays of a supported dtype (subclasses
//! included), object arrays of `bytes`, or `bytes` (the Python layer normalises everything else
//! first). Out, in one of two forms: `Form::Numpy` is what tf.data's `as_numpy_iterator()`
//! yields (numpy scalars, `bytes` for scalar strings, C-contiguous arrays, object arrays of
//! `bytes` for string tensors); `Form::Tensor` is the same memory as the registered numpy
//! subclass `ferroflow.Tensor`, scalars included, as TensorFlow's eager tensors are.

use half::f16;
use numpy::ndarray::{ArrayView, IxDyn};
use numpy::npyffi::{PyArrayObject, PY_ARRAY_API};
use numpy::{
    Element as NpElement, PyArray1, PyArrayDescrMethods, PyArrayDyn, PyArrayMethods,
    PyUntypedArray, PyUntypedArrayMethods,
};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBytes, PyList, PyString, PyType};

use crate::engine::storage::Storage;
use crate::engine::{Buffer, Element, Error, Result, StringBuf, Tensor};

/// Reads one value the Python layer produced.
pub fn tensor_from_py(obj: &Bound<'_, PyAny>) -> Result<Tensor> {
    if let Ok(bytes) = obj.cast::<PyBytes>() {
        return Ok(Tensor::scalar_bytes(bytes.as_bytes()));
    }
    if let Some(strings) = super::string_batch::tensor_of(obj) {
        return strings;
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
            let item = string_item(item.bind(py))?;
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

/// An object array's item, with a 0-d array (a string tensor from iteration, kept in a list
/// the user made an array of) replaced by the value it holds.
fn string_item<'py>(item: &Bound<'py, PyAny>) -> Result<Bound<'py, PyAny>> {
    match item.cast::<PyUntypedArray>() {
        Ok(array) if array.ndim() == 0 => item
            .call_method0("item")
            .map_err(|e| Error::InvalidArgument(e.to_string())),
        _ => Ok(item.clone()),
    }
}

pub fn element_from_py(values: &Bound<'_, PyAny>) -> Result<Element> {
    let list = values
        .cast::<PyList>()
        .map_err(|_| Error::InvalidArgument("expected a list of component values".into()))?;
    list.iter().map(|v| tensor_from_py(&v)).collect()
}

/// Which Python values a tensor becomes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// `ferroflow.Tensor` (a numpy subclass) for every tensor, scalars too.
    Tensor,
    /// Plain numpy: scalars for 0-d numbers, `bytes` for 0-d strings, arrays otherwise.
    Numpy,
    /// What Python functions in a pipeline get: `Numpy`'s scalars (a numpy scalar computes
    /// an order of magnitude faster than a 0-d array, and these run once per element),
    /// `ferroflow.Tensor` for everything else.
    Python,
}

static TENSOR_TYPE: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// Registers the numpy subclass `Form::Tensor` values are made of; called once, when the
/// Python package is imported.
#[pyfunction]
pub fn use_tensor_type(py: Python<'_>, cls: Bound<'_, PyType>) -> PyResult<()> {
    if !cls.is_subclass_of::<PyUntypedArray>()? {
        return Err(pyo3::exceptions::PyTypeError::new_err(
            "the tensor type must subclass numpy.ndarray",
        ));
    }
    TENSOR_TYPE
        .set(py, cls.unbind())
        .map_err(|_| pyo3::exceptions::PyRuntimeError::new_err("the tensor type is already set"))
}

/// The registered tensor type, when `form` asks for tensors of `rank` and one is registered.
fn tensor_type(py: Python<'_>, form: Form, rank: usize) -> Option<*mut pyo3::ffi::PyTypeObject> {
    match form {
        Form::Tensor => TENSOR_TYPE.get(py).map(|t| t.as_ptr().cast()),
        Form::Python if rank > 0 => TENSOR_TYPE.get(py).map(|t| t.as_ptr().cast()),
        Form::Python | Form::Numpy => None,
    }
}

/// `array` seen as the tensor type, sharing its memory (`array.view(Tensor)`).
fn view_as<'py>(
    array: Bound<'py, PyAny>,
    subtype: *mut pyo3::ffi::PyTypeObject,
) -> PyResult<Bound<'py, PyAny>> {
    let py = array.py();
    // SAFETY: `array` is a numpy array (every caller made it one); PyArray_View returns a
    // new reference or null with an exception set.
    unsafe {
        let view = PY_ARRAY_API.PyArray_View(
            py,
            array.as_ptr().cast::<PyArrayObject>(),
            std::ptr::null_mut(),
            subtype,
        );
        Bound::from_owned_ptr_or_err(py, view)
    }
}

/// A 0-d array of the tensor type holding `value`.
fn scalar_tensor<'py, T: NpElement>(
    py: Python<'py>,
    subtype: *mut pyo3::ffi::PyTypeObject,
    value: T,
) -> PyResult<Bound<'py, PyAny>> {
    // SAFETY: numpy allocates (and for object dtype zero-fills) one aligned item for a 0-d
    // array; writing `value` there moves it in, so an object reference is owned by the array.
    unsafe {
        let array = PY_ARRAY_API.PyArray_NewFromDescr(
            py,
            subtype,
            T::get_dtype(py).into_dtype_ptr(),
            0,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            0,
            std::ptr::null_mut(),
        );
        let array = Bound::from_owned_ptr_or_err(py, array)?;
        let data = (*array.as_ptr().cast::<PyArrayObject>()).fields.data;
        std::ptr::write(data.cast::<T>(), value);
        Ok(array)
    }
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
    form: Form,
) -> PyResult<Bound<'py, PyAny>> {
    let subtype = tensor_type(py, form, shape.len());
    match subtype {
        Some(subtype) if shape.is_empty() => scalar_tensor(py, subtype, values[0]),
        Some(subtype) => view_as(numeric_array(py, shape, values)?, subtype),
        None => numeric_array(py, shape, values),
    }
}

/// Plain numpy for `values`: an array, or a numpy scalar for a 0-d tensor.
fn numeric_array<'py, T: NpElement + Copy>(
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
pub fn tensor_to_py(py: Python<'_>, tensor: Tensor, form: Form) -> PyResult<Bound<'_, PyAny>> {
    let (shape, buffer) = tensor.into_parts();
    match buffer {
        Buffer::String(s) => strings_to_py(py, shape, s, form),
        Buffer::Bool(v) => numeric_to_py(py, &shape, v, form),
        Buffer::Int8(v) => numeric_to_py(py, &shape, v, form),
        Buffer::Int16(v) => numeric_to_py(py, &shape, v, form),
        Buffer::Int32(v) => numeric_to_py(py, &shape, v, form),
        Buffer::Int64(v) => numeric_to_py(py, &shape, v, form),
        Buffer::UInt8(v) => numeric_to_py(py, &shape, v, form),
        Buffer::UInt16(v) => numeric_to_py(py, &shape, v, form),
        Buffer::UInt32(v) => numeric_to_py(py, &shape, v, form),
        Buffer::UInt64(v) => numeric_to_py(py, &shape, v, form),
        Buffer::Float16(v) => numeric_to_py(py, &shape, v, form),
        Buffer::Float32(v) => numeric_to_py(py, &shape, v, form),
        Buffer::Float64(v) => numeric_to_py(py, &shape, v, form),
    }
}

/// Strings as Python values: `bytes` for a scalar; for more, with `Form::Tensor`, one object
/// over the engine's buffer (the registered string class), else an object array of `bytes`.
fn strings_to_py<'py>(
    py: Python<'py>,
    shape: Vec<usize>,
    s: StringBuf,
    form: Form,
) -> PyResult<Bound<'py, PyAny>> {
    let subtype = tensor_type(py, form, shape.len());
    if shape.is_empty() {
        let bytes = PyBytes::new(py, s.get(0)).into_any();
        return match subtype {
            Some(subtype) => scalar_tensor(py, subtype, bytes.unbind()),
            None => Ok(bytes),
        };
    }
    if form == Form::Tensor && super::string_batch::registered(py) {
        return super::string_batch::string_tensor(py, shape, s);
    }
    let array = super::string_batch::object_array(py, &shape, &s)?;
    match subtype {
        Some(subtype) => view_as(array, subtype),
        None => Ok(array),
    }
}

pub fn element_to_py(py: Python<'_>, element: Element, form: Form) -> PyResult<Bound<'_, PyList>> {
    let items = element
        .into_iter()
        .map(|t| tensor_to_py(py, t, form))
        .collect::<PyResult<Vec<_>>>()?;
    PyList::new(py, items)
}
