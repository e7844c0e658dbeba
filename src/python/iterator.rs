//! `NativeIterator`: one pass over a dataset, pulled from Python. Every wait happens with the
//! GIL released; an interrupt (Ctrl-C) is noticed within `POLL_INTERVAL`.

use std::sync::{Arc, Mutex};

use pyo3::prelude::*;
use pyo3::types::PyList;

use super::convert::element_to_py;
use super::errors::IntoPyResult;
use crate::engine::error::ExternalError;
use crate::engine::{Context, DatasetIterator, DatasetNode, Error, PipelineOptions};

#[pyclass(frozen, module = "ferroflow._lib")]
pub struct NativeIterator {
    tree: Mutex<Option<Box<dyn DatasetIterator>>>,
    ctx: Arc<Context>,
}

impl NativeIterator {
    pub fn start(
        py: Python<'_>,
        node: &Arc<dyn DatasetNode>,
        options: PipelineOptions,
    ) -> PyResult<Self> {
        let interrupt = Box::new(|| {
            Python::attach(|py| py.check_signals())
                .map_err(|e| Error::Interrupted(ExternalError(Arc::new(e))))
        });
        let ctx = Arc::new(Context::with_options(Some(interrupt), options));
        let tree = py.detach(|| node.make_iterator(&ctx)).py_err(py)?;
        Ok(NativeIterator {
            tree: Mutex::new(Some(tree)),
            ctx,
        })
    }
}

#[pymethods]
impl NativeIterator {
    /// The next element's components, or `None` at the end.
    fn next<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyList>>> {
        let next = py.detach(|| {
            let mut tree = self.tree.lock().unwrap_or_else(|p| p.into_inner());
            match tree.as_mut() {
                Some(it) => {
                    let item = it.next(&self.ctx);
                    if !matches!(item, Ok(Some(_))) {
                        // Finished or failed: stop the workers now, not at garbage collection.
                        let done = tree.take();
                        self.ctx.cancel();
                        drop(done);
                    }
                    item
                }
                None => Ok(None),
            }
        });
        match next.py_err(py)? {
            Some(element) => element_to_py(py, element).map(Some),
            None => Ok(None),
        }
    }

    /// The errors `ignore_errors` skipped so far in this pass.
    fn skipped_errors(&self) -> Vec<String> {
        self.ctx.skipped_errors()
    }

    /// Stops the pass: its threads exit after the element each is working on.
    fn close(&self, py: Python<'_>) {
        self.ctx.cancel();
        let tree = self.tree.lock().unwrap_or_else(|p| p.into_inner()).take();
        py.detach(|| drop(tree));
    }
}

/// Dropping never waits for workers (see `PrefetchIterator`), so it is safe with the GIL held.
impl Drop for NativeIterator {
    fn drop(&mut self) {
        self.ctx.cancel();
    }
}
