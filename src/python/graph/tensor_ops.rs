//! Traced ops on tensors' values and shapes: constants, casts, arithmetic, reshaping,
//! indexing, reductions to an index.

use pyo3::prelude::*;

use crate::engine::{DType, Error, Result};
use crate::kernels::arithmetic::BinaryOp;
use crate::kernels::graph::GraphOp;
use crate::kernels::rearrange::PadMode;
use crate::kernels::reduce::ReduceOp;
use crate::kernels::slice::Index;
use crate::kernels::unary::UnaryOp;
use crate::python::convert::tensor_from_py;

use super::NativeGraph;

/// A dtype attribute given by name.
fn dtype(attr: &Bound<'_, PyAny>, wrong: impl Fn(PyErr) -> Error) -> Result<DType> {
    DType::from_name(&attr.extract::<String>().map_err(wrong)?)
}

/// map_rows's attribute: the body's graph, and each output's dtype and row shape (None when
/// not known).
type MapRowsAttr<'py> = (PyRef<'py, NativeGraph>, Vec<(String, Option<Vec<usize>>)>);

op_family!(|py, inputs, attr, wrong| {
    "map_rows" => {
        let (body, outputs): MapRowsAttr = attr.extract().map_err(wrong)?;
        GraphOp::MapRows {
            body: body.graph.clone(),
            empty: outputs
                .into_iter()
                .map(|(d, shape)| Ok((DType::from_name(&d)?, shape)))
                .collect::<Result<_>>()?,
        }
    },
    "const" => GraphOp::Const(tensor_from_py(attr)?),
    "cast" => GraphOp::Cast(dtype(attr, wrong)?),
    "binary" => GraphOp::Binary(BinaryOp::parse(&attr.extract::<String>().map_err(wrong)?)?),
    "unary" => GraphOp::Unary(UnaryOp::parse(&attr.extract::<String>().map_err(wrong)?)?),
    "reshape" => GraphOp::Reshape(attr.extract().map_err(wrong)?),
    "concat" => GraphOp::Concat(attr.extract().map_err(wrong)?),
    "stack" => GraphOp::Stack(attr.extract().map_err(wrong)?),
    "transpose" => GraphOp::Transpose(attr.extract().map_err(wrong)?),
    "shape" => GraphOp::Shape(dtype(attr, wrong)?),
    "fill" => GraphOp::Fill,
    "one_hot" => {
        let (depth, axis): (usize, i64) = attr.extract().map_err(wrong)?;
        GraphOp::OneHot { depth, axis }
    },
    "strided_slice" => GraphOp::StridedSlice(indices_from_py(attr)?),
    "reduce" => {
        let (name, axes, keepdims): (String, Option<Vec<i64>>, bool) =
            attr.extract().map_err(wrong)?;
        GraphOp::Reduce { op: ReduceOp::parse(&name)?, axes, keepdims }
    },
    "cumulative" => {
        let (product, axis, exclusive, reverse): (bool, i64, bool, bool) =
            attr.extract().map_err(wrong)?;
        GraphOp::Cumulative { product, axis, exclusive, reverse }
    },
    "dynamic_slice" => GraphOp::DynamicSlice,
    "gather" => {
        let (axis, batch_dims) = attr.extract().map_err(wrong)?;
        GraphOp::Gather { axis, batch_dims }
    },
    "reverse" => GraphOp::Reverse(attr.extract().map_err(wrong)?),
    "roll" => {
        let (shifts, axes): (Vec<i64>, Vec<i64>) = attr.extract().map_err(wrong)?;
        GraphOp::Roll { shifts, axes }
    },
    "tile" => GraphOp::Tile,
    "ensure_shape" => GraphOp::EnsureShape(attr.extract().map_err(wrong)?),
    "broadcast_to" => GraphOp::BroadcastTo,
    "pad_tensor" => GraphOp::PadTensor(PadMode::parse(&attr.extract::<String>().map_err(wrong)?)?),
    "squeeze" => GraphOp::Squeeze(attr.extract().map_err(wrong)?),
    "expand_dims" => GraphOp::ExpandDims(attr.extract().map_err(wrong)?),
    "select" => GraphOp::Select,
    "where_true" => GraphOp::WhereTrue,
    "boolean_mask" => GraphOp::BooleanMask(attr.extract().map_err(wrong)?),
    "sequence_mask" => GraphOp::SequenceMask { given: attr.extract().map_err(wrong)? },
    "range" => GraphOp::Range,
    "sort" => {
        let (axis, descending, indices): (i64, bool, bool) = attr.extract().map_err(wrong)?;
        GraphOp::Sort { axis, descending, indices }
    },
    "unique" => GraphOp::Unique,
    "matmul" => {
        let (transpose_a, transpose_b): (bool, bool) = attr.extract().map_err(wrong)?;
        GraphOp::MatMul { transpose_a, transpose_b }
    },
    "arg_extreme" => {
        let (axis, largest, output): (i64, bool, String) = attr.extract().map_err(wrong)?;
        GraphOp::ArgExtreme {
            axis,
            largest,
            output: DType::from_name(&output)?,
        }
    },
});

/// Indices as `("at", i)`, `("range", start, stop, step)` (None for a missing bound),
/// `("new_axis",)` or `("ellipsis",)`.
fn indices_from_py(attr: &Bound<'_, PyAny>) -> Result<Vec<Index>> {
    let wrong = |e: PyErr| Error::InvalidArgument(format!("graph node strided_slice: {e}"));
    let items: Vec<Bound<'_, PyAny>> = attr.extract().map_err(wrong)?;
    items
        .iter()
        .map(|item| {
            let kind: String = item.get_item(0).and_then(|k| k.extract()).map_err(wrong)?;
            Ok(match kind.as_str() {
                "at" => Index::At(item.get_item(1).and_then(|v| v.extract()).map_err(wrong)?),
                "range" => {
                    let (_, start, stop, step): (String, Option<i64>, Option<i64>, i64) =
                        item.extract().map_err(wrong)?;
                    Index::Range { start, stop, step }
                }
                "new_axis" => Index::NewAxis,
                "ellipsis" => Index::Ellipsis,
                other => return Err(Error::InvalidArgument(format!("unknown index {other:?}"))),
            })
        })
        .collect()
}
