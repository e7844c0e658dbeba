//! A traced map function: a list of kernel calls over the element's components, run natively
//! on worker threads. Values are numbered: the element's components first, then each node's
//! outputs in order.

use std::sync::Arc;

use crate::engine::random::{mix, RandomStream};
use crate::engine::{DType, Element, ElementFn, Error, Position, Result, Tensor};
use crate::formats::example::{parse_example_tensor, FeatureKind, FeatureSpec, Parsed};
use crate::formats::tensor_proto::{parse_tensor, serialize_tensor};

use super::arithmetic::{binary, binary_into, BinaryOp};
use super::cast::cast;
use super::color::{rgb_to_grayscale, Adjustment};
use super::crop_box;
use super::crop_resize::crop_and_resize;
use super::csv::{decode_csv, CsvFormat};
use super::decode;
use super::encode;
use super::image;
use super::one_hot::one_hot;
use super::random::{random_tensor, Distribution};
use super::re2::{self, Pattern, Rewrite};
use super::rearrange::{self, PadMode};
use super::reduce::{arg_extreme, cumulative, reduce, ReduceOp};
use super::resize::{resize, resize_v1, Grid, ResizeMethod};
use super::shape::{concat, fill, reshape, shape_of, stack, transpose};
use super::slice::{strided_slice, Index};
use super::string_reduce;
use super::strings::{
    decode_raw, join, read_file, split, to_hash_bucket_fast, to_number, write_file, StringMap,
};
use super::unary::{unary, UnaryOp};

