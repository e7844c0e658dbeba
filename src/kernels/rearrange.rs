//! Kernels that move or select values without computing new ones: `tf.gather`,
//! `tf.reverse`, `tf.roll`, `tf.tile`, `tf.broadcast_to`, `tf.pad`, `tf.squeeze`,
//! `tf.expand_dims`, `tf.where`, `tf.boolean_mask`, `tf.sort` / `tf.argsort`, `tf.unique`,
//! and the generators `tf.range` and `tf.sequence_mask`. Most are one call of the strided
//! `gather` with the positions each axis visits.

use super::cast::cast;
use super::scalar::Scalar;
use super::shape::normalize_axis;
use super::slice::{gather as gather_axes, strides, Axis};
use crate::engine::{Buffer, DType, Error, NativeType, Result, Tensor};

/// The integers of an index-like tensor (any integer dtype).
fn integers(t: &Tensor, what: &str) -> Result<Vec<i64>> {
    if !t.dtype().is_integer() {
        return Err(Error::InvalidArgument(format!(
            "{what} must be integers, got {} values",
            t.dtype()
        )));
    }
    let wide = cast(t, DType::Int64)?;
    Ok(wide.as_slice::<i64>().expect("cast to int64").to_vec())
}

/// Every axis whole, except those `chosen` gives positions for.
fn axes_with(shape: &[usize], chosen: impl Fn(usize) -> Option<Vec<usize>>) -> Vec<Axis> {
    let strides = strides(shape);
    (0..shape.len())
        .map(|d| match chosen(d) {
            Some(positions) => Axis {
                positions,
                stride: strides[d],
            },
            None => Axis::whole(shape[d], strides[d]),
        })
        .collect()
}

fn rearranged(t: &Tensor, out_shape: Vec<usize>, axes: &[Axis]) -> Result<Tensor> {
    Tensor::new(out_shape, gather_axes(t.buffer(), axes)?)
}

/// `tf.gather(params, indices, axis, batch_dims)`: the slices of `params` at `indices` along
/// `axis`, each of the first `batch_dims` dimensions (shared by both) taken in step; the
/// result's shape is `params.shape[:axis] + indices.shape[batch_dims:] +
/// params.shape[axis+1:]`. An index out of range is an error naming it, as TensorFlow's CPU
/// kernel gives.
pub fn gather(params: &Tensor, indices: &Tensor, axis: i64, batch_dims: i64) -> Result<Tensor> {
    let rank = indices.rank() as i64;
    let batch = if batch_dims < 0 {
        batch_dims + rank
    } else {
        batch_dims
    };
    if !(0..=rank).contains(&batch) {
        return Err(Error::InvalidArgument(format!(
            "gather: batch_dims {batch_dims} is out of range for indices of rank {rank}"
        )));
    }
    let batch = batch as usize;
    if batch == 0 {
        return gather_along(params, indices, axis);
    }
    let axis = normalize_axis(axis, params.rank(), "gather")?;
    if axis < batch || params.shape()[..batch] != indices.shape()[..batch] {
        return Err(Error::InvalidArgument(format!(
            "gather: with batch_dims {batch}, axis ({axis}) must be at least batch_dims and the \
             first {batch} dimensions of params {:?} and indices {:?} must be equal",
            params.shape(),
            indices.shape()
        )));
    }
    // One gather per batch position, over the batch dimensions flattened into one.
    let count: usize = params.shape()[..batch].iter().product();
    let flat = |t: &Tensor| t.with_shape([&[count][..], &t.shape()[batch..]].concat());
    let (params_rows, indices_rows) = (flat(params)?, flat(indices)?);
    let parts = (0..count)
        .map(|b| {
            gather_along(
                &params_rows.row(b)?,
                &indices_rows.row(b)?,
                (axis - batch) as i64,
            )
        })
        .collect::<Result<Vec<_>>>()?;
    let shape = params.shape();
    let out_shape = [
        &shape[..axis],
        &indices.shape()[batch..],
        &shape[axis + 1..],
    ]
    .concat();
    if parts.is_empty() {
        return Tensor::new(out_shape, Buffer::with_capacity(params.dtype(), 0));
    }
    Tensor::stack(&parts)?.with_shape(out_shape)
}

