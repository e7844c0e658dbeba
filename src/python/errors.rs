//! Engine errors become Python exceptions here, once: each variant maps to the class of the
//! same name in `ferroflow.errors` (which also subclasses the natural builtin). Errors raised
//! by user functions travel through the engine untouched and are re-raised as they were.

use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyType;

use crate::engine::error::ExternalError;
use crate::engine::Error;

/// Wraps a Python exception so the engine can carry it.
pub fn external(err: PyErr) -> Error {
    Error::External(ExternalError(Arc::new(err)))
}

fn class_name(err: &Error) -> &'static str {
    match err {
        Error::InvalidArgument(_) => "InvalidArgumentError",
        Error::OutOfRange(_) => "OutOfRangeError",
        Error::DataLoss(_) => "DataLossError",
        Error::NotFound(_) => "NotFoundError",
        Error::FailedPrecondition(_) => "FailedPreconditionError",
        Error::ResourceExhausted(_) => "ResourceExhaustedError",
        Error::Unimplemented(_) => "UnimplementedError",
        Error::Internal(_) => "InternalError",
        Error::Io(_) => "UnknownError",
        Error::Cancelled => "CancelledError",
        Error::External(_) | Error::Interrupted(_) => {
            unreachable!("external errors are re-raised as they are")
        }
    }
}

static ERRORS_MODULE: PyOnceLock<Py<PyModule>> = PyOnceLock::new();

/// The Python exception for an engine error.
pub fn to_py(py: Python<'_>, err: Error) -> PyErr {
    if let Error::External(ExternalError(inner)) | Error::Interrupted(ExternalError(inner)) = &err {
        return match inner.downcast_ref::<PyErr>() {
            Some(e) => e.clone_ref(py),
            None => pyo3::exceptions::PyRuntimeError::new_err("an external error of unknown type"),
        };
    }
    let message = err.to_string();
    let class = ERRORS_MODULE
        .get_or_try_init(py, || py.import("ferroflow.errors").map(Bound::unbind))
        .and_then(|m| m.bind(py).getattr(class_name(&err)))
        .and_then(|c| c.cast_into::<PyType>().map_err(PyErr::from));
    match class {
        Ok(class) => PyErr::from_type(class, message),
        Err(import_error) => import_error,
    }
}

/// `?`-friendly conversion for binding functions.
pub trait IntoPyResult<T> {
    fn py_err(self, py: Python<'_>) -> PyResult<T>;
}

impl<T> IntoPyResult<T> for Result<T, Error> {
    fn py_err(self, py: Python<'_>) -> PyResult<T> {
        self.map_err(|e| to_py(py, e))
    }
}