pub enum GraphOp {
    Const(Tensor),
    Cast(DType),
    Binary(BinaryOp),
    Unary(UnaryOp),
    /// tf.io.parse_example (`batched`) or parse_single_example over a string input. Outputs,
    /// per spec entry: dense 1, sparse 3 (indices, values, dense_shape), ragged 2 (values,
    /// row splits) when batched and 1 otherwise.
    ParseExample {
        specs: Vec<FeatureSpec>,
        batched: bool,
    },
    Reshape(Vec<i64>),
    Concat(i64),
    Stack(i64),
    /// Inputs: indices, on value, off value.
    OneHot {
        depth: usize,
        axis: i64,
    },
    ToNumber(DType),
    /// FarmHash Fingerprint64 of each string modulo this many buckets.
    HashBucket(u64),
    Strings(StringMap),
    /// Joins its inputs position by position with this separator.
    JoinStrings(Vec<u8>),
    /// Outputs: the pieces, and the row splits saying which string each came from.
    Split {
        sep: Option<Vec<u8>>,
        maxsplit: i64,
    },
    StridedSlice(Vec<Index>),
    /// Inputs: the records, then one default per column, then (when `located`) the file
    /// name and line to name in errors; outputs one tensor per column.
    DecodeCsv {
        format: CsvFormat,
        columns: usize,
        located: bool,
    },
    RegexFullMatch(Pattern),
    RegexReplace {
        pattern: Pattern,
        rewrite: Rewrite,
        global: bool,
    },
    /// argmax (`largest`) or argmin along `axis`, as `output` (int32 or int64).
    ArgExtreme {
        axis: i64,
        largest: bool,
        output: DType,
    },
    DecodeRaw {
        dtype: DType,
        little_endian: bool,
    },
    ReadFile,
    /// tf.io.write_file; no outputs.
    WriteFile,
    /// Decodes a scalar string as the TensorFlow op `op` does.
    DecodeImage {
        op: decode::DecodeOp,
        channels: usize,
        depth: decode::Depth,
    },
    Resize {
        height: usize,
        width: usize,
        method: ResizeMethod,
    },
    FlipLeftRight,
    PerImageStandardization,
    EncodePng(i64),
    EncodeJpeg(u8),
    /// Flips each image left to right, or top to bottom, with probability one half.
    RandomFlip {
        up_down: bool,
        seed: Seeding,
    },
    /// tf.map_fn: `body` run on each row of the inputs (taken in step), its outputs
    /// stacked; with no rows, outputs of the shapes `empty` gives (unknown ones fail).
    MapRows {
        body: Arc<Graph>,
        empty: Vec<(DType, Option<Vec<usize>>)>,
    },
    ReduceJoin {
        axes: Option<Vec<i64>>,
        keepdims: bool,
        separator: Vec<u8>,
    },
    UnicodeSplit(string_reduce::BadBytes),
    /// sample_distorted_bounding_box: (begin, size, bboxes).
    SampleCropBox {
        options: crop_box::CropBoxOptions,
        seed: Seeding,
    },
    RandomCrop {
        height: usize,
        width: usize,
        seed: Seeding,
    },
    /// A colour adjustment whose amount is drawn from [lower, upper) for each element.
    RandomAdjust {
        adjustment: Adjustment,
        range: (f32, f32),
        seed: Seeding,
    },
    /// `num` new seeds of two values from a seed of two (tf.random.split).
    SplitSeed(usize),
    RandomTensor {
        shape: Vec<usize>,
        dtype: DType,
        distribution: Distribution,
        seed: Seeding,
    },
    Adjust {
        adjustment: Adjustment,
        amount: f32,
    },
    RgbToGrayscale,
    FlipUpDown,
    Transpose(Vec<usize>),
    /// The input's dimensions as a vector of this dtype.
    Shape(DType),
    /// Inputs: the dimensions, the value.
    Fill,
    Pad {
        top: usize,
        left: usize,
        height: usize,
        width: usize,
    },
    CentralCrop(f64),
    Crop {
        top: usize,
        left: usize,
        height: usize,
        width: usize,
    },
    /// TensorFlow 1's resize_bilinear (or resize_nearest_neighbor) on a sampling grid.
    ResizeV1 {
        height: usize,
        width: usize,
        nearest: bool,
        grid: Grid,
    },
    /// [height, width, channels] of a JPEG, from its headers, as this dtype.
    ExtractJpegShape(DType),
    /// Inputs: a JPEG, a crop window `[y, x, height, width]`; the window's pixels with this
    /// many channels (0: the file's), decoded as the options say.
    DecodeAndCropJpeg {
        channels: usize,
        options: decode::JpegOptions,
    },
    /// Inputs: images, boxes, box indices.
    CropAndResize {
        height: usize,
        width: usize,
        nearest: bool,
        extrapolation: f32,
    },
    /// Checks the input's shape against these dimensions (`None`: any size).
    EnsureShape(Vec<Option<usize>>),
    /// tf.io.serialize_tensor: the TensorProto bytes of the input, as a scalar string.
    SerializeTensor,
    /// tf.io.parse_tensor: a scalar string of TensorProto bytes holding this dtype.
    ParseTensor(DType),
    /// `op` over `axes` (all when `None`).
    Reduce {
        op: ReduceOp,
        axes: Option<Vec<i64>>,
        keepdims: bool,
    },
    Cumulative {
        product: bool,
        axis: i64,
        exclusive: bool,
        reverse: bool,
    },
    /// Inputs: params, indices.
    /// tf.slice with its begin and size as inputs.
    DynamicSlice,
    Gather {
        axis: i64,
        batch_dims: i64,
    },
    Reverse(Vec<i64>),
    Roll {
        shifts: Vec<i64>,
        axes: Vec<i64>,
    },
    /// Inputs: the tensor, the multiples.
    Tile,
    /// Inputs: the tensor, the target shape.
    BroadcastTo,
    /// Inputs: the tensor, the paddings, the constant.
    PadTensor(PadMode),
    Squeeze(Vec<i64>),
    ExpandDims(i64),
    /// Inputs: condition, x, y.
    Select,
    /// The coordinates of the true values.
    WhereTrue,
    /// Inputs: the tensor, the mask.
    BooleanMask(i64),
    /// Inputs: the lengths, then the width when `given`.
    SequenceMask {
        given: bool,
    },
    /// Inputs: start, limit, delta.
    Range,
    Sort {
        axis: i64,
        descending: bool,
        indices: bool,
    },
    /// Outputs: the distinct values, the index of each input's value.
    Unique,
    MatMul {
        transpose_a: bool,
        transpose_b: bool,
    },
    /// A function outside the engine (`ff.py_function` in a traced function): called with its
    /// inputs, it returns exactly `outputs` values.
    External {
        func: Arc<dyn ElementFn>,
        outputs: usize,
    },
}

