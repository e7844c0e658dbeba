//! Iterator states as Python values: nested lists of ints and strings, which `json` writes
//! and reads as they are.

use pyo3::prelude::*;
use pyo3::types::{PyInt, PyList, PySequence, PyString};

use crate::engine::{Error, Result, State};

/// How deep a state's lists may nest; deeper is malformed (and would exhaust the stack).
const MAX_DEPTH: usize = 256;

pub fn state_to_py<'py>(py: Python<'py>, state: &State) -> PyResult<Bound<'py, PyAny>> {
    Ok(match state {
        State::Int(v) => v.into_pyobject(py)?.into_any(),
        State::Text(s) => PyString::new(py, s).into_any(),
        State::Name(s) => PyString::new(py, s).into_any(),
        State::List(items) => {
            let list = PyList::empty(py);
            for item in items.iter() {
                list.append(state_to_py(py, item)?)?;
            }
            list.into_any()
        }
    })
}

pub fn state_from_py(value: &Bound<'_, PyAny>) -> Result<State> {
    from_py(value, 0)
}

fn from_py(value: &Bound<'_, PyAny>, depth: usize) -> Result<State> {
    let malformed =
        |what: String| Error::InvalidArgument(format!("malformed iterator state: {what}"));
    if depth > MAX_DEPTH {
        return Err(malformed(format!("lists nest deeper than {MAX_DEPTH}")));
    }
    if value.is_instance_of::<PyInt>() && !value.is_instance_of::<pyo3::types::PyBool>() {
        return value
            .extract::<i64>()
            .map(State::Int)
            .map_err(|_| malformed(format!("{value} does not fit in 64 bits")));
    }
    if let Ok(s) = value.cast::<PyString>() {
        return Ok(State::Text(s.to_string().into()));
    }
    if value.is_instance_of::<PyList>() || value.is_instance_of::<pyo3::types::PyTuple>() {
        let seq = value
            .cast::<PySequence>()
            .map_err(|_| malformed("a list that is not a sequence".into()))?;
        let items = (0..seq.len().unwrap_or(0))
            .map(|i| {
                let item = seq
                    .get_item(i)
                    .map_err(|e| malformed(format!("item {i}: {e}")))?;
                from_py(&item, depth + 1)
            })
            .collect::<Result<Vec<_>>>()?;
        return Ok(State::list(items));
    }
    let kind = value
        .get_type()
        .name()
        .map_or_else(|_| "?".to_string(), |n| n.to_string());
    Err(malformed(format!(
        "a value of type {kind}, where ints, strings and lists are"
    )))
}