/// `gather` without batch dimensions.
fn gather_along(params: &Tensor, indices: &Tensor, axis: i64) -> Result<Tensor> {
    let axis = normalize_axis(axis, params.rank(), "gather")?;
    let size = params.shape()[axis];
    let positions = integers(indices, "gather: indices")?
        .into_iter()
        .map(|i| {
            usize::try_from(i)
                .ok()
                .filter(|&i| i < size)
                .ok_or_else(|| {
                    Error::InvalidArgument(format!(
                        "gather: indices contains {i}, which is not in [0, {size})"
                    ))
                })
        })
        .collect::<Result<Vec<_>>>()?;
    let axes = axes_with(params.shape(), |d| (d == axis).then(|| positions.clone()));
    let shape = params.shape();
    let out_shape = [&shape[..axis], indices.shape(), &shape[axis + 1..]].concat();
    rearranged(params, out_shape, &axes)
}

/// `tf.slice` with bounds known only at run time: the block starting at `begin` with `size`
/// values along each dimension (-1: to the end).
pub fn dynamic_slice(t: &Tensor, begin: &Tensor, size: &Tensor) -> Result<Tensor> {
    let starts = integers(begin, "slice: begin")?;
    let sizes = integers(size, "slice: size")?;
    let shape = t.shape();
    if starts.len() != shape.len() || sizes.len() != shape.len() {
        return Err(Error::InvalidArgument(format!(
            "slice: begin {starts:?} and size {sizes:?} must each have one value per \
             dimension of the input's shape {shape:?}"
        )));
    }
    let mut bounds = Vec::with_capacity(shape.len());
    for (d, &dim) in shape.iter().enumerate() {
        let (start, len) = (starts[d], sizes[d]);
        let len = if len == -1 { dim as i64 - start } else { len };
        if start < 0 || len < 0 || start + len > dim as i64 {
            return Err(Error::InvalidArgument(format!(
                "slice: begin {starts:?} and size {sizes:?} reach outside the input's shape \
                 {shape:?} (dimension {d})"
            )));
        }
        bounds.push((start as usize, len as usize));
    }
    let plan = axes_with(shape, |d| {
        let (start, len) = bounds[d];
        Some((start..start + len).collect())
    });
    rearranged(t, bounds.iter().map(|&(_, len)| len).collect(), &plan)
}

/// `tf.reverse`: the order of `axes` reversed.
pub fn reverse(t: &Tensor, axes: &[i64]) -> Result<Tensor> {
    let rank = t.rank();
    let axes = axes
        .iter()
        .map(|&a| normalize_axis(a, rank, "reverse"))
        .collect::<Result<Vec<_>>>()?;
    let shape = t.shape();
    let plan = axes_with(shape, |d| {
        axes.contains(&d).then(|| (0..shape[d]).rev().collect())
    });
    rearranged(t, shape.to_vec(), &plan)
}

/// `tf.roll`: values shifted by `shifts[i]` along `axes[i]`, wrapping around.
pub fn roll(t: &Tensor, shifts: &[i64], axes: &[i64]) -> Result<Tensor> {
    if shifts.len() != axes.len() {
        return Err(Error::InvalidArgument(format!(
            "roll: {} shifts for {} axes",
            shifts.len(),
            axes.len()
        )));
    }
    let rank = t.rank();
    let shape = t.shape();
    let mut total = vec![0i64; rank];
    for (&shift, &axis) in shifts.iter().zip(axes) {
        total[normalize_axis(axis, rank, "roll")?] += shift;
    }
    let plan = axes_with(shape, |d| {
        let n = shape[d] as i64;
        (total[d] != 0 && n > 0).then(|| {
            (0..n)
                .map(|i| (i - total[d]).rem_euclid(n) as usize)
                .collect()
        })
    });
    rearranged(t, shape.to_vec(), &plan)
}

