//! `NativeDataset`: a handle on an engine `DatasetNode`. The Python `Dataset` class wraps one
//! and keeps the element structure; every method here builds a new node.

use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::PyList;

use super::callbacks::{PyDatasetFn, PyElementFn, PyGeneratorSource, PyManyFn};
use super::convert::{element_from_py, tensor_from_py};
use super::errors::IntoPyResult;
use super::graph::{NativeGraph, NativeSourceGraph};
use super::iterator::NativeIterator;
use super::state::state_from_py;
use crate::engine::args::positive;
use crate::engine::{DType, DatasetFn, DatasetNode, ElementFn, PipelineOptions, Result};
use crate::formats::compression::Compression;
use crate::formats::fixed_length::FixedLayout;
use crate::formats::text_lines::CsvSyntax;
use crate::ops::file_records::{record_file_fn, FileOptions};
use crate::ops::ignore_errors::IgnoreErrorsNode;
use crate::ops::{
    batch::{check_batch_size, BatchNode},
    bucket_by_length::Buckets,
    cache::CacheNode,
    concatenate::ConcatenateNode,
    directed_interleave::DirectedInterleaveNode,
    filter::FilterNode,
    flat_map::FlatMapNode,
    from_tensor_slices::FromTensorSlicesNode,
    from_tensors::FromTensorsNode,
    generator::GeneratorNode,
    group_by_window::{GroupNode, KeyedWindows, WindowSize},
    interleave::InterleaveNode,
    map::MapNode,
    padded_batch::{PaddedBatchNode, PaddedShape, Padding},
    parallel_map::ParallelMapNode,
    prefetch::PrefetchNode,
    random_source::{Draw, RandomSourceNode, WeightedChoiceNode},
    range::RangeNode,
    repeat::RepeatNode,
    scan::ScanNode,
    shard::ShardNode,
    shuffle::ShuffleNode,
    skip::SkipNode,
    take::TakeNode,
    take_while::TakeWhileNode,
    unbatch::UnbatchNode,
    unique::UniqueNode,
    window::{WindowNode, WindowShape},
    zip::ZipNode,
};

/// Chunks of elements each open input of a parallel interleave may run ahead.
const PARALLEL_INTERLEAVE_BUFFER: usize = 2;

#[pyclass(frozen, module = "ferroflow._lib")]
pub struct NativeDataset {
    pub node: Arc<dyn DatasetNode>,
}

/// One padded shape and one single-value padding tensor per component.
fn padding_from_py(shapes: Vec<PaddedShape>, values: &Bound<'_, PyList>) -> Result<Padding> {
    let values = values
        .iter()
        .map(|v| tensor_from_py(&v))
        .collect::<Result<Vec<_>>>()?;
    Padding::new(shapes, values)
}

/// A traced graph as it is, or a Python function called with numpy values.
fn element_fn(func: &Bound<'_, PyAny>) -> Arc<dyn ElementFn> {
    match func.cast::<NativeGraph>() {
        Ok(graph) => graph.get().graph.clone(),
        Err(_) => Arc::new(PyElementFn::new(func.clone().unbind())),
    }
}

/// A traced source function as it is, or a Python function returning a dataset's handle.
fn dataset_fn(func: &Bound<'_, PyAny>) -> Arc<dyn DatasetFn> {
    match func.cast::<NativeSourceGraph>() {
        Ok(traced) => traced.get().func.clone(),
        Err(_) => Arc::new(PyDatasetFn::new(func.clone().unbind())),
    }
}

fn wrap(node: impl DatasetNode + 'static) -> NativeDataset {
    NativeDataset {
        node: Arc::new(node),
    }
}

impl NativeDataset {
    fn mapped(
        &self,
        py: Python<'_>,
        func: Arc<dyn ElementFn>,
        parallelism: Option<i64>,
        deterministic: Option<bool>,
        note: Option<String>,
    ) -> PyResult<Self> {
        let Some(parallelism) = parallelism else {
            return Ok(wrap(MapNode::new(self.node.clone(), func).with_note(note)));
        };
        let node = ParallelMapNode::new(self.node.clone(), func, parallelism, deterministic);
        Ok(wrap(node.py_err(py)?.with_note(note)))
    }
}

