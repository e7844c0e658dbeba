//! tf.train.Example encoding/decoding and tf.io.parse_* for the Python layer. Features cross
//! as `(name, kind, values)` with kind 0 (unset), 1 (bytes), 2 (float) or 3 (int64) and values
//! as engine values; parsing takes a whole batch of records in one call.

use numpy::{PyArray1, PyArrayMethods};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyTuple};

use super::convert::{tensor_from_py, tensor_to_py, Form};
use super::errors::IntoPyResult;
use crate::engine::{Buffer, DType, Error, Result, StringBuf, Tensor};
use crate::formats::example::{
    parse_example as parse_batch, parse_example_tensor, parse_sequence_example,
    parse_single_sequence_example, Example, Feature, FeatureKind, FeatureSpec, Parsed,
    SequenceExample,
};

type FeatureTuple = (String, u8, Py<PyAny>);
/// A feature list's name and its steps, each `(kind, values)`.
type FeatureListTuple = (String, Vec<(u8, Py<PyAny>)>);

fn feature_from_py(py: Python<'_>, kind: u8, values: &Py<PyAny>) -> Result<Feature> {
    if kind == 0 {
        return Ok(Feature::None);
    }
    let (_, buffer) = tensor_from_py(values.bind(py))?.into_parts();
    Ok(match (kind, buffer) {
        (1, Buffer::String(s)) => Feature::BytesList(s.iter().map(<[u8]>::to_vec).collect()),
        (2, Buffer::Float32(v)) => Feature::FloatList(v.into_vec()),
        (3, Buffer::Int64(v)) => Feature::Int64List(v.into_vec()),
        (k, b) => {
            return Err(Error::InvalidArgument(format!(
                "feature kind {k} cannot hold {} values",
                b.dtype()
            )))
        }
    })
}

fn feature_to_py(py: Python<'_>, feature: Feature) -> PyResult<(u8, Py<PyAny>)> {
    let (kind, tensor) = match feature {
        Feature::None => return Ok((0, py.None())),
        Feature::BytesList(v) => {
            let n = v.len();
            (1, Tensor::new(vec![n], StringBuf::from_items(v)))
        }
        Feature::FloatList(v) => (2, Tensor::from_vec(vec![v.len()], v)),
        Feature::Int64List(v) => (3, Tensor::from_vec(vec![v.len()], v)),
    };
    Ok((
        kind,
        tensor_to_py(py, tensor.py_err(py)?, Form::Numpy)?.unbind(),
    ))
}

fn features_from_py(py: Python<'_>, features: &[FeatureTuple]) -> Result<Vec<(String, Feature)>> {
    features
        .iter()
        .map(|(name, kind, values)| Ok((name.clone(), feature_from_py(py, *kind, values)?)))
        .collect()
}

fn features_to_py(py: Python<'_>, features: Vec<(String, Feature)>) -> PyResult<Vec<FeatureTuple>> {
    features
        .into_iter()
        .map(|(name, f)| feature_to_py(py, f).map(|(k, v)| (name, k, v)))
        .collect()
}

#[pyfunction]
pub fn encode_example<'py>(
    py: Python<'py>,
    features: Vec<FeatureTuple>,
) -> PyResult<Bound<'py, PyBytes>> {
    let example = Example {
        features: features_from_py(py, &features).py_err(py)?,
    };
    Ok(PyBytes::new(py, &example.encode()))
}

#[pyfunction]
pub fn decode_example(py: Python<'_>, data: &[u8]) -> PyResult<Vec<FeatureTuple>> {
    let example = Example::decode(data).py_err(py)?;
    features_to_py(py, example.features)
}

#[pyfunction]
pub fn encode_sequence_example<'py>(
    py: Python<'py>,
    context: Vec<FeatureTuple>,
    feature_lists: Vec<FeatureListTuple>,
) -> PyResult<Bound<'py, PyBytes>> {
    let lists = feature_lists
        .iter()
        .map(|(name, steps)| {
            let steps = steps
                .iter()
                .map(|(k, v)| feature_from_py(py, *k, v))
                .collect::<Result<_>>()?;
            Ok((name.clone(), steps))
        })
        .collect::<Result<Vec<_>>>()
        .py_err(py)?;
    let seq = SequenceExample {
        context: features_from_py(py, &context).py_err(py)?,
        feature_lists: lists,
    };
    Ok(PyBytes::new(py, &seq.encode()))
}

type DecodedSequence = (Vec<FeatureTuple>, Vec<FeatureListTuple>);

#[pyfunction]
pub fn decode_sequence_example(py: Python<'_>, data: &[u8]) -> PyResult<DecodedSequence> {
    let seq = SequenceExample::decode(data).py_err(py)?;
    let lists = seq
        .feature_lists
        .into_iter()
        .map(|(name, steps)| {
            let steps = steps
                .into_iter()
                .map(|f| feature_to_py(py, f))
                .collect::<PyResult<_>>()?;
            Ok((name, steps))
        })
        .collect::<PyResult<_>>()?;
    Ok((features_to_py(py, seq.context)?, lists))
}

/// `(name, kind, dtype, shape, default, allow_missing)` with kind one of "fixed_len",
/// "fixed_len_sequence", "var_len", "ragged".
pub(crate) type SpecTuple = (
    String,
    String,
    String,
    Option<Vec<usize>>,
    Option<Py<PyAny>>,
    bool,
);