/// Where a random operation's stream comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seeding {
    /// The op's seed: each element gets its own stream, from the seed and its position, so
    /// results do not depend on which thread runs it.
    Op(u64),
    /// A seed tensor of two integers, the op's last input: the same seed gives the same
    /// result wherever it is used (the stateless_random_* ops).
    Input,
}

pub struct GraphNode {
    pub op: GraphOp,
    pub inputs: Vec<usize>,
}

pub struct Graph {
    inputs: usize,
    nodes: Vec<GraphNode>,
    outputs: Vec<usize>,
    /// For each value, the last node that reads it (`usize::MAX` for the graph's outputs,
    /// which live to the end): fixed by the graph, so found once, not per element.
    last_use: Vec<usize>,
}

impl Graph {
    /// A graph over `inputs` components; every node must read only values defined before it.
    pub fn new(inputs: usize, nodes: Vec<GraphNode>, outputs: Vec<usize>) -> Result<Graph> {
        let mut graph = Graph {
            inputs,
            nodes,
            outputs,
            last_use: Vec::new(),
        };
        graph.validate()?;
        graph.last_use = graph.last_uses();
        Ok(graph)
    }

    fn validate(&self) -> Result<()> {
        let mut defined = self.inputs;
        for (i, node) in self.nodes.iter().enumerate() {
            if let Some(bad) = node.inputs.iter().find(|&&v| v >= defined) {
                return Err(Error::InvalidArgument(format!(
                    "graph node {i} reads value {bad}, which is not defined yet"
                )));
            }
            defined += output_count(&node.op);
        }
        match self.outputs.iter().find(|&&v| v >= defined) {
            Some(bad) => Err(Error::InvalidArgument(format!(
                "graph output {bad} is undefined"
            ))),
            None => Ok(()),
        }
    }
}

fn output_count(op: &GraphOp) -> usize {
    match op {
        GraphOp::ParseExample { specs, batched } => specs
            .iter()
            .map(|s| match s.kind {
                FeatureKind::VarLen => 3,
                FeatureKind::Ragged if *batched => 2,
                _ => 1,
            })
            .sum(),
        GraphOp::External { outputs, .. } => *outputs,
        GraphOp::Split { .. } | GraphOp::Unique => 2,
        GraphOp::SampleCropBox { .. } => 3,
        GraphOp::WriteFile => 0,
        GraphOp::MapRows { empty, .. } => empty.len(),
        GraphOp::DecodeCsv { columns, .. } => *columns,
        _ => 1,
    }
}

/// "file, line N" from a file-name tensor and a line tensor.
fn place(parts: &[&Tensor]) -> String {
    let file = parts[0]
        .as_strings()
        .map(|s| String::from_utf8_lossy(s.get(0)).into_owned());
    let line = parts[1].as_slice::<i64>().map(|v| v[0]);
    match (file, line) {
        (Some(file), Some(line)) => format!("{file}, line {line}"),
        _ => "(unknown place)".into(),
    }
}

/// The random stream of an op seeded as `seed` for the element at `at`.
fn random_stream(seed: Seeding, args: &[&Tensor], at: Position) -> Result<RandomStream> {
    match seed {
        Seeding::Op(seed) => Ok(RandomStream::new(mix(mix(seed, at.pass), at.index))),
        Seeding::Input => {
            let [first, second] = seed_pair(args.last().expect("a seed input"))?;
            Ok(RandomStream::new(mix(mix(STATELESS, first), second)))
        }
    }
}

/// Keeps streams from seed tensors apart from those of op seeds with the same numbers.
const STATELESS: u64 = 0x5EED_5EED_5EED_5EED;