/// `tf.tile`: `t` repeated `multiples[d]` times along each dimension.
pub fn tile(t: &Tensor, multiples: &Tensor) -> Result<Tensor> {
    let times = integers(multiples, "tile: multiples")?;
    let shape = t.shape();
    if times.len() != shape.len() || times.iter().any(|&m| m < 0) {
        return Err(Error::InvalidArgument(format!(
            "tile: multiples {times:?} must be {} non-negative numbers, one per dimension",
            shape.len()
        )));
    }
    let plan = axes_with(shape, |d| {
        Some(
            (0..shape[d] * times[d] as usize)
                .map(|i| i % shape[d])
                .collect(),
        )
    });
    let out_shape = shape
        .iter()
        .zip(&times)
        .map(|(&s, &m)| s * m as usize)
        .collect();
    rearranged(t, out_shape, &plan)
}

/// `tf.broadcast_to`: `t` repeated along dimensions of size 1 (and new leading ones) to
/// `shape`.
pub fn broadcast_to(t: &Tensor, shape: &Tensor) -> Result<Tensor> {
    let target: Vec<usize> = integers(shape, "broadcast_to: shape")?
        .into_iter()
        .map(|d| {
            usize::try_from(d).map_err(|_| {
                Error::InvalidArgument(format!("broadcast_to: negative dimension {d}"))
            })
        })
        .collect::<Result<_>>()?;
    let have = t.shape();
    let out = super::arithmetic::broadcast_shape(have, &target)?;
    if out != target {
        return Err(Error::InvalidArgument(format!(
            "broadcast_to: shape {have:?} cannot be broadcast to {target:?}"
        )));
    }
    let pad = target.len() - have.len();
    let padded = [vec![1; pad], have.to_vec()].concat();
    let viewed = t.with_shape(padded.clone())?;
    let plan = axes_with(&padded, |d| {
        (padded[d] == 1 && target[d] != 1).then(|| vec![0; target[d]])
    });
    rearranged(&viewed, target, &plan)
}

/// How `tf.pad` fills: with a constant, or by mirroring the edge (REFLECT leaves the edge
/// value out, SYMMETRIC repeats it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PadMode {
    Constant,
    Reflect,
    Symmetric,
}

impl PadMode {
    pub fn parse(name: &str) -> Result<PadMode> {
        match name.to_ascii_uppercase().as_str() {
            "CONSTANT" => Ok(PadMode::Constant),
            "REFLECT" => Ok(PadMode::Reflect),
            "SYMMETRIC" => Ok(PadMode::Symmetric),
            other => Err(Error::InvalidArgument(format!(
                "pad: mode must be CONSTANT, REFLECT or SYMMETRIC, not {other:?}"
            ))),
        }
    }
}

