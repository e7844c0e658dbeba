//! `NativeIterator`: one pass over a dataset, pulled from Python. Every wait happens with the
//! GIL released; an interrupt (Ctrl-C) is noticed within `POLL_INTERVAL`.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use super::arrow::NativeRecordBatch;
use super::convert::{element_to_py, Form};
use super::errors::IntoPyResult;
use super::interpreter;
use super::state::state_to_py;
use super::threads::python_thread_hooks;
use crate::engine::error::ExternalError;
use crate::engine::{
    take_up_to, Context, DatasetIterator, DatasetNode, Error, PipelineOptions, State,
};
use crate::formats::arrow_write::{batch_to_record_batch, rows_to_record_batch};
use crate::formats::parquet::{self, ParquetSink};

#[pyclass(frozen, module = "ferroflow._lib")]
pub struct NativeIterator {
    tree: Mutex<Option<Box<dyn DatasetIterator>>>,
    /// The pass's state when it ended (or failed) and its tree was dropped.
    final_state: Mutex<Option<crate::engine::Result<State>>>,
    ctx: Arc<Context>,
}

impl NativeIterator {
    /// Starts a pass over `node`, at `state` (saved by `save_state`) when given.
    pub fn start(
        py: Python<'_>,
        node: &Arc<dyn DatasetNode>,
        options: PipelineOptions,
        state: Option<State>,
    ) -> PyResult<Self> {
        crate::allocator::release_prefaulted();
        let interrupt = Box::new(|| {
            interpreter::attach(|py| {
                py.check_signals()
                    .map_err(|e| Error::Interrupted(ExternalError(Arc::new(e))))
            })
        });
        let ctx = Context::with_options(Some(interrupt), options);
        let ctx = Arc::new(ctx.with_thread_hooks(python_thread_hooks()));
        let tree = py
            .detach(|| match &state {
                Some(state) => ctx.restore(node, state, false),
                None => ctx.open(node),
            })
            .py_err(py)?;
        Ok(NativeIterator {
            tree: Mutex::new(Some(tree)),
            final_state: Mutex::new(None),
            ctx,
        })
    }
}

impl NativeIterator {
    /// Runs `step` on the iterator tree with the GIL released; when it gives no value (the
    /// end, or an error) the pass is over and its workers stop now, not at garbage collection.
    fn advance<T: Send>(
        &self,
        py: Python<'_>,
        step: impl FnOnce(&mut dyn DatasetIterator, &Context) -> crate::engine::Result<Option<T>> + Send,
    ) -> PyResult<Option<T>> {
        py.detach(|| {
            let mut tree = self.tree.lock().unwrap_or_else(|p| p.into_inner());
            match tree.as_mut() {
                Some(it) => {
                    let item = step(it.as_mut(), &self.ctx);
                    if !matches!(item, Ok(Some(_))) {
                        let done = tree.take();
                        *self.final_state.lock().unwrap_or_else(|p| p.into_inner()) =
                            done.as_ref().map(|it| it.save());
                        self.ctx.cancel();
                        drop(done);
                    }
                    item
                }
                None => Ok(None),
            }
        })
        .py_err(py)
    }
}

#[pymethods]
impl NativeIterator {
    /// The next element's components, or `None` at the end: `ferroflow.Tensor`s, or plain
    /// numpy values when `numpy` is true.
    #[pyo3(signature = (numpy=false))]
    fn next<'py>(&self, py: Python<'py>, numpy: bool) -> PyResult<Option<Bound<'py, PyList>>> {
        let form = if numpy { Form::Numpy } else { Form::Tensor };
        match self.advance(py, |it, ctx| it.next(ctx))? {
            Some(element) => element_to_py(py, element, form).map(Some),
            None => Ok(None),
        }
    }

    /// The next element as an Arrow record batch with columns at `paths`: every component
    /// is a column, its first dimension the rows.
    fn next_record_batch(
        &self,
        py: Python<'_>,
        paths: Vec<Vec<String>>,
    ) -> PyResult<Option<NativeRecordBatch>> {
        let batch = self.advance(py, |it, ctx| match it.next(ctx)? {
            Some(element) => batch_to_record_batch(element, &paths).map(Some),
            None => Ok(None),
        })?;
        Ok(batch.map(|batch| NativeRecordBatch { batch }))
    }

    /// Up to `rows` elements (rows, not batches) as one record batch, None at the end;
    /// `variable[i]` says component `i` is a list whose length varies from row to row.
    fn next_rows_record_batch(
        &self,
        py: Python<'_>,
        paths: Vec<Vec<String>>,
        variable: Vec<bool>,
        rows: usize,
    ) -> PyResult<Option<NativeRecordBatch>> {
        let batch = self.advance(py, |it, ctx| {
            let (taken, _) = take_up_to(it, ctx, rows.max(1))?;
            if taken.is_empty() {
                return Ok(None);
            }
            rows_to_record_batch(&taken, &paths, &variable).map(Some)
        })?;
        Ok(batch.map(|batch| NativeRecordBatch { batch }))
    }

    /// Writes the rest of the pass to a Parquet file, `row_group_size` rows per row group.
    /// `variable[i]` says component `i` is a list whose length varies from row to row.
    fn write_parquet(
        &self,
        py: Python<'_>,
        path: PathBuf,
        paths: Vec<Vec<String>>,
        variable: Vec<bool>,
        compression: Option<String>,
        row_group_size: i64,
    ) -> PyResult<u64> {
        // A negative size is as wrong as zero, which the sink refuses.
        let row_group_size = usize::try_from(row_group_size).unwrap_or(0);
        let codec = parquet::compression(compression.as_deref()).py_err(py)?;
        let mut sink = ParquetSink::new(path, codec, row_group_size).py_err(py)?;
        let mut written = 0;
        self.advance(py, |it, ctx| loop {
            let (rows, ended) = take_up_to(it, ctx, row_group_size)?;
            if !rows.is_empty() {
                written += rows.len() as u64;
                sink.write(&rows_to_record_batch(&rows, &paths, &variable)?)?;
            }
            if ended {
                return Ok(None::<()>);
            }
        })?;
        py.detach(|| sink.finish()).py_err(py)?;
        Ok(written)
    }

    /// The pass's position after the last element it gave, as nested lists of ints and
    /// strings; `start` with it goes on from there.
    fn save_state<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let state = py
            .detach(|| {
                let tree = self.tree.lock().unwrap_or_else(|p| p.into_inner());
                match tree.as_ref() {
                    Some(it) => it.save(),
                    None => self
                        .final_state
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .clone()
                        .unwrap_or_else(|| Err(Error::Internal("the pass has no state".into()))),
                }
            })
            .py_err(py)?;
        state_to_py(py, &state)
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