/// The two values of a seed tensor (int32 or int64, shape [2]).
fn seed_pair(seed: &Tensor) -> Result<[u64; 2]> {
    if seed.shape() != [2] || !matches!(seed.dtype(), DType::Int32 | DType::Int64) {
        return Err(Error::InvalidArgument(format!(
            "a seed is two int32 or int64 values (shape [2]), got {} of shape {:?}",
            seed.dtype(),
            seed.shape()
        )));
    }
    let wide = cast(seed, DType::Int64)?;
    let values = wide.as_slice::<i64>().expect("cast to int64");
    Ok([values[0] as u64, values[1] as u64])
}

/// `num` new seeds from `seed`, as a [num, 2] tensor of its dtype.
fn split_seed(seed: &Tensor, num: usize) -> Result<Tensor> {
    let [first, second] = seed_pair(seed)?;
    let mut rng = RandomStream::new(mix(mix(STATELESS ^ 1, first), second));
    let values: Vec<i64> = (0..2 * num).map(|_| rng.next_u64() as i64).collect();
    cast(&Tensor::new(vec![num, 2], values)?, seed.dtype())
}

/// Keeps the positions rows of a `map_fn` draw from apart from the elements' own.
const ROWS: u64 = 0x0A11_F0E5_0A11_F0E5;

/// `body` on each row of `args` (all of one length), each row drawing its random numbers
/// from a position of its own; the results stacked.
fn map_rows(
    body: &Graph,
    empty: &[(DType, Option<Vec<usize>>)],
    args: &[&Tensor],
    at: Position,
) -> Result<Vec<Tensor>> {
    let rows = args.first().map_or(Ok(0), |a| a.rows())?;
    for a in args {
        if a.rows()? != rows {
            return Err(Error::InvalidArgument(format!(
                "map_fn: every tensor in elems needs the same first dimension, got {rows} and {}",
                a.rows()?
            )));
        }
    }
    if rows == 0 {
        return empty
            .iter()
            .map(|(dtype, shape)| match shape {
                Some(shape) => Tensor::new(
                    [&[0][..], shape].concat(),
                    crate::engine::Buffer::with_capacity(*dtype, 0),
                ),
                None => Err(Error::InvalidArgument(
                    "map_fn over no rows: the shape of fn's result is not known".into(),
                )),
            })
            .collect();
    }
    let mut stacked: Vec<Vec<Tensor>> =
        (0..empty.len()).map(|_| Vec::with_capacity(rows)).collect();
    for r in 0..rows {
        let row = args.iter().map(|a| a.row(r)).collect::<Result<Vec<_>>>()?;
        let position = Position {
            pass: mix(mix(ROWS, at.pass), at.index),
            index: r as u64,
        };
        for (results, value) in stacked.iter_mut().zip(body.call_at(row, position)?) {
            results.push(value);
        }
    }
    stacked
        .iter()
        .map(|parts| {
            Tensor::stack(parts).map_err(|e| {
                Error::InvalidArgument(format!("map_fn: fn's results cannot be stacked: {e}"))
            })
        })
        .collect()
}

