//! User Python functions seen by the engine as `ElementFn`, `DatasetFn` and `ElementSource`.
//! Each takes the GIL only for the call itself; the engine's threads never wait on a channel
//! while holding it.

use std::sync::Arc;
use std::time::Duration;

use pyo3::exceptions::PyBaseException;
use pyo3::prelude::*;
use pyo3::types::{PyList, PyTuple};

use super::convert::{element_from_py, element_to_py, Form};
use super::dataset::NativeDataset;
use super::errors::external;
use super::interpreter;
use crate::engine::{DatasetFn, DatasetNode, Element, ElementFn, Error, Position, Result};
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

/// The work each call of a `PyManyFn` should carry: a call is a message to another process
/// and back (two wake-ups, pickling, a copy out of shared memory), so it takes enough
/// elements for that cost to be small beside theirs.
const WORK_PER_PROCESS_CALL: Duration = Duration::from_millis(20);

/// Calls `func([components, ...])` with a run of elements at once; it returns, for each, its
/// result's component list or the exception it raised. For a function run in other
/// processes, where each call pays for a round trip.
pub struct PyManyFn {
    func: Py<PyAny>,
}

impl PyManyFn {
    pub fn new(func: Py<PyAny>) -> Self {
        PyManyFn { func }
    }

    fn call_attached(
        &self,
        py: Python<'_>,
        inputs: Vec<(Element, Position)>,
    ) -> Result<Vec<Result<Element>>> {
        let n = inputs.len();
        let args = PyList::empty(py);
        for (input, _) in inputs {
            let components = element_to_py(py, input, Form::Python).map_err(external)?;
            args.append(PyTuple::new(py, components).map_err(external)?)
                .map_err(external)?;
        }
        let out = self.func.bind(py).call1((args,)).map_err(external)?;
        let results = out.cast::<PyList>().map_err(|e| external(e.into()))?;
        if results.len() != n {
            return Err(Error::Internal(format!(
                "a function of {n} elements returned {} results",
                results.len()
            )));
        }
        Ok(results
            .iter()
            .map(|result| match result.cast::<PyBaseException>() {
                Ok(raised) => Err(external(PyErr::from_value(raised.clone().into_any()))),
                Err(_) => element_from_py(&result),
            })
            .collect())
    }
}

impl ElementFn for PyManyFn {
    fn call(&self, input: Element) -> Result<Element> {
        let mut results = self.call_many(vec![(input, Position::default())]);
        results.pop().expect("one result for one element")
    }

    fn call_many(&self, inputs: Vec<(Element, Position)>) -> Vec<Result<Element>> {
        let n = inputs.len();
        interpreter::attach(|py| self.call_attached(py, inputs)).unwrap_or_else(|e| vec![Err(e); n])
    }

    fn work_per_call(&self) -> Option<Duration> {
        Some(WORK_PER_PROCESS_CALL)
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
