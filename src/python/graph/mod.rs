//! `NativeGraph`: a traced map function handed over from Python as a list of nodes, each
//! `(op, input value indices, attribute)`: `("const", [], value)`, `("cast", [x], dtype)`,
//! `("binary", [a, b], op name)`, `("parse_example", [s], (spec tuples, batched))`,
//! `("py_function", inputs, (callable, output count))`.

use std::sync::Arc;

use pyo3::prelude::*;

use super::errors::IntoPyResult;
use crate::engine::{DatasetFn, Error, Result};
use crate::formats::compression::Compression;
use crate::kernels::arithmetic::BinaryOp;
use crate::kernels::color::Adjustment;
use crate::kernels::graph::{Graph, GraphNode, GraphOp};
use crate::kernels::unary::UnaryOp;
use crate::ops::file_records::{record_file_fn, FileOptions};
use crate::ops::source_fn::{GraphSourceFn, TensorSlicesFn, TensorsFn};

/// Declares a family of traced ops: `OPS`, the names it knows, and `node`, which turns a
/// node's attribute into its `GraphOp`, from one list, so the two cannot drift apart.
/// `$wrong` maps a Python conversion error to one naming the op.
macro_rules! op_family {
    (|$py:ident, $inputs:ident, $attr:ident, $wrong:ident| { $($name:literal => $body:expr),* $(,)? }) => {
        pub(super) const OPS: &[&str] = &[$($name),*];

        #[allow(unused_variables)]
        pub(super) fn node(
            $py: Python<'_>,
            op: &str,
            $inputs: &[usize],
            $attr: &Bound<'_, PyAny>,
        ) -> Option<Result<GraphOp>> {
            let $wrong = |e: PyErr| Error::InvalidArgument(format!("graph node {op}: {e}"));
            let convert = || -> Result<GraphOp> {
                Ok(match op {
                    $($name => $body,)*
                    _ => unreachable!("checked against OPS"),
                })
            };
            OPS.contains(&op).then(convert)
        }
    };
}

mod image_ops;
mod python_ops;
mod random_ops;
mod record_ops;
mod string_ops;
mod tensor_ops;

#[pyclass(frozen, module = "ferroflow._lib")]
pub struct NativeGraph {
    pub graph: Arc<Graph>,
}

/// A traced `flat_map` or `interleave` function: a graph computing the tensors of a source
/// dataset, and which source (`"tensors"`, `"tensor_slices"`, or `"tfrecord"` with its
/// compression and buffer size, or `"text_line"` with the same).
#[pyclass(frozen, module = "ferroflow._lib")]
pub struct NativeSourceGraph {
    pub func: Arc<dyn DatasetFn>,
}

#[pymethods]
impl NativeSourceGraph {
    #[new]
    #[pyo3(signature = (graph, kind, compression=None, buffer_size=None))]
    fn new(
        py: Python<'_>,
        graph: &NativeGraph,
        kind: &str,
        compression: Option<&str>,
        buffer_size: Option<i64>,
    ) -> PyResult<Self> {
        let source: Arc<dyn DatasetFn> = match kind {
            "tensors" => Arc::new(TensorsFn),
            "tensor_slices" => Arc::new(TensorSlicesFn),
            "tfrecord" | "text_line" => {
                let compression = Compression::parse(compression.unwrap_or("")).py_err(py)?;
                let options = FileOptions::buffered(compression, buffer_size).py_err(py)?;
                record_file_fn(kind, options).py_err(py)?
            }
            other => return Err(Error::invalid(format!("no traced source {other:?}"))).py_err(py),
        };
        Ok(NativeSourceGraph {
            func: Arc::new(GraphSourceFn::new(graph.graph.clone(), source)),
        })
    }
}

/// Converts one op family's nodes: `None` when `op` is not one of the family's.
type FamilyFn = fn(Python<'_>, &str, &[usize], &Bound<'_, PyAny>) -> Option<Result<GraphOp>>;

/// Every family of traced ops: the names each knows and its conversion.
const FAMILIES: &[(&[&str], FamilyFn)] = &[
    (tensor_ops::OPS, tensor_ops::node),
    (string_ops::OPS, string_ops::node),
    (record_ops::OPS, record_ops::node),
    (image_ops::OPS, image_ops::node),
    (random_ops::OPS, random_ops::node),
    (python_ops::OPS, python_ops::node),
];

fn node_from_py(
    py: Python<'_>,
    op: &str,
    inputs: Vec<usize>,
    attr: &Bound<'_, PyAny>,
) -> Result<GraphNode> {
    let op = FAMILIES
        .iter()
        .find_map(|(_, node)| node(py, op, &inputs, attr))
        .unwrap_or_else(|| {
            Err(Error::InvalidArgument(format!(
                "unknown graph operation {op:?}"
            )))
        })?;
    Ok(GraphNode { op, inputs })
}

/// Ops whose attribute names one of several operations, and those names.
fn sub_ops() -> [(&'static str, Vec<&'static str>); 5] {
    fn names<T>(table: &[(&'static str, T)]) -> Vec<&'static str> {
        table.iter().map(|(name, _)| *name).collect()
    }
    [
        ("binary", names(BinaryOp::NAMES)),
        ("unary", names(UnaryOp::NAMES)),
        ("adjust", names(Adjustment::NAMES)),
        ("random_adjust", names(Adjustment::NAMES)),
        ("strings", names(string_ops::STRING_MAPS)),
    ]
}

/// The names of every op a traced graph may hold, and of the operations an op's attribute
/// names (as `op:name`), for the check that Python's tracing emits none the engine lacks and
/// the engine has none that Python never emits.
#[pyfunction]
pub fn graph_op_names() -> Vec<String> {
    let ops = FAMILIES
        .iter()
        .flat_map(|(names, _)| names.iter().map(|name| name.to_string()));
    let sub_ops = sub_ops()
        .into_iter()
        .flat_map(|(op, names)| names.into_iter().map(move |name| format!("{op}:{name}")));
    ops.chain(sub_ops).collect()
}

#[pymethods]
impl NativeGraph {
    #[new]
    fn new(
        py: Python<'_>,
        inputs: usize,
        nodes: Vec<(String, Vec<usize>, Py<PyAny>)>,
        outputs: Vec<usize>,
    ) -> PyResult<Self> {
        let nodes = nodes
            .iter()
            .map(|(op, args, attr)| node_from_py(py, op, args.clone(), attr.bind(py)))
            .collect::<Result<Vec<_>>>()
            .py_err(py)?;
        let graph = Graph::new(inputs, nodes, outputs).py_err(py)?;
        Ok(NativeGraph {
            graph: Arc::new(graph),
        })
    }

    /// Runs the graph on one element's components (for eager calls and tests); `index`
    /// positions it for random operations.
    #[pyo3(signature = (components, index=0))]
    fn __call__<'py>(
        &self,
        py: Python<'py>,
        components: &Bound<'py, pyo3::types::PyList>,
        index: u64,
    ) -> PyResult<Bound<'py, pyo3::types::PyList>> {
        use crate::engine::{ElementFn, Position};
        let element = super::convert::element_from_py(components.as_any()).py_err(py)?;
        let at = Position { pass: 0, index };
        // A kernel that panics on some input fails this call, as it would fail a pipeline
        // stage, instead of raising pyo3's PanicException (a BaseException).
        let run = || {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                self.graph.call_at(element, at)
            }))
            .unwrap_or_else(|_| Err(Error::Internal("a kernel panicked".into())))
        };
        let out = py.detach(run).py_err(py)?;
        super::convert::element_to_py(py, out, super::convert::Form::Tensor)
    }
}
