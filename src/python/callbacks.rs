//! User Python functions seen by the engine as `ElementFn`, `DatasetFn` and `ElementSource`.
//! Each takes the GIL only for the call itself; the engine's threads never wait on a channel
//! while holding it.

use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::PyTuple;

use super::convert::{element_from_py, element_to_py, Form};
use super::dataset::NativeDataset;
use super::errors::external;
use super::interpreter;
use crate::engine::{DatasetFn, DatasetNode, Element, ElementFn, Position, Result};
use crate::ops::generator::{ElementSource, ElementStream};

/// Calls `func(*components)`; it returns a list of component values.
pub struct PyElementFn {
    func: Py<PyAny>,
}

impl PyElementFn {
    pub fn new(func: Py<PyAny>) -> Self {
        PyElementFn { func }
    }
}

fn call_flat<'py>(
    py: Python<'py>,
    func: &Py<PyAny>,
    input: Element,
) -> PyResult<Bound<'py, PyAny>> {
    let args = PyTuple::new(py, element_to_py(py, input, Form::Python)?)?;
    func.bind(py).call1(args)
}

impl PyElementFn {
    fn call_attached(&self, py: Python<'_>, input: Element) -> Result<Element> {
        let out = call_flat(py, &self.func, input).map_err(external)?;
        element_from_py(&out)
    }
}

impl ElementFn for PyElementFn {
    fn call(&self, input: Element) -> Result<Element> {
        interpreter::attach(|py| self.call_attached(py, input))
    }

    /// One GIL acquisition for the run: workers taking the GIL per call hand it back and
    /// forth, with a thread wake-up each time.
    fn call_many(&self, inputs: Vec<(Element, Position)>) -> Vec<Result<Element>> {
        let n = inputs.len();
        interpreter::attach(|py| {
            Ok(inputs
                .into_iter()
                .map(|(input, _)| self.call_attached(py, input))
                .collect())
        })
        .unwrap_or_else(|e| vec![Err(e); n])
    }
}

/// Calls `func(*components)`; it returns a `NativeDataset`.
pub struct PyDatasetFn {
    func: Py<PyAny>,
}

impl PyDatasetFn {
    pub fn new(func: Py<PyAny>) -> Self {
        PyDatasetFn { func }
    }
}

impl DatasetFn for PyDatasetFn {
    fn call(&self, input: Element) -> Result<Arc<dyn DatasetNode>> {
        interpreter::attach(|py| {
            let out = call_flat(py, &self.func, input).map_err(external)?;
            let dataset = out
                .cast::<NativeDataset>()
                .map_err(|e| external(e.into()))?;
            Ok(dataset.get().node.clone())
        })
    }
}

/// `open()` returns a step function; each call of it returns the next element's components
/// as a list, or `None` at the end.
pub struct PyGeneratorSource {
    open: Py<PyAny>,
}

impl PyGeneratorSource {
    pub fn new(open: Py<PyAny>) -> Self {
        PyGeneratorSource { open }
    }
}

impl ElementSource for PyGeneratorSource {
    fn open(&self) -> Result<Box<dyn ElementStream>> {
        interpreter::attach(|py| {
            let step = self.open.bind(py).call0().map_err(external)?;
            Ok(Box::new(PyGeneratorStream {
                step: step.unbind(),
            }) as Box<dyn ElementStream>)
        })
    }
}

struct PyGeneratorStream {
    step: Py<PyAny>,
}

impl ElementStream for PyGeneratorStream {
    fn next(&mut self) -> Result<Option<Element>> {
        interpreter::attach(|py| {
            let out = self.step.bind(py).call0().map_err(external)?;
            if out.is_none() {
                return Ok(None);
            }
            element_from_py(&out).map(Some)
        })
    }
}