/// `tf.pad`: `paddings` is `[rank, 2]` integers (before, after) per dimension; `constant`
/// a scalar of `t`'s dtype for CONSTANT.
pub fn pad(t: &Tensor, paddings: &Tensor, mode: PadMode, constant: &Tensor) -> Result<Tensor> {
    let shape = t.shape();
    let amounts = integers(paddings, "pad: paddings")?;
    if paddings.shape() != [shape.len(), 2] || amounts.iter().any(|&p| p < 0) {
        return Err(Error::InvalidArgument(format!(
            "pad: paddings must be [{}, 2] non-negative integers, got shape {:?}",
            shape.len(),
            paddings.shape()
        )));
    }
    let widths: Vec<(usize, usize)> = amounts
        .chunks(2)
        .map(|p| (p[0] as usize, p[1] as usize))
        .collect();
    let out_shape: Vec<usize> = shape
        .iter()
        .zip(&widths)
        .map(|(&s, &(a, b))| s + a + b)
        .collect();
    if mode != PadMode::Constant {
        let edge = usize::from(mode == PadMode::Reflect);
        for (d, &(a, b)) in widths.iter().enumerate() {
            if a.max(b) + edge > shape[d] {
                return Err(Error::InvalidArgument(format!(
                    "pad: paddings {:?} of dimension {d} must be at most {} for {}",
                    (a, b),
                    shape[d].saturating_sub(edge),
                    format!("{mode:?}").to_uppercase()
                )));
            }
        }
        let plan = axes_with(shape, |d| {
            let (before, n) = (widths[d].0 as i64, shape[d] as i64);
            let mirror = |i: i64| -> usize {
                let i = i - before;
                (if i < 0 {
                    -i - 1 + edge as i64
                } else if i >= n {
                    2 * n - i - 1 - edge as i64
                } else {
                    i
                }) as usize
            };
            Some((0..out_shape[d] as i64).map(mirror).collect())
        });
        return rearranged(t, out_shape, &plan);
    }
    if constant.num_elements() != 1 || constant.dtype() != t.dtype() {
        return Err(Error::InvalidArgument(format!(
            "pad: constant_values must be one {} value",
            t.dtype()
        )));
    }
    let total: usize = out_shape.iter().product();
    let mut out = Buffer::with_capacity(t.dtype(), total);
    let in_strides = strides(shape);
    // Writes the block of dimension `d` starting at input offset `at`.
    fn fill(
        out: &mut Buffer,
        t: &Tensor,
        constant: &Tensor,
        (shape, widths, in_strides): (&[usize], &[(usize, usize)], &[usize]),
        d: usize,
        at: usize,
    ) -> Result<()> {
        let block: usize = shape[d + 1..]
            .iter()
            .zip(&widths[d + 1..])
            .map(|(&s, &(a, b))| s + a + b)
            .product();
        out.extend_repeated(constant.buffer(), 0, widths[d].0 * block)?;
        if d + 1 == shape.len() {
            out.extend_from_range(t.buffer(), at, at + shape[d])?;
        } else {
            for i in 0..shape[d] {
                fill(
                    out,
                    t,
                    constant,
                    (shape, widths, in_strides),
                    d + 1,
                    at + i * in_strides[d],
                )?;
            }
        }
        out.extend_repeated(constant.buffer(), 0, widths[d].1 * block)
    }
    if shape.is_empty() {
        return Ok(t.clone());
    }
    fill(&mut out, t, constant, (shape, &widths, &in_strides), 0, 0)?;
    Tensor::new(out_shape, out)
}

/// `tf.squeeze`: the given dimensions (all of size 1 when `axes` is empty) removed; a
/// named dimension that is not 1 is an error.
pub fn squeeze(t: &Tensor, axes: &[i64]) -> Result<Tensor> {
    let shape = t.shape();
    let chosen = axes
        .iter()
        .map(|&a| normalize_axis(a, shape.len(), "squeeze"))
        .collect::<Result<Vec<_>>>()?;
    if let Some(&d) = chosen.iter().find(|&&d| shape[d] != 1) {
        return Err(Error::InvalidArgument(format!(
            "squeeze: cannot squeeze dimension {d} of size {} (shape {shape:?})",
            shape[d]
        )));
    }
    let kept = (0..shape.len())
        .filter(|d| {
            if chosen.is_empty() {
                shape[*d] != 1
            } else {
                !chosen.contains(d)
            }
        })
        .map(|d| shape[d])
        .collect();
    t.with_shape(kept)
}

/// `tf.expand_dims`: a dimension of size 1 inserted at `axis` (in `[-rank-1, rank]`).
pub fn expand_dims(t: &Tensor, axis: i64) -> Result<Tensor> {
    let at = normalize_axis(axis, t.rank() + 1, "expand_dims")?;
    let mut shape = t.shape().to_vec();
    shape.insert(at, 1);
    t.with_shape(shape)
}