pub(crate) fn specs_from_py(py: Python<'_>, specs: &[SpecTuple]) -> Result<Vec<FeatureSpec>> {
    specs
        .iter()
        .map(|(name, kind, dtype, shape, default, allow_missing)| {
            let dtype = DType::from_name(dtype)?;
            let default = default
                .as_ref()
                .map(|d| tensor_from_py(d.bind(py)))
                .transpose()?;
            let shape = shape.clone().unwrap_or_default();
            let kind = match kind.as_str() {
                "fixed_len" => FeatureKind::FixedLen { shape, default },
                "fixed_len_sequence" => FeatureKind::FixedLenSequence {
                    shape,
                    allow_missing: *allow_missing,
                    default,
                },
                "var_len" => FeatureKind::VarLen,
                "ragged" => FeatureKind::Ragged,
                other => {
                    return Err(Error::InvalidArgument(format!(
                        "unknown feature kind {other:?}"
                    )))
                }
            };
            Ok(FeatureSpec {
                name: name.clone(),
                dtype,
                kind,
            })
        })
        .collect()
}

/// Dense values as an array; sparse as `("sparse", indices, values, dense_shape)`; ragged as
/// `("ragged", values, [row_splits, ...])`.
fn parsed_to_py(py: Python<'_>, parsed: Parsed) -> PyResult<Bound<'_, PyAny>> {
    match parsed {
        Parsed::Dense(t) => tensor_to_py(py, t, Form::Tensor),
        Parsed::Sparse {
            indices,
            values,
            dense_shape,
        } => Ok(PyTuple::new(
            py,
            [
                "sparse".into_pyobject(py)?.into_any(),
                tensor_to_py(py, indices, Form::Tensor)?,
                tensor_to_py(py, values, Form::Tensor)?,
                tensor_to_py(py, dense_shape, Form::Tensor)?,
            ],
        )?
        .into_any()),
        Parsed::Ragged {
            values,
            nested_row_splits,
        } => {
            let splits = nested_row_splits
                .into_iter()
                .map(|t| tensor_to_py(py, t, Form::Tensor))
                .collect::<PyResult<Vec<_>>>()?;
            Ok(PyTuple::new(
                py,
                [
                    "ragged".into_pyobject(py)?.into_any(),
                    tensor_to_py(py, values, Form::Tensor)?,
                    PyList::new(py, splits)?.into_any(),
                ],
            )?
            .into_any())
        }
    }
}

fn parsed_list_to_py(py: Python<'_>, parsed: Vec<Parsed>) -> PyResult<Bound<'_, PyList>> {
    let items = parsed
        .into_iter()
        .map(|p| parsed_to_py(py, p))
        .collect::<PyResult<Vec<_>>>()?;
    PyList::new(py, items)
}

/// Parses one serialized Example (a scalar string) or a batch (a 1-D string array) in one call.
#[pyfunction]
pub fn parse_example<'py>(
    py: Python<'py>,
    serialized: &Bound<'py, PyAny>,
    specs: Vec<SpecTuple>,
) -> PyResult<Bound<'py, PyList>> {
    let specs = specs_from_py(py, &specs).py_err(py)?;
    if let Some(items) = bytes_items(serialized) {
        // Parsing straight from the Python bytes saves copying the batch; it is fast enough
        // that holding the GIL for it costs less than the copy would.
        let records: Vec<&[u8]> = items.iter().map(|b| b.as_bytes()).collect();
        let parsed = parse_batch(&specs, &records).py_err(py)?;
        return parsed_list_to_py(py, parsed);
    }
    let records = tensor_from_py(serialized).py_err(py)?;
    let parsed = py
        .detach(|| parse_example_tensor(&specs, &records))
        .py_err(py)?;
    parsed_list_to_py(py, parsed)
}

/// The items of a 1-D object array when all are `bytes`, or `None` for any other input.
fn bytes_items<'py>(serialized: &Bound<'py, PyAny>) -> Option<Vec<Bound<'py, PyBytes>>> {
    let array = serialized.cast::<PyArray1<Py<PyAny>>>().ok()?;
    let view = array.readonly();
    let items = view.as_slice().ok()?;
    let py = serialized.py();
    items
        .iter()
        .map(|item| item.bind(py).cast::<PyBytes>().ok().cloned())
        .collect()
}

/// Returns `(context outputs, feature list outputs, lengths or None)`.
#[pyfunction]
pub fn parse_sequence<'py>(
    py: Python<'py>,
    serialized: &Bound<'py, PyAny>,
    context_specs: Vec<SpecTuple>,
    sequence_specs: Vec<SpecTuple>,
) -> PyResult<Bound<'py, PyTuple>> {
    let context_specs = specs_from_py(py, &context_specs).py_err(py)?;
    let sequence_specs = specs_from_py(py, &sequence_specs).py_err(py)?;
    let records = tensor_from_py(serialized).py_err(py)?;
    let strings = records
        .as_strings()
        .ok_or_else(|| Error::invalid("serialized records must be strings"))
        .py_err(py)?;
    if records.rank() == 0 {
        let record = strings.get(0);
        let (context, lists) = py
            .detach(|| parse_single_sequence_example(&context_specs, &sequence_specs, record))
            .py_err(py)?;
        let items = [
            parsed_list_to_py(py, context)?.into_any(),
            parsed_list_to_py(py, lists)?.into_any(),
            py.None().into_bound(py),
        ];
        return PyTuple::new(py, items);
    }
    let rows: Vec<&[u8]> = strings.iter().collect();
    let batch = py
        .detach(|| parse_sequence_example(&context_specs, &sequence_specs, &rows))
        .py_err(py)?;
    let lengths = batch
        .lengths
        .into_iter()
        .map(|t| tensor_to_py(py, t, Form::Tensor))
        .collect::<PyResult<Vec<_>>>()?;
    let items = [
        parsed_list_to_py(py, batch.context)?.into_any(),
        parsed_list_to_py(py, batch.feature_lists)?.into_any(),
        PyList::new(py, lengths)?.into_any(),
    ];
    PyTuple::new(py, items)
}