#[pymethods]
impl NativeDataset {
    #[staticmethod]
    fn range(py: Python<'_>, start: i64, stop: i64, step: i64, dtype: &str) -> PyResult<Self> {
        let dtype = DType::from_name(dtype).py_err(py)?;
        Ok(wrap(RangeNode::new(start, stop, step, dtype).py_err(py)?))
    }

    #[staticmethod]
    fn from_tensors(py: Python<'_>, components: &Bound<'_, PyList>) -> PyResult<Self> {
        Ok(wrap(FromTensorsNode::new(
            element_from_py(components.as_any()).py_err(py)?,
        )))
    }

    #[staticmethod]
    fn from_tensor_slices(py: Python<'_>, components: &Bound<'_, PyList>) -> PyResult<Self> {
        let element = element_from_py(components.as_any()).py_err(py)?;
        Ok(wrap(FromTensorSlicesNode::new(element).py_err(py)?))
    }

    /// `open()` returns a step function yielding component lists, then `None`.
    #[staticmethod]
    fn from_generator(open: Py<PyAny>) -> Self {
        wrap(GeneratorNode::new(Arc::new(PyGeneratorSource::new(open))))
    }

    #[staticmethod]
    fn zip(datasets: Vec<PyRef<'_, NativeDataset>>) -> Self {
        wrap(ZipNode::new(
            datasets.iter().map(|d| d.node.clone()).collect(),
        ))
    }

    /// Each element from the dataset `selector`'s next scalar int64 names; with
    /// `stop_on_empty`, ends when that dataset is exhausted, else passes over it.
    #[staticmethod]
    fn directed_interleave(
        py: Python<'_>,
        selector: &NativeDataset,
        datasets: Vec<PyRef<'_, NativeDataset>>,
        stop_on_empty: bool,
    ) -> PyResult<Self> {
        let inputs = datasets.iter().map(|d| d.node.clone()).collect();
        let node = DirectedInterleaveNode::new(selector.node.clone(), inputs, stop_on_empty);
        Ok(wrap(node.py_err(py)?))
    }

    /// Endless random int64 scalars: any value, or indices drawn with `weights`.
    #[staticmethod]
    #[pyo3(signature = (seed, rerandomize, weights=None))]
    fn random(
        py: Python<'_>,
        seed: Option<u64>,
        rerandomize: bool,
        weights: Option<Vec<f64>>,
    ) -> PyResult<Self> {
        let draw = match weights {
            Some(w) => Draw::categorical(&w).py_err(py)?,
            None => Draw::Int64,
        };
        Ok(wrap(RandomSourceNode::new(draw, seed, rerandomize)))
    }

    /// For each weight vector of this dataset, an int64 index drawn with those weights.
    #[pyo3(signature = (seed, rerandomize))]
    fn weighted_choice(&self, seed: Option<u64>, rerandomize: bool) -> Self {
        wrap(WeightedChoiceNode::new(
            self.node.clone(),
            seed,
            rerandomize,
        ))
    }

    fn concatenate(&self, other: &NativeDataset) -> Self {
        wrap(ConcatenateNode::new(self.node.clone(), other.node.clone()))
    }

    /// `parallelism` None runs calls one at a time on the consumer's thread; -1 is AUTOTUNE;
    /// N runs up to N calls at once on the pipeline's worker pool. `note` says in the
    /// statistics why the function runs as Python. `many`: `func` takes a list of elements'
    /// components and returns a list of results or exceptions, one per element (a function
    /// run in other processes, sent runs of elements at once).
    #[pyo3(signature = (func, parallelism=None, deterministic=None, note=None, many=false))]
    fn map(
        &self,
        py: Python<'_>,
        func: Py<PyAny>,
        parallelism: Option<i64>,
        deterministic: Option<bool>,
        note: Option<String>,
        many: bool,
    ) -> PyResult<Self> {
        let func: Arc<dyn ElementFn> = match many {
            true => Arc::new(PyManyFn::new(func)),
            false => Arc::new(PyElementFn::new(func)),
        };
        self.mapped(py, func, parallelism, deterministic, note)
    }