/// `tf.where(condition, x, y)`: `x` where `condition` holds, else `y`, all broadcast.
pub fn select(condition: &Tensor, x: &Tensor, y: &Tensor) -> Result<Tensor> {
    if condition.dtype() != DType::Bool {
        return Err(Error::InvalidArgument(format!(
            "where: condition must be bool, got {}",
            condition.dtype()
        )));
    }
    if x.dtype() != y.dtype() {
        return Err(Error::InvalidArgument(format!(
            "where: x and y must have one dtype, got {} and {}",
            x.dtype(),
            y.dtype()
        )));
    }
    let shape = super::arithmetic::broadcast_shape(
        &super::arithmetic::broadcast_shape(condition.shape(), x.shape())?,
        y.shape(),
    )?;
    let shape_tensor = Tensor::new(
        vec![shape.len()],
        shape.iter().map(|&d| d as i64).collect::<Vec<_>>(),
    )?;
    let (c, x, y) = (
        broadcast_to(condition, &shape_tensor)?,
        broadcast_to(x, &shape_tensor)?,
        broadcast_to(y, &shape_tensor)?,
    );
    let mut out = Buffer::with_capacity(x.dtype(), c.num_elements());
    for (i, &take_x) in c.as_slice::<bool>().expect("bool").iter().enumerate() {
        out.extend_from_range(if take_x { x.buffer() } else { y.buffer() }, i, i + 1)?;
    }
    Tensor::new(shape, out)
}

/// `tf.where(condition)`: the coordinates of the true values, `[count, rank]` int64.
pub fn where_true(condition: &Tensor) -> Result<Tensor> {
    let flags = condition
        .as_slice::<bool>()
        .map(|f| f.to_vec())
        .or_else(|| {
            cast(condition, DType::Bool)
                .ok()
                .and_then(|b| b.as_slice::<bool>().map(|f| f.to_vec()))
        })
        .ok_or_else(|| {
            Error::InvalidArgument(format!("where: cannot test {} values", condition.dtype()))
        })?;
    let shape = condition.shape();
    let strides = strides(shape);
    let mut coords = Vec::new();
    for (flat, _) in flags.iter().enumerate().filter(|(_, &f)| f) {
        coords.extend(
            strides
                .iter()
                .zip(shape)
                .map(|(&s, &n)| ((flat / s) % n.max(1)) as i64),
        );
    }
    let count = flags.iter().filter(|&&f| f).count();
    Tensor::new(vec![count, shape.len()], coords)
}

/// `tf.boolean_mask(t, mask, axis)`: the slices along `axis..axis+mask.rank` where `mask`
/// holds, flattened into one dimension.
pub fn boolean_mask(t: &Tensor, mask: &Tensor, axis: i64) -> Result<Tensor> {
    let flags = mask.as_slice::<bool>().ok_or_else(|| {
        Error::InvalidArgument(format!(
            "boolean_mask: mask must be bool, got {}",
            mask.dtype()
        ))
    })?;
    let axis = normalize_axis(axis, t.rank(), "boolean_mask")?;
    let shape = t.shape();
    let span = axis + mask.rank();
    if mask.rank() == 0 || span > shape.len() || shape[axis..span] != *mask.shape() {
        return Err(Error::InvalidArgument(format!(
            "boolean_mask: mask of shape {:?} does not match dimensions {axis}.. of {shape:?}",
            mask.shape()
        )));
    }
    let merged: Vec<usize> = [&shape[..axis], &[flags.len()], &shape[span..]].concat();
    let flat = t.with_shape(merged.clone())?;
    let kept: Vec<usize> = (0..flags.len()).filter(|&i| flags[i]).collect();
    let mut out_shape = merged.clone();
    out_shape[axis] = kept.len();
    let plan = axes_with(&merged, |d| (d == axis).then(|| kept.clone()));
    rearranged(&flat, out_shape, &plan)
}