fn run(op: &GraphOp, args: &[&Tensor], at: Position) -> Result<Vec<Tensor>> {
    Ok(match op {
        GraphOp::Const(t) => vec![t.clone()],
        GraphOp::Cast(to) => vec![cast(args[0], *to)?],
        GraphOp::Binary(op) => vec![binary(*op, args[0], args[1])?],
        GraphOp::Unary(op) => vec![unary(*op, args[0])?],
        GraphOp::ResizeV1 {
            height,
            width,
            nearest,
            grid,
        } => vec![resize_v1(args[0], *height, *width, *nearest, *grid)?],
        GraphOp::ExtractJpegShape(dtype) => {
            let data = jpeg_contents(args[0], "extract_jpeg_shape")?;
            let dims: Vec<i64> = decode::jpeg_shape(data)?
                .iter()
                .map(|&d| d as i64)
                .collect();
            vec![cast(&Tensor::new(vec![3], dims)?, *dtype)?]
        }
        GraphOp::DecodeAndCropJpeg { channels, options } => {
            let data = jpeg_contents(args[0], "decode_and_crop_jpeg")?;
            let window = cast(args[1], DType::Int64)?;
            let window = window.as_slice::<i64>().expect("cast to int64");
            vec![decode::decode_and_crop_jpeg(
                data, window, *channels, options,
            )?]
        }
        GraphOp::CropAndResize {
            height,
            width,
            nearest,
            extrapolation,
        } => vec![crop_and_resize(
            args[0],
            args[1],
            args[2],
            (*height, *width),
            *nearest,
            *extrapolation,
        )?],
        GraphOp::EnsureShape(dims) => vec![rearrange::ensure_shape(args[0], dims)?],
        GraphOp::SerializeTensor => vec![Tensor::scalar_bytes(&serialize_tensor(args[0]))],
        GraphOp::ParseTensor(dtype) => {
            let serialized = args[0]
                .as_strings()
                .filter(|s| args[0].rank() == 0 && s.len() == 1)
                .ok_or_else(|| {
                    Error::InvalidArgument(format!(
                        "parse_tensor: serialized must be a scalar string, got {} of shape {:?}",
                        args[0].dtype(),
                        args[0].shape()
                    ))
                })?;
            vec![parse_tensor(serialized.get(0), *dtype)?]
        }
        GraphOp::Reduce { op, axes, keepdims } => {
            vec![reduce(args[0], axes.as_deref(), *keepdims, *op)?]
        }
        GraphOp::Cumulative {
            product,
            axis,
            exclusive,
            reverse,
        } => vec![cumulative(args[0], *axis, *product, *exclusive, *reverse)?],
        GraphOp::DynamicSlice => vec![rearrange::dynamic_slice(args[0], args[1], args[2])?],
        GraphOp::Gather { axis, batch_dims } => {
            vec![rearrange::gather(args[0], args[1], *axis, *batch_dims)?]
        }
        GraphOp::Reverse(axes) => vec![rearrange::reverse(args[0], axes)?],
        GraphOp::Roll { shifts, axes } => vec![rearrange::roll(args[0], shifts, axes)?],
        GraphOp::Tile => vec![rearrange::tile(args[0], args[1])?],
        GraphOp::BroadcastTo => vec![rearrange::broadcast_to(args[0], args[1])?],
        GraphOp::PadTensor(mode) => vec![rearrange::pad(args[0], args[1], *mode, args[2])?],
        GraphOp::Squeeze(axes) => vec![rearrange::squeeze(args[0], axes)?],
        GraphOp::ExpandDims(axis) => vec![rearrange::expand_dims(args[0], *axis)?],
        GraphOp::Select => vec![rearrange::select(args[0], args[1], args[2])?],
        GraphOp::WhereTrue => vec![rearrange::where_true(args[0])?],
        GraphOp::BooleanMask(axis) => vec![rearrange::boolean_mask(args[0], args[1], *axis)?],
        GraphOp::SequenceMask { given } => {
            vec![rearrange::sequence_mask(args[0], given.then(|| args[1]))?]
        }
        GraphOp::Range => vec![rearrange::range(args[0], args[1], args[2])?],
        GraphOp::Sort {
            axis,
            descending,
            indices,
        } => vec![rearrange::sort(args[0], *axis, *descending, *indices)?],
        GraphOp::Unique => {
            let (values, index) = rearrange::unique(args[0])?;
            vec![values, index]
        }
        GraphOp::MatMul {
            transpose_a,
            transpose_b,
        } => vec![rearrange::matmul(
            args[0],
            args[1],
            *transpose_a,
            *transpose_b,
        )?],
        GraphOp::Reshape(shape) => vec![reshape(args[0], shape)?],
        GraphOp::Concat(axis) => vec![concat(args, *axis)?],
        GraphOp::Stack(axis) => vec![stack(args, *axis)?],
        GraphOp::OneHot { depth, axis } => vec![one_hot(args[0], *depth, args[1], args[2], *axis)?],
        GraphOp::ToNumber(dtype) => vec![to_number(args[0], *dtype)?],
        GraphOp::HashBucket(buckets) => vec![to_hash_bucket_fast(args[0], *buckets)?],
        GraphOp::Strings(map) => vec![map.apply(args[0])?],
        GraphOp::JoinStrings(separator) => vec![join(args, separator)?],
        GraphOp::Split { sep, maxsplit } => {
            let (pieces, row_splits) = split(args[0], sep.as_deref(), *maxsplit)?;
            vec![pieces, row_splits]
        }
        GraphOp::StridedSlice(indices) => vec![strided_slice(args[0], indices)?],
        GraphOp::DecodeCsv {
            format,
            columns,
            located,
        } => {
            let defaults = &args[1..1 + columns];
            decode_csv(args[0], defaults, format).map_err(|e| match (located, e) {
                (true, Error::InvalidArgument(message)) => {
                    Error::InvalidArgument(format!("{}: {message}", place(&args[1 + columns..])))
                }
                (_, e) => e,
            })?
        }
        GraphOp::RegexFullMatch(pattern) => vec![re2::full_match(args[0], pattern)?],
        GraphOp::RegexReplace {
            pattern,
            rewrite,
            global,
        } => vec![re2::replace(args[0], pattern, rewrite, *global)?],
        GraphOp::ArgExtreme {
            axis,
            largest,
            output,
        } => vec![arg_extreme(args[0], *axis, *largest, *output)?],
        GraphOp::DecodeRaw {
            dtype,
            little_endian,
        } => {
            vec![decode_raw(args[0], *dtype, *little_endian)?]
        }
        GraphOp::ReadFile => vec![read_file(args[0])?],
        GraphOp::WriteFile => {
            write_file(args[0], args[1])?;
            Vec::new()
        }
        GraphOp::DecodeImage {
            op,
            channels,
            depth,
        } => {
            let data = match args[0].as_strings() {
                Some(s) if args[0].rank() == 0 => s.get(0),
                _ => {
                    return Err(Error::invalid(
                        "decoding takes one encoded image (a scalar string)",
                    ))
                }
            };
            vec![decode::decode(data, *op, *channels, *depth)?]
        }
        GraphOp::Resize {
            height,
            width,
            method,
        } => {
            vec![resize(args[0], *height, *width, *method)?]
        }
        GraphOp::FlipLeftRight => vec![image::flip_left_right(args[0])?],
        GraphOp::PerImageStandardization => vec![image::per_image_standardization(args[0])?],
        GraphOp::EncodePng(level) => vec![encode::encode_png(args[0], *level)?],
        GraphOp::EncodeJpeg(quality) => vec![encode::encode_jpeg(args[0], *quality)?],
        GraphOp::MapRows { body, empty } => map_rows(body, empty, args, at)?,
        GraphOp::ReduceJoin {
            axes,
            keepdims,
            separator,
        } => vec![string_reduce::reduce_join(
            args[0],
            axes.as_deref(),
            *keepdims,
            separator,
        )?],
        GraphOp::UnicodeSplit(bad) => vec![string_reduce::unicode_split(args[0], *bad)?],
        GraphOp::SampleCropBox { options, seed } => {
            let mut rng = random_stream(*seed, args, at)?;
            crop_box::sample_distorted_bounding_box(args[0], args[1], options, &mut rng)?
        }
        GraphOp::RandomFlip { up_down, seed } => {
            vec![image::random_flip(
                args[0],
                *up_down,
                &mut random_stream(*seed, args, at)?,
            )?]
        }
        GraphOp::RandomCrop {
            height,
            width,
            seed,
        } => {
            let mut rng = random_stream(*seed, args, at)?;
            vec![image::random_crop(args[0], *height, *width, &mut rng)?]
        }
        GraphOp::RandomAdjust {
            adjustment,
            range,
            seed,
        } => {
            let mut rng = random_stream(*seed, args, at)?;
            vec![adjustment.apply_random(args[0], *range, &mut rng)?]
        }
        GraphOp::SplitSeed(num) => vec![split_seed(args[0], *num)?],
        GraphOp::RandomTensor {
            shape,
            dtype,
            distribution,
            seed,
        } => {
            let mut rng = random_stream(*seed, args, at)?;
            vec![random_tensor(shape, *dtype, *distribution, &mut rng)?]
        }
        GraphOp::Adjust { adjustment, amount } => vec![adjustment.apply(args[0], *amount)?],
        GraphOp::RgbToGrayscale => vec![rgb_to_grayscale(args[0])?],
        GraphOp::FlipUpDown => vec![image::flip_up_down(args[0])?],
        GraphOp::Transpose(perm) => vec![transpose(args[0], perm)?],
        GraphOp::Shape(dtype) => vec![shape_of(args[0], *dtype)?],
        GraphOp::Fill => vec![fill(args[0], args[1])?],
        GraphOp::Pad {
            top,
            left,
            height,
            width,
        } => vec![image::pad(args[0], *top, *left, *height, *width)?],
        GraphOp::CentralCrop(fraction) => vec![image::central_crop(args[0], *fraction)?],
        GraphOp::Crop {
            top,
            left,
            height,
            width,
        } => {
            vec![image::crop(args[0], *top, *left, *height, *width)?]
        }
        GraphOp::External { func, outputs } => {
            let out = func.call(args.iter().map(|&t| t.clone()).collect())?;
            if out.len() != *outputs {
                return Err(Error::InvalidArgument(format!(
                    "a py_function returned {} values where {outputs} were declared",
                    out.len()
                )));
            }
            out
        }
        GraphOp::ParseExample { specs, batched } => {
            let serialized = args[0];
            if (serialized.rank() == 1) != *batched {
                return Err(Error::InvalidArgument(format!(
                    "parse_example was traced for {} but got serialized records of shape {:?}",
                    if *batched { "a batch" } else { "one record" },
                    serialized.shape()
                )));
            }
            let mut out = Vec::new();
            for parsed in parse_example_tensor(specs, serialized)? {
                match parsed {
                    Parsed::Dense(t) => out.push(t),
                    Parsed::Sparse {
                        indices,
                        values,
                        dense_shape,
                    } => out.extend([indices, values, dense_shape]),
                    Parsed::Ragged {
                        values,
                        nested_row_splits,
                    } => {
                        out.push(values);
                        out.extend(nested_row_splits);
                    }
                }
            }
            out
        }
    })
}