    /// `map` with a traced function: it runs natively, without the GIL.
    #[pyo3(signature = (graph, parallelism=None, deterministic=None))]
    fn map_graph(
        &self,
        py: Python<'_>,
        graph: &NativeGraph,
        parallelism: Option<i64>,
        deterministic: Option<bool>,
    ) -> PyResult<Self> {
        self.mapped(py, graph.graph.clone(), parallelism, deterministic, None)
    }

    /// `func` (a Python function or a traced `NativeGraph`) maps the state's components then
    /// the element's to the new state's then the output's; `initial_state` its components.
    fn scan(
        &self,
        py: Python<'_>,
        func: &Bound<'_, PyAny>,
        initial_state: &Bound<'_, PyList>,
    ) -> PyResult<Self> {
        let state = element_from_py(initial_state.as_any()).py_err(py)?;
        Ok(wrap(ScanNode::new(
            self.node.clone(),
            element_fn(func),
            state,
        )))
    }

    /// `predicate`: a Python function, or a traced `NativeGraph` returning one scalar bool.
    fn filter(&self, predicate: &Bound<'_, PyAny>) -> Self {
        wrap(FilterNode::new(self.node.clone(), element_fn(predicate)))
    }

    fn take_while(&self, predicate: &Bound<'_, PyAny>) -> Self {
        wrap(TakeWhileNode::new(self.node.clone(), element_fn(predicate)))
    }

    /// `func`: a Python function returning a dataset's handle, or a `NativeSourceGraph`.
    /// `note` says in the statistics why a function runs as Python.
    #[pyo3(signature = (func, note=None))]
    fn flat_map(&self, func: &Bound<'_, PyAny>, note: Option<String>) -> Self {
        wrap(FlatMapNode::new(self.node.clone(), dataset_fn(func)).with_note(note))
    }

    /// `parallelism` (num_parallel_calls, not None) reads the open inputs on worker threads;
    /// the output order is the same.
    #[pyo3(signature = (func, cycle_length, block_length, parallelism=None, deterministic=None, note=None))]
    #[allow(clippy::too_many_arguments)]
    fn interleave(
        &self,
        py: Python<'_>,
        func: &Bound<'_, PyAny>,
        cycle_length: i64,
        block_length: i64,
        parallelism: Option<i64>,
        deterministic: Option<bool>,
        note: Option<String>,
    ) -> PyResult<Self> {
        let func = dataset_fn(func);
        let node = InterleaveNode::new(self.node.clone(), func, cycle_length, block_length);
        let node = node.py_err(py)?.with_note(note);
        Ok(wrap(match parallelism {
            Some(n) => node
                .parallel_calls(n, PARALLEL_INTERLEAVE_BUFFER)
                .py_err(py)?
                .deterministic(deterministic),
            None => node,
        }))
    }

    /// `parallelism` as for `map`: None assembles batches on the consumer's thread.
    /// `ragged[i]` batches component `i` as ragged rows: its values and row splits.
    #[pyo3(signature = (batch_size, drop_remainder, parallelism=None, deterministic=None, ragged=Vec::new()))]
    fn batch(
        &self,
        py: Python<'_>,
        batch_size: i64,
        drop_remainder: bool,
        parallelism: Option<i64>,
        deterministic: Option<bool>,
        ragged: Vec<bool>,
    ) -> PyResult<Self> {
        let node = BatchNode::new(self.node.clone(), batch_size, drop_remainder).py_err(py)?;
        let node = node.ragged(ragged);
        Ok(wrap(match parallelism {
            None => node,
            Some(n) => node.parallel(n, deterministic).py_err(py)?,
        }))
    }

    fn padded_batch(
        &self,
        py: Python<'_>,
        batch_size: i64,
        padded_shapes: Vec<PaddedShape>,
        padding_values: &Bound<'_, PyList>,
        drop_remainder: bool,
    ) -> PyResult<Self> {
        let padding = padding_from_py(padded_shapes, padding_values).py_err(py)?;
        let node = PaddedBatchNode::new(self.node.clone(), batch_size, padding, drop_remainder);
        Ok(wrap(node.py_err(py)?))
    }