/// `tf.sequence_mask(lengths, maxlen)`: `mask[..., j] = j < lengths[...]`, with `maxlen` the
/// largest length when not given.
pub fn sequence_mask(lengths: &Tensor, maxlen: Option<&Tensor>) -> Result<Tensor> {
    let values = integers(lengths, "sequence_mask: lengths")?;
    let width = match maxlen {
        Some(m) => *integers(m, "sequence_mask: maxlen")?.first().unwrap_or(&0),
        None => values.iter().copied().max().unwrap_or(0),
    }
    .max(0) as usize;
    let flags: Vec<bool> = values
        .iter()
        .flat_map(|&n| (0..width).map(move |j| (j as i64) < n))
        .collect();
    Tensor::new([lengths.shape(), &[width]].concat(), flags)
}

/// The most values `range` makes: more is a mistake (an infinite or enormous span), not a
/// tensor to allocate.
const MAX_RANGE: u64 = 1 << 32;

/// `tf.range(start, limit, delta)`, in the inputs' dtype.
pub fn range(start: &Tensor, limit: &Tensor, delta: &Tensor) -> Result<Tensor> {
    fn make<T: Scalar + NativeType>(start: T, limit: T, delta: T) -> Result<Vec<T>> {
        let (s, l, d) = (start.to_f64(), limit.to_f64(), delta.to_f64());
        if d == 0.0 {
            return Err(Error::InvalidArgument("range: delta must not be 0".into()));
        }
        if (d > 0.0 && s > l) || (d < 0.0 && s < l) {
            return Err(Error::InvalidArgument(format!(
                "range: start {s} and limit {l} are in the wrong order for delta {d}"
            )));
        }
        let too_many = |count: f64| {
            Error::InvalidArgument(format!(
                "range: {count} values from {s} to {l} by {d} are more than {MAX_RANGE}"
            ))
        };
        if T::FLOAT {
            let count = ((l - s) / d).ceil();
            if !count.is_finite() || count > MAX_RANGE as f64 {
                return Err(too_many(count));
            }
            let count = count as usize;
            return Ok((0..count).map(|i| T::from_f64(s + i as f64 * d)).collect());
        }
        let (s, l, d) = (start.to_i128(), limit.to_i128(), delta.to_i128());
        let count = ((l - s).abs() + d.abs() - 1).div_euclid(d.abs());
        if count > MAX_RANGE as i128 {
            return Err(too_many(count as f64));
        }
        Ok((0..count).map(|i| T::from_i128(s + i * d)).collect())
    }
    if start.dtype() != limit.dtype() || start.dtype() != delta.dtype() {
        return Err(Error::InvalidArgument(format!(
            "range: start, limit and delta must have one dtype, got {}, {} and {}",
            start.dtype(),
            limit.dtype(),
            delta.dtype()
        )));
    }
    if [start, limit, delta].iter().any(|t| t.num_elements() != 1) {
        return Err(Error::InvalidArgument(
            "range: start, limit and delta must be scalars".into(),
        ));
    }
    let values: Buffer = crate::match_buffer!(
        start.buffer(),
        v => make(
            v[0],
            limit.as_slice().expect("one dtype")[0],
            delta.as_slice().expect("one dtype")[0],
        )?
        .into(),
        _s => return Err(Error::InvalidArgument("range: strings have no range".into()))
    );
    Tensor::new(vec![values.len()], values)
}

