//! The traced op that calls back into Python: `py_function`, for what no kernel does.

use std::sync::Arc;

use pyo3::prelude::*;

use crate::engine::{Error, Result};
use crate::kernels::graph::GraphOp;
use crate::python::callbacks::PyElementFn;

op_family!(|py, inputs, attr, wrong| {
    "py_function" => {
        let (func, outputs): (Py<PyAny>, usize) = attr.extract().map_err(wrong)?;
        GraphOp::External {
            func: Arc::new(PyElementFn::new(func)),
            outputs,
        }
    },
});
