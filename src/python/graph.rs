//! `NativeGraph`: a traced map function handed over from Python as a list of nodes, each
//! `(op, input value indices, attribute)`: `("const", [], value)`, `("cast", [x], dtype)`,
//! `("binary", [a, b], op name)`, `("parse_example", [s], (spec tuples, batched))`,
//! `("py_function", inputs, (callable, output count))`.

use std::sync::Arc;

use pyo3::prelude::*;

use super::callbacks::PyElementFn;
use super::convert::tensor_from_py;
use super::errors::IntoPyResult;
use super::example::{specs_from_py, SpecTuple};
use crate::engine::{DType, DatasetFn, Error, Result};
use crate::formats::compression::Compression;
use crate::kernels::arithmetic::BinaryOp;
use crate::kernels::color::Adjustment;
use crate::kernels::csv::CsvFormat;
use crate::kernels::decode::Depth;
use crate::kernels::graph::{Graph, GraphNode, GraphOp, Seeding};
use crate::kernels::random::Distribution;
use crate::kernels::re2::{Pattern, Rewrite};
use crate::kernels::resize::ResizeMethod;
use crate::kernels::slice::Index;
use crate::kernels::strings::StringMap;
use crate::kernels::unary::UnaryOp;
use crate::ops::file_records::{record_file_fn, FileOptions};
use crate::ops::source_fn::{GraphSourceFn, TensorSlicesFn, TensorsFn};

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
        buffer_size: Option<usize>,
    ) -> PyResult<Self> {
        let source: Arc<dyn DatasetFn> = match kind {
            "tensors" => Arc::new(TensorsFn),
            "tensor_slices" => Arc::new(TensorSlicesFn),
            "tfrecord" | "text_line" => {
                let options = FileOptions {
                    compression: Compression::parse(compression.unwrap_or("")).py_err(py)?,
                    buffer_size,
                    ..FileOptions::default()
                };
                record_file_fn(kind, options).py_err(py)?
            }
            other => return Err(Error::invalid(format!("no traced source {other:?}"))).py_err(py),
        };
        Ok(NativeSourceGraph {
            func: Arc::new(GraphSourceFn::new(graph.graph.clone(), source)),
        })
    }
}

/// decode_csv's attribute: delimiter, quoting, na_value, select_cols, whether an empty
/// record is one field, whether a file name and line follow the defaults.
type CsvAttr = (Vec<u8>, bool, Vec<u8>, Option<Vec<usize>>, bool, bool);