/// `tf.sort` (`indices` false) or `tf.argsort` (true, as int32) along `axis`; stable, NaN
/// last when ascending.
pub fn sort(t: &Tensor, axis: i64, descending: bool, indices: bool) -> Result<Tensor> {
    let axis = normalize_axis(axis, t.rank(), "sort")?;
    let shape = t.shape();
    let (outer, n) = (shape[..axis].iter().product::<usize>(), shape[axis]);
    let inner: usize = shape[axis + 1..].iter().product();
    fn order<T: Scalar>(
        v: &[T],
        (outer, n, inner): (usize, usize, usize),
        descending: bool,
    ) -> Vec<usize> {
        let mut out = Vec::with_capacity(v.len());
        // NaN (of either sign) sorts after every number.
        let key = |x: T| {
            if T::FLOAT {
                let v = x.to_f64();
                (if v.is_nan() { f64::NAN.abs() } else { v }, 0i128)
            } else {
                (0.0, x.to_i128())
            }
        };
        for o in 0..outer {
            for i in 0..inner {
                let at = |k: usize| v[(o * n + k) * inner + i];
                let mut ks: Vec<usize> = (0..n).collect();
                ks.sort_by(|&a, &b| {
                    let (x, y) = (key(at(a)), key(at(b)));
                    let c = x.0.total_cmp(&y.0).then(x.1.cmp(&y.1));
                    if descending {
                        c.reverse()
                    } else {
                        c
                    }
                });
                out.extend(ks);
            }
        }
        out
    }
    let dims = (outer, n, inner);
    let ranks = crate::match_buffer!(
        t.buffer(),
        v => order(v, dims, descending),
        _s => return Err(Error::InvalidArgument("sort: strings cannot be sorted".into()))
    );
    // `ranks` lists, for each (outer, inner) line, the positions along `axis` in order.
    let mut flat_positions = vec![0usize; t.num_elements()];
    let mut out_indices = vec![0i32; t.num_elements()];
    for line in 0..outer * inner {
        let (o, i) = (line / inner.max(1), line % inner.max(1));
        for (rank, &k) in ranks[line * n..(line + 1) * n].iter().enumerate() {
            let to = (o * n + rank) * inner + i;
            flat_positions[to] = (o * n + k) * inner + i;
            out_indices[to] = k as i32;
        }
    }
    if indices {
        return Tensor::new(shape.to_vec(), out_indices);
    }
    let flat = t.with_shape(vec![t.num_elements()])?;
    let picked = gather_axes(
        flat.buffer(),
        &[Axis {
            positions: flat_positions,
            stride: 1,
        }],
    )?;
    Tensor::new(shape.to_vec(), picked)
}

/// Bytes equal exactly when two values are equal (0.0 and -0.0 alike); a NaN, equal to
/// nothing, gets one of its own from its position `at`.
fn value_key<T: Scalar>(x: T, at: usize) -> Vec<u8> {
    if T::FLOAT {
        let v = x.to_f64();
        if v.is_nan() {
            return [b"nan".as_slice(), &at.to_le_bytes()].concat();
        }
        (if v == 0.0 { 0.0f64 } else { v })
            .to_bits()
            .to_le_bytes()
            .to_vec()
    } else {
        x.to_i128().to_le_bytes().to_vec()
    }
}

/// `tf.unique` of a vector: the distinct values in order of first appearance, and for each
/// input the index of its value among them (int32).
pub fn unique(t: &Tensor) -> Result<(Tensor, Tensor)> {
    if t.rank() != 1 {
        return Err(Error::InvalidArgument(format!(
            "unique: x must be a vector, got shape {:?}",
            t.shape()
        )));
    }
    let keys: Vec<Vec<u8>> = crate::match_buffer!(
        t.buffer(),
        v => v.iter().enumerate().map(|(i, &x)| value_key(x, i)).collect(),
        s => s.iter().map(|b| b.to_vec()).collect()
    );
    let mut seen = std::collections::HashMap::new();
    let mut first = Vec::new();
    let idx: Vec<i32> = keys
        .into_iter()
        .enumerate()
        .map(|(i, key)| {
            let next = seen.len() as i32;
            *seen.entry(key).or_insert_with(|| {
                first.push(i);
                next
            })
        })
        .collect();
    let values = gather_axes(
        t.buffer(),
        &[Axis {
            positions: first.clone(),
            stride: 1,
        }],
    )?;
    Ok((
        Tensor::new(vec![first.len()], values)?,
        Tensor::new(vec![idx.len()], idx)?,
    ))
}