impl ElementFn for Graph {
    fn call(&self, input: Element) -> Result<Element> {
        self.call_at(input, Position::default())
    }

    fn call_at(&self, input: Element, at: Position) -> Result<Element> {
        if input.len() != self.inputs {
            return Err(Error::InvalidArgument(format!(
                "the traced function takes {} components, got {}",
                self.inputs,
                input.len()
            )));
        }
        let last_use = &self.last_use;
        let mut values: Vec<Option<Tensor>> = input.into_iter().map(Some).collect();
        for (step, node) in self.nodes.iter().enumerate() {
            let outputs = match (&node.op, node.inputs.as_slice()) {
                // Arithmetic on a value nothing reads afterwards reuses its buffer.
                (GraphOp::Binary(op), &[a, b]) if a != b && last_use[a] == step => {
                    let taken = values[a].take().expect("read before its last use");
                    vec![binary_into(*op, taken, value(&values, b))?]
                }
                _ => {
                    let args: Vec<&Tensor> =
                        node.inputs.iter().map(|&i| value(&values, i)).collect();
                    run(&node.op, &args, at)?
                }
            };
            // Values nothing reads any more are freed now, not when the call ends.
            for &i in &node.inputs {
                if last_use[i] == step {
                    values[i] = None;
                }
            }
            values.extend(outputs.into_iter().map(Some));
        }
        Ok(self
            .outputs
            .iter()
            .map(|&i| value(&values, i).clone())
            .collect())
    }
}