fn node_from_py(
    py: Python<'_>,
    op: &str,
    inputs: Vec<usize>,
    attr: &Bound<'_, PyAny>,
) -> Result<GraphNode> {
    let wrong = |e: PyErr| Error::InvalidArgument(format!("graph node {op}: {e}"));
    let op = match op {
        "const" => GraphOp::Const(tensor_from_py(attr)?),
        "cast" => GraphOp::Cast(DType::from_name(&attr.extract::<String>().map_err(wrong)?)?),
        "binary" => GraphOp::Binary(BinaryOp::parse(&attr.extract::<String>().map_err(wrong)?)?),
        "unary" => GraphOp::Unary(UnaryOp::parse(&attr.extract::<String>().map_err(wrong)?)?),
        "reshape" => GraphOp::Reshape(attr.extract().map_err(wrong)?),
        "concat" => GraphOp::Concat(attr.extract().map_err(wrong)?),
        "stack" => GraphOp::Stack(attr.extract().map_err(wrong)?),
        "one_hot" => {
            let (depth, axis): (usize, i64) = attr.extract().map_err(wrong)?;
            GraphOp::OneHot { depth, axis }
        }
        "to_number" => {
            GraphOp::ToNumber(DType::from_name(&attr.extract::<String>().map_err(wrong)?)?)
        }
        "hash_bucket" => GraphOp::HashBucket(attr.extract().map_err(wrong)?),
        "decode_raw" => {
            let (dtype, little_endian): (String, bool) = attr.extract().map_err(wrong)?;
            GraphOp::DecodeRaw {
                dtype: DType::from_name(&dtype)?,
                little_endian,
            }
        }
        "read_file" => GraphOp::ReadFile,
        "strings" => {
            let (name, a, b, flag): (String, i64, i64, bool) = attr.extract().map_err(wrong)?;
            GraphOp::Strings(match name.as_str() {
                "lower" => StringMap::Lower { utf8: flag },
                "upper" => StringMap::Upper { utf8: flag },
                "strip" => StringMap::Strip,
                "length" => StringMap::Length { utf8: flag },
                "substr" => StringMap::Substr {
                    pos: a,
                    len: b,
                    utf8: flag,
                },
                "as_string" => StringMap::AsString { precision: a },
                other => {
                    return Err(Error::InvalidArgument(format!(
                        "no string operation {other:?}"
                    )))
                }
            })
        }
        "join_strings" => GraphOp::JoinStrings(attr.extract().map_err(wrong)?),
        "split" => {
            let (sep, maxsplit): (Option<Vec<u8>>, i64) = attr.extract().map_err(wrong)?;
            GraphOp::Split { sep, maxsplit }
        }
        "strided_slice" => GraphOp::StridedSlice(indices_from_py(attr)?),
        "decode_csv" => {
            let (delimiter, quoted, na_value, select_cols, empty_record_is_field, located): CsvAttr =
                attr.extract().map_err(wrong)?;
            let &[delimiter] = delimiter.as_slice() else {
                return Err(Error::invalid("field_delim should be only 1 char"));
            };
            let extra = if located { 3 } else { 1 };
            GraphOp::DecodeCsv {
                format: CsvFormat {
                    delimiter,
                    quoted,
                    na_value,
                    select_cols,
                    empty_record_is_field,
                },
                columns: inputs.len().saturating_sub(extra),
                located,
            }
        }
        "regex_full_match" => GraphOp::RegexFullMatch(Pattern::new(
            &attr.extract::<String>().map_err(wrong)?,
            true,
        )?),
        "regex_replace" => {
            let (pattern, rewrite, global): (String, Vec<u8>, bool) =
                attr.extract().map_err(wrong)?;
            let pattern = Pattern::new(&pattern, false)?;
            GraphOp::RegexReplace {
                rewrite: Rewrite::new(&rewrite, &pattern)?,
                pattern,
                global,
            }
        }
        "arg_extreme" => {
            let (axis, largest, output): (i64, bool, String) = attr.extract().map_err(wrong)?;
            GraphOp::ArgExtreme {
                axis,
                largest,
                output: DType::from_name(&output)?,
            }
        }
        "decode_image" => {
            let (format, channels, dtype): (String, usize, String) =
                attr.extract().map_err(wrong)?;
            GraphOp::DecodeImage {
                format,
                channels,
                depth: Depth::parse(&dtype)?,
            }
        }
        "resize" => {
            let (height, width, method, antialias): (usize, usize, String, bool) =
                attr.extract().map_err(wrong)?;
            GraphOp::Resize {
                height,
                width,
                method: ResizeMethod::parse(&method, antialias)?,
            }
        }
        "flip_left_right" => GraphOp::FlipLeftRight,
        "per_image_standardization" => GraphOp::PerImageStandardization,
        "encode_png" => GraphOp::EncodePng(attr.extract().map_err(wrong)?),
        "encode_jpeg" => GraphOp::EncodeJpeg(attr.extract().map_err(wrong)?),
        "random_flip" => {
            let (up_down, seed): (bool, Option<u64>) = attr.extract().map_err(wrong)?;
            GraphOp::RandomFlip {
                up_down,
                seed: seeding(seed),
            }
        }
        "random_crop" => {
            let (height, width, seed): (usize, usize, Option<u64>) =
                attr.extract().map_err(wrong)?;
            GraphOp::RandomCrop {
                height,
                width,
                seed: seeding(seed),
            }
        }
        "random_adjust" => {
            let (kind, lower, upper, seed): (String, f32, f32, Option<u64>) =
                attr.extract().map_err(wrong)?;
            GraphOp::RandomAdjust {
                adjustment: Adjustment::parse(&kind)?,
                range: (lower, upper),
                seed: seeding(seed),
            }
        }
        "split_seed" => GraphOp::SplitSeed(attr.extract().map_err(wrong)?),
        "random_tensor" => {
            let (shape, dtype, kind, a, b, seed): (
                Vec<usize>,
                String,
                String,
                Bound<'_, PyAny>,
                Bound<'_, PyAny>,
                Option<u64>,
            ) = attr.extract().map_err(wrong)?;
            let float = |v: &Bound<'_, PyAny>| v.extract::<f64>().map_err(wrong);
            let int = |v: &Bound<'_, PyAny>| v.extract::<i64>().map_err(wrong);
            let distribution = match kind.as_str() {
                "uniform" => Distribution::Uniform {
                    low: float(&a)?,
                    high: float(&b)?,
                },
                "uniform_int" => Distribution::UniformInt {
                    low: int(&a)?,
                    high: int(&b)?,
                },
                "normal" => Distribution::Normal {
                    mean: float(&a)?,
                    stddev: float(&b)?,
                },
                other => {
                    return Err(Error::InvalidArgument(format!(
                        "no random distribution {other:?}"
                    )))
                }
            };
            GraphOp::RandomTensor {
                shape,
                dtype: DType::from_name(&dtype)?,
                distribution,
                seed: seeding(seed),
            }
        }
        "adjust" => {
            let (kind, amount): (String, f32) = attr.extract().map_err(wrong)?;
            GraphOp::Adjust {
                adjustment: Adjustment::parse(&kind)?,
                amount,
            }
        }
        "rgb_to_grayscale" => GraphOp::RgbToGrayscale,
        "flip_up_down" => GraphOp::FlipUpDown,
        "transpose" => GraphOp::Transpose(attr.extract().map_err(wrong)?),
        "shape" => GraphOp::Shape(DType::from_name(&attr.extract::<String>().map_err(wrong)?)?),
        "fill" => GraphOp::Fill,
        "pad" => {
            let (top, left, height, width) = attr.extract().map_err(wrong)?;
            GraphOp::Pad {
                top,
                left,
                height,
                width,
            }
        }
        "central_crop" => GraphOp::CentralCrop(attr.extract().map_err(wrong)?),
        "crop" => {
            let (top, left, height, width) = attr.extract().map_err(wrong)?;
            GraphOp::Crop {
                top,
                left,
                height,
                width,
            }
        }
        "py_function" => {
            let (func, outputs): (Py<PyAny>, usize) = attr.extract().map_err(wrong)?;
            GraphOp::External {
                func: Arc::new(PyElementFn::new(func)),
                outputs,
            }
        }
        "parse_example" => {
            let (specs, batched): (Vec<SpecTuple>, bool) = attr.extract().map_err(wrong)?;
            GraphOp::ParseExample {
                specs: specs_from_py(py, &specs)?,
                batched,
            }
        }
        other => {
            return Err(Error::InvalidArgument(format!(
                "unknown graph operation {other:?}"
            )))
        }
    };
    Ok(GraphNode { op, inputs })
}

/// A random op's seed: the op's own, or (None) a seed tensor given as its last input.
fn seeding(seed: Option<u64>) -> Seeding {
    seed.map_or(Seeding::Input, Seeding::Op)
}

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
        super::convert::element_to_py(py, out)
    }
}