/// `tf.linalg.matmul`: `a @ b` over the last two dimensions, leading (batch) dimensions
/// broadcast; `transpose_a` / `transpose_b` swap a matrix's last two dimensions first.
pub fn matmul(a: &Tensor, b: &Tensor, transpose_a: bool, transpose_b: bool) -> Result<Tensor> {
    if a.dtype() != b.dtype() || a.rank() < 2 || b.rank() < 2 {
        return Err(Error::InvalidArgument(format!(
            "matmul: needs two tensors of one dtype and rank 2 or more, got {} {:?} and {} {:?}",
            a.dtype(),
            a.shape(),
            b.dtype(),
            b.shape()
        )));
    }
    let swap = |t: &Tensor, yes: bool| -> Result<Tensor> {
        if !yes {
            return Ok(t.clone());
        }
        let r = t.rank();
        let mut perm: Vec<usize> = (0..r).collect();
        perm.swap(r - 2, r - 1);
        super::shape::transpose(t, &perm)
    };
    let (a, b) = (swap(a, transpose_a)?, swap(b, transpose_b)?);
    let (ar, br) = (a.rank(), b.rank());
    let (m, k, k2, n) = (
        a.shape()[ar - 2],
        a.shape()[ar - 1],
        b.shape()[br - 2],
        b.shape()[br - 1],
    );
    if k != k2 {
        return Err(Error::InvalidArgument(format!(
            "matmul: inner dimensions differ: {:?} and {:?}",
            a.shape(),
            b.shape()
        )));
    }
    let batch = super::arithmetic::broadcast_shape(&a.shape()[..ar - 2], &b.shape()[..br - 2])?;
    let target = |t: &Tensor, rows: usize, cols: usize| -> Result<Tensor> {
        let full: Vec<i64> = batch
            .iter()
            .chain(&[rows, cols])
            .map(|&d| d as i64)
            .collect();
        broadcast_to(t, &Tensor::new(vec![full.len()], full)?)
    };
    let (a, b) = (target(&a, m, k)?, target(&b, k, n)?);
    let count: usize = batch.iter().product();
    fn product<T: Scalar>(
        x: &[T],
        y: &[T],
        (count, m, k, n): (usize, usize, usize, usize),
    ) -> Vec<T> {
        let mut out = Vec::with_capacity(count * m * n);
        for c in 0..count {
            let (xa, ya) = (
                &x[c * m * k..(c + 1) * m * k],
                &y[c * k * n..(c + 1) * k * n],
            );
            for r in 0..m {
                for col in 0..n {
                    if T::FLOAT {
                        let s: f64 = (0..k)
                            .map(|j| xa[r * k + j].to_f64() * ya[j * n + col].to_f64())
                            .sum();
                        out.push(T::from_f64(s));
                    } else {
                        let s = (0..k).fold(0i128, |s, j| {
                            s.wrapping_add(
                                xa[r * k + j]
                                    .to_i128()
                                    .wrapping_mul(ya[j * n + col].to_i128()),
                            )
                        });
                        out.push(T::from_i128(s));
                    }
                }
            }
        }
        out
    }
    let dims = (count, m, k, n);
    let values: Buffer = crate::match_buffer!(
        a.buffer(),
        v => product(v, b.as_slice().expect("one dtype"), dims).into(),
        _s => return Err(Error::InvalidArgument("matmul: strings cannot be multiplied".into()))
    );
    Tensor::new([&batch[..], &[m, n]].concat(), values)
}

/// `tf.ensure_shape`: `t` itself when its shape matches `dims` (`None` matches any size).
pub fn ensure_shape(t: &Tensor, dims: &[Option<usize>]) -> Result<Tensor> {
    let shape = t.shape();
    let fits = shape.len() == dims.len()
        && shape
            .iter()
            .zip(dims)
            .all(|(&n, d)| d.is_none_or(|d| d == n));
    if !fits {
        let want: Vec<String> = dims
            .iter()
            .map(|d| d.map_or("None".into(), |d| d.to_string()))
            .collect();
        return Err(Error::InvalidArgument(format!(
            "Shape of tensor {shape:?} is not compatible with expected shape [{}].",
            want.join(", ")
        )));
    }
    Ok(t.clone())
}