    /// Batches of elements whose `length_fn` lengths fall in one bucket (see
    /// `BucketByLengthNode`); `padding` None stacks them unpadded.
    #[pyo3(signature = (length_fn, boundaries, batch_sizes, padding, pad_to_boundary, drop_remainder))]
    #[allow(clippy::too_many_arguments)]
    fn bucket_by_sequence_length(
        &self,
        py: Python<'_>,
        length_fn: &Bound<'_, PyAny>,
        boundaries: Vec<i64>,
        batch_sizes: Vec<i64>,
        padding: Option<(Vec<PaddedShape>, Bound<'_, PyList>)>,
        pad_to_boundary: bool,
        drop_remainder: bool,
    ) -> PyResult<Self> {
        let padding = padding
            .map(|(shapes, values)| padding_from_py(shapes, &values))
            .transpose()
            .py_err(py)?;
        let buckets = Buckets::new(
            element_fn(length_fn),
            boundaries,
            batch_sizes,
            padding,
            pad_to_boundary,
            drop_remainder,
        )
        .py_err(py)?;
        Ok(wrap(GroupNode::new(self.node.clone(), buckets)))
    }

    /// Groups of elements by `key_fn`'s int64 key, each emitted when it holds `window_size`
    /// elements (or `size_fn(key)`) as the key followed by the group's stacked components.
    #[pyo3(signature = (key_fn, window_size=None, size_fn=None))]
    fn group_by_window(
        &self,
        py: Python<'_>,
        key_fn: &Bound<'_, PyAny>,
        window_size: Option<i64>,
        size_fn: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let size = match (window_size, size_fn) {
            (Some(n), None) => WindowSize::Fixed(check_batch_size(n).py_err(py)?),
            (None, Some(f)) => WindowSize::OfKey(element_fn(f)),
            _ => {
                return Err(crate::engine::Error::invalid(
                    "give exactly one of window_size and window_size_func",
                ))
                .py_err(py)
            }
        };
        let grouping = KeyedWindows::new(element_fn(key_fn), size);
        Ok(wrap(GroupNode::new(self.node.clone(), grouping)))
    }

    fn unbatch(&self) -> Self {
        wrap(UnbatchNode::new(self.node.clone()))
    }

    #[pyo3(signature = (buffer_size, seed, reshuffle_each_iteration))]
    fn shuffle(
        &self,
        py: Python<'_>,
        buffer_size: i64,
        seed: Option<u64>,
        reshuffle_each_iteration: bool,
    ) -> PyResult<Self> {
        let node = ShuffleNode::new(
            self.node.clone(),
            buffer_size,
            seed,
            reshuffle_each_iteration,
        );
        Ok(wrap(node.py_err(py)?))
    }

    fn repeat(&self, count: i64) -> Self {
        wrap(RepeatNode::new(self.node.clone(), count))
    }

    fn assert_cardinality(&self, py: Python<'_>, expected: i64) -> PyResult<Self> {
        let node =
            crate::ops::assert_cardinality::AssertCardinalityNode::new(self.node.clone(), expected);
        Ok(wrap(node.py_err(py)?))
    }

    fn take(&self, count: i64) -> Self {
        wrap(TakeNode::new(self.node.clone(), count))
    }

    fn skip(&self, count: i64) -> Self {
        wrap(SkipNode::new(self.node.clone(), count))
    }

    fn shard(&self, py: Python<'_>, num_shards: i64, index: i64) -> PyResult<Self> {
        Ok(wrap(
            ShardNode::new(self.node.clone(), num_shards, index).py_err(py)?,
        ))
    }

    /// `description` names the elements a cache file must hold to be replayed.
    #[pyo3(signature = (filename, description=""))]
    fn cache(&self, filename: &str, description: &str) -> Self {
        wrap(CacheNode::new(self.node.clone(), filename, description))
    }

    /// `buffer_size` -1 is AUTOTUNE.
    fn prefetch(&self, py: Python<'_>, buffer_size: i64) -> PyResult<Self> {
        Ok(wrap(
            PrefetchNode::new(self.node.clone(), buffer_size).py_err(py)?,
        ))
    }

    /// The records of the files this dataset names, `format` "tfrecord", "text_line" (one
    /// record per line), "csv_record" (lines, but quoted fields may span them) or
    /// "fixed_length" (`fixed`: record, header and footer bytes; `csv`: the delimiter and
    /// whether fields may be quoted; `located`: each record followed by its file's name and
    /// its line), without each file's first
    /// record when `header`: read one file after another, or
    /// `cycle_length` files interleaved record by record.
    #[pyo3(signature = (format, compression, buffer_size, cycle_length, header=false, fixed=None, csv=None, located=false))]
    #[allow(clippy::too_many_arguments)]
    fn file_records(
        &self,
        py: Python<'_>,
        format: &str,
        compression: &str,
        buffer_size: Option<i64>,
        cycle_length: Option<i64>,
        header: bool,
        fixed: Option<(i64, i64, i64)>,
        csv: Option<(Vec<u8>, bool)>,
        located: bool,
    ) -> PyResult<Self> {
        if let Some(n) = cycle_length {
            positive("num_parallel_reads", n).py_err(py)?;
        }
        let csv = csv
            .map(|(delimiter, quoted)| CsvSyntax::new(&delimiter, quoted))
            .transpose()
            .py_err(py)?;
        let fixed = fixed
            .map(|(record, head, foot)| FixedLayout::new(record, head, foot))
            .transpose()
            .py_err(py)?;
        let compression = Compression::parse(compression).py_err(py)?;
        let options = FileOptions {
            header,
            fixed,
            csv: csv.unwrap_or_default(),
            located,
            ..FileOptions::buffered(compression, buffer_size).py_err(py)?
        };
        let read_file = record_file_fn(format, options).py_err(py)?;
        Ok(match cycle_length {
            None => wrap(FlatMapNode::new(self.node.clone(), read_file)),
            Some(cycle) => wrap(
                InterleaveNode::new(self.node.clone(), read_file, cycle, 1)
                    .py_err(py)?
                    .parallel(PARALLEL_INTERLEAVE_BUFFER),
            ),
        })
    }

    /// Windows of elements, each component stacked (see `WindowNode`).
    fn window(
        &self,
        py: Python<'_>,
        size: i64,
        shift: i64,
        stride: i64,
        drop_remainder: bool,
    ) -> PyResult<Self> {
        let shape = WindowShape::new(size, shift, stride, drop_remainder).py_err(py)?;
        Ok(wrap(WindowNode::new(self.node.clone(), shape)))
    }

    fn unique(&self) -> Self {
        wrap(UniqueNode::new(self.node.clone()))
    }

    fn ignore_errors(&self, log_warning: bool) -> Self {
        wrap(IgnoreErrorsNode::new(self.node.clone(), log_warning))
    }

    /// tf.data's encoding: a count, -1 for infinite, -2 for unknown.
    fn cardinality(&self) -> i64 {
        self.node.cardinality().as_i64()
    }

    /// Starts a pass; `cpu_budget` 0 means every core. A `probe` pass (to learn the element
    /// structure) takes no epoch of the datasets' seeds and pass counters.
    #[pyo3(signature = (cpu_budget=0, deterministic=true, ram_budget=0, timeline=false, state=None, probe=false))]
    #[allow(clippy::too_many_arguments)]
    fn iter(
        &self,
        py: Python<'_>,
        cpu_budget: usize,
        deterministic: bool,
        ram_budget: u64,
        timeline: bool,
        state: Option<&Bound<'_, PyAny>>,
        probe: bool,
    ) -> PyResult<NativeIterator> {
        let state = state.map(state_from_py).transpose().py_err(py)?;
        let options = PipelineOptions {
            cpu_budget,
            deterministic,
            ram_budget,
            timeline,
            probe,
        };
        NativeIterator::start(py, &self.node, options, state)
    }
}
