//! `NativeIterator`: one pass over a dataset, pulled from Python. Every wait happens with the
//! GIL released; an interrupt (Ctrl-C) is noticed within `POLL_INTERVAL`.

use std::sync::{Arc, Mutex};

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use super::convert::element_to_py;
use super::errors::IntoPyResult;
use super::threads::python_thread_hooks;
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
        let ctx = Context::with_options(Some(interrupt), options);
        let ctx = Arc::new(ctx.with_thread_hooks(python_thread_hooks()));
        let tree = py.detach(|| ctx.open(node)).py_err(py)?;
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

    /// Per-stage statistics: one dict per stage, in the order the stages were opened.
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyDict>>> {
        self.ctx
            .stats()
            .reports()
            .into_iter()
            .map(|r| {
                let d = PyDict::new(py);
                d.set_item("path", r.path)?;
                d.set_item("name", r.name)?;
                d.set_item("depth", r.depth)?;
                d.set_item("elements", r.elements)?;
                d.set_item("busy_s", r.busy_ns as f64 * 1e-9)?;
                d.set_item("input_wait_s", r.input_wait_ns as f64 * 1e-9)?;
                d.set_item("consumer_wait_s", r.consumer_wait_ns as f64 * 1e-9)?;
                d.set_item("buffered", r.buffered)?;
                d.set_item("tuned", r.tuned)?;
                d.set_item("notes", r.notes)?;
                Ok(d)
            })
            .collect()
    }

    /// The recorded timeline: `(stage index, thread, start_s, end_s)` per call, and the
    /// seconds since the pass started.
    fn timeline(&self) -> (Vec<(usize, u64, f64, f64)>, f64) {
        let registry = self.ctx.stats();
        let events = registry
            .timeline()
            .into_iter()
            .map(|e| {
                (
                    e.stage,
                    e.thread,
                    e.start_ns as f64 * 1e-9,
                    e.end_ns as f64 * 1e-9,
                )
            })
            .collect();
        (events, registry.elapsed_ns() as f64 * 1e-9)
    }

    /// The errors `ignore_errors` skipped so far in this pass.
    fn skipped_errors(&self) -> Vec<String> {
        self.ctx.skipped_errors()
    }

    /// Stops the pass: its threads exit after the element each is working on.
    fn close(&self, py: Python<'_>) {
        self.ctx.cancel();
        // Another thread may hold the tree inside `next` and need the GIL to finish.
        py.detach(|| drop(self.tree.lock().unwrap_or_else(|p| p.into_inner()).take()));
    }
}

/// Dropping never waits for workers (see `PrefetchIterator`), so it is safe with the GIL held.
impl Drop for NativeIterator {
    fn drop(&mut self) {
        self.ctx.cancel();
    }
}