impl Graph {
    fn last_uses(&self) -> Vec<usize> {
        let count = self.inputs
            + self
                .nodes
                .iter()
                .map(|n| output_count(&n.op))
                .sum::<usize>();
        let mut last = vec![0usize; count];
        for (step, node) in self.nodes.iter().enumerate() {
            for &i in &node.inputs {
                last[i] = step;
            }
        }
        for &i in &self.outputs {
            last[i] = usize::MAX;
        }
        last
    }
}

fn value(values: &[Option<Tensor>], i: usize) -> &Tensor {
    values[i]
        .as_ref()
        .expect("a value is read only up to its last use")
}

/// The bytes of `op`'s JPEG input, which must be a scalar string.
fn jpeg_contents<'a>(contents: &'a Tensor, op: &str) -> Result<&'a [u8]> {
    contents
        .as_strings()
        .filter(|s| contents.rank() == 0 && s.len() == 1)
        .map(|s| s.get(0))
        .ok_or_else(|| Error::InvalidArgument(format!("{op}: contents must be a scalar string")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_a_small_graph() {
        // (x + 1) * 2 as float32, and x < 3
        let graph = Graph::new(
            1,
            vec![
                GraphNode {
                    op: GraphOp::Const(Tensor::scalar(1i64)),
                    inputs: vec![],
                },
                GraphNode {
                    op: GraphOp::Binary(BinaryOp::Add),
                    inputs: vec![0, 1],
                },
                GraphNode {
                    op: GraphOp::Cast(DType::Float32),
                    inputs: vec![2],
                },
                GraphNode {
                    op: GraphOp::Const(Tensor::scalar(2.0f32)),
                    inputs: vec![],
                },
                GraphNode {
                    op: GraphOp::Binary(BinaryOp::Mul),
                    inputs: vec![3, 4],
                },
                GraphNode {
                    op: GraphOp::Const(Tensor::scalar(3i64)),
                    inputs: vec![],
                },
                GraphNode {
                    op: GraphOp::Binary(BinaryOp::Less),
                    inputs: vec![0, 6],
                },
            ],
            vec![5, 7],
        )
        .unwrap();
        let x = Tensor::from_vec(vec![3], vec![1i64, 2, 3]).unwrap();
        let out = graph.call(vec![x]).unwrap();
        assert_eq!(out[0].as_slice::<f32>().unwrap(), &[4.0, 6.0, 8.0]);
        assert_eq!(out[1].as_slice::<bool>().unwrap(), &[true, true, false]);
    }

    #[test]
    fn values_read_again_are_not_overwritten() {
        // y = x / 2; (y + x, y * y): x and y are read after the arithmetic that could reuse them.
        let node = |op, inputs| GraphNode { op, inputs };
        let graph = Graph::new(
            1,
            vec![
                node(GraphOp::Const(Tensor::scalar(2.0f32)), vec![]),
                node(GraphOp::Binary(BinaryOp::Div), vec![0, 1]),
                node(GraphOp::Binary(BinaryOp::Add), vec![2, 0]),
                node(GraphOp::Binary(BinaryOp::Mul), vec![2, 2]),
                node(GraphOp::Binary(BinaryOp::Sub), vec![4, 2]),
            ],
            vec![3, 5, 2],
        )
        .unwrap();
        let x = Tensor::from_vec(vec![2], vec![4.0f32, 8.0]).unwrap();
        let out = graph.call(vec![x.clone()]).unwrap();
        assert_eq!(out[0].as_slice::<f32>().unwrap(), &[6.0, 12.0]);
        assert_eq!(out[1].as_slice::<f32>().unwrap(), &[2.0, 12.0]);
        assert_eq!(out[2].as_slice::<f32>().unwrap(), &[2.0, 4.0]);
        assert_eq!(x.as_slice::<f32>().unwrap(), &[4.0, 8.0]);
    }

    #[test]
    fn rejects_forward_references() {
        let graph = Graph::new(
            1,
            vec![GraphNode {
                op: GraphOp::Cast(DType::Float32),
                inputs: vec![1],
            }],
            vec![1],
        );
        assert!(graph.is_err());
    }
}
