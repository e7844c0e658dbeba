//! Reductions: `tf.reduce_sum` and its kin over any set of axes, cumulative sums and
//! products along one axis, and `ff.argmax` / `ff.argmin`. Floats accumulate in f64 and
//! integers in i128, then round or wrap to the tensor's type as TensorFlow's do.

use super::scalar::Scalar;
use super::shape::normalize_axis;
use crate::engine::{Buffer, DType, Error, Result, Tensor};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReduceOp {
    Sum,
    Prod,
    Max,
    Min,
    /// Integers divide rounding toward zero, as TensorFlow's integer mean does.
    Mean,
    /// Bools only.
    All,
    Any,
}

impl ReduceOp {
    pub const NAMES: &[(&str, ReduceOp)] = &[
        ("sum", ReduceOp::Sum),
        ("prod", ReduceOp::Prod),
        ("max", ReduceOp::Max),
        ("min", ReduceOp::Min),
        ("mean", ReduceOp::Mean),
        ("all", ReduceOp::All),
        ("any", ReduceOp::Any),
    ];

    pub fn parse(name: &str) -> Result<ReduceOp> {
        super::by_name(Self::NAMES, name)
            .ok_or_else(|| Error::InvalidArgument(format!("no reduction {name:?}")))
    }
}

/// Which input positions fold into which output position: the output shape and, walking
/// the input in order, each element's output index.
struct Folding {
    out_shape: Vec<usize>,
    kept_shape: Vec<usize>,
    targets: Vec<usize>,
}

fn folding(shape: &[usize], axes: Option<&[i64]>, keepdims: bool, op: &str) -> Result<Folding> {
    let rank = shape.len();
    let mut reduced = vec![axes.is_none(); rank];
    for &axis in axes.unwrap_or(&[]) {
        let axis = normalize_axis(axis, rank.max(1), op)?;
        if axis >= rank {
            return Err(Error::InvalidArgument(format!(
                "{op}: axis {axis} is out of range for a scalar"
            )));
        }
        reduced[axis] = true;
    }
    let kept_shape: Vec<usize> = (0..rank)
        .filter(|&d| !reduced[d])
        .map(|d| shape[d])
        .collect();
    let out_shape = if keepdims {
        (0..rank)
            .map(|d| if reduced[d] { 1 } else { shape[d] })
            .collect()
    } else {
        kept_shape.clone()
    };
    // The output stride of each input dimension (0 for reduced ones).
    let mut strides = vec![0usize; rank];
    let mut step = 1;
    for d in (0..rank).rev() {
        if !reduced[d] {
            strides[d] = step;
            step *= shape[d];
        }
    }
    let total: usize = shape.iter().product();
    let mut targets = Vec::with_capacity(total);
    let mut index = vec![0usize; rank];
    let mut at = 0usize;
    for _ in 0..total {
        targets.push(at);
        for d in (0..rank).rev() {
            index[d] += 1;
            at += strides[d];
            if index[d] < shape[d] {
                break;
            }
            at -= strides[d] * shape[d];
            index[d] = 0;
        }
    }
    Ok(Folding {
        out_shape,
        kept_shape,
        targets,
    })
}

fn fold<T: Scalar>(v: &[T], f: &Folding, op: ReduceOp) -> Vec<T> {
    let outputs: usize = f.kept_shape.iter().product();
    let count = v.len().checked_div(outputs).unwrap_or(0);
    if T::FLOAT {
        let start = match op {
            ReduceOp::Prod => 1.0,
            ReduceOp::Max => f64::NEG_INFINITY,
            ReduceOp::Min => f64::INFINITY,
            _ => 0.0,
        };
        let mut acc = vec![start; outputs];
        for (x, &to) in v.iter().zip(&f.targets) {
            let (a, x) = (&mut acc[to], x.to_f64());
            *a = match op {
                ReduceOp::Prod => *a * x,
                // NaN wins, as in TensorFlow and numpy.
                ReduceOp::Max if x.is_nan() || x > *a => x,
                ReduceOp::Min if x.is_nan() || x < *a => x,
                ReduceOp::Max | ReduceOp::Min => *a,
                _ => *a + x,
            };
        }
        if op == ReduceOp::Mean {
            acc.iter_mut().for_each(|a| *a /= count as f64);
        }
        return acc.into_iter().map(T::from_f64).collect();
    }
    // Float-to-integer casts saturate: these are the type's own extremes.
    let (lowest, highest) = (
        T::from_f64(f64::MIN).to_i128(),
        T::from_f64(f64::MAX).to_i128(),
    );
    let start = match op {
        ReduceOp::Prod | ReduceOp::All => 1,
        ReduceOp::Max => lowest,
        ReduceOp::Min => highest,
        _ => 0,
    };
    let mut acc = vec![start; outputs];
    for (x, &to) in v.iter().zip(&f.targets) {
        let (a, x) = (&mut acc[to], x.to_i128());
        *a = match op {
            ReduceOp::Prod => a.wrapping_mul(x),
            ReduceOp::Max => (*a).max(x),
            ReduceOp::Min => (*a).min(x),
            ReduceOp::All => i128::from(*a != 0 && x != 0),
            ReduceOp::Any => i128::from(*a != 0 || x != 0),
            _ => a.wrapping_add(x),
        };
    }
    acc.into_iter()
        .map(|a| {
            // Wrap to the type first, then divide, as the narrow sum would.
            let wrapped = T::from_i128(a).to_i128();
            if op == ReduceOp::Mean && count > 0 {
                T::from_i128(wrapped / count as i128)
            } else {
                T::from_i128(wrapped)
            }
        })
        .collect()
}

/// `op` over `axes` (every axis when `None`; negative ones count from the end), keeping
/// reduced axes as size 1 when `keepdims`.
pub fn reduce(t: &Tensor, axes: Option<&[i64]>, keepdims: bool, op: ReduceOp) -> Result<Tensor> {
    let name = ReduceOp::NAMES
        .iter()
        .find(|(_, o)| *o == op)
        .map_or("reduce", |(n, _)| n);
    let boolean = matches!(op, ReduceOp::All | ReduceOp::Any);
    if boolean != (t.dtype() == DType::Bool) {
        return Err(Error::InvalidArgument(format!(
            "reduce_{name} is not defined for {} values",
            t.dtype()
        )));
    }
    let f = folding(t.shape(), axes, keepdims, &format!("reduce_{name}"))?;
    let buffer: Buffer = crate::match_buffer!(
        t.buffer(),
        v => fold(v, &f, op).into(),
        _s => return Err(Error::InvalidArgument(format!("reduce_{name} is not defined for strings")))
    );
    Tensor::new(f.out_shape, buffer)
}

/// Running sums (`product` false) or products along `axis`: `exclusive` leaves each
/// position's own value out, `reverse` runs from the end (tf.math.cumsum / cumprod).
pub fn cumulative(
    t: &Tensor,
    axis: i64,
    product: bool,
    exclusive: bool,
    reverse: bool,
) -> Result<Tensor> {
    let op = if product { "cumprod" } else { "cumsum" };
    let axis = normalize_axis(axis, t.rank(), op)?;
    let shape = t.shape();
    let (outer, n) = (shape[..axis].iter().product::<usize>(), shape[axis]);
    let inner: usize = shape[axis + 1..].iter().product();
    fn run<T: Scalar>(v: &[T], dims: (usize, usize, usize), flags: (bool, bool, bool)) -> Vec<T> {
        let ((outer, n, inner), (product, exclusive, reverse)) = (dims, flags);
        let mut out = v.to_vec();
        for o in 0..outer {
            for i in 0..inner {
                let (mut fa, mut ia) = (if product { 1.0 } else { 0.0 }, i128::from(product));
                for step in 0..n {
                    let k = if reverse { n - 1 - step } else { step };
                    let at = (o * n + k) * inner + i;
                    let x = v[at];
                    if exclusive {
                        out[at] = if T::FLOAT {
                            T::from_f64(fa)
                        } else {
                            T::from_i128(ia)
                        };
                    }
                    if T::FLOAT {
                        fa = if product {
                            fa * x.to_f64()
                        } else {
                            fa + x.to_f64()
                        };
                    } else {
                        ia = T::from_i128(if product {
                            ia.wrapping_mul(x.to_i128())
                        } else {
                            ia.wrapping_add(x.to_i128())
                        })
                        .to_i128();
                    }
                    if !exclusive {
                        out[at] = if T::FLOAT {
                            T::from_f64(fa)
                        } else {
                            T::from_i128(ia)
                        };
                    }
                }
            }
        }
        out
    }
    if t.dtype() == DType::Bool {
        return Err(Error::InvalidArgument(format!(
            "{op} is not defined for bool values"
        )));
    }
    let dims = (outer, n, inner);
    let flags = (product, exclusive, reverse);
    let buffer: Buffer = crate::match_buffer!(
        t.buffer(),
        v => run(v, dims, flags).into(),
        _s => return Err(Error::InvalidArgument(format!("{op} is not defined for strings")))
    );
    Tensor::new(shape.to_vec(), buffer)
}

/// The position of the largest (`largest`) or smallest value along `axis`, the first one on
/// ties; as in TensorFlow, NaNs are passed over (all NaN gives 0). The result has `t`'s
/// shape without `axis`, of `out` (int16, uint16, int32 or int64).
pub fn arg_extreme(t: &Tensor, axis: i64, largest: bool, out: DType) -> Result<Tensor> {
    let op = if largest { "argmax" } else { "argmin" };
    let axis = normalize_axis(axis, t.rank(), op)?;
    let shape = t.shape();
    let (outer, n) = (shape[..axis].iter().product::<usize>(), shape[axis]);
    let inner: usize = shape[axis + 1..].iter().product();
    if n == 0 {
        return Err(Error::InvalidArgument(format!(
            "{op}: reduction axis {axis} is empty in shape {shape:?}"
        )));
    }
    fn positions<T: PartialOrd + Copy>(
        v: &[T],
        (outer, n, inner): (usize, usize, usize),
        largest: bool,
    ) -> Vec<i64> {
        let mut out = Vec::with_capacity(outer * inner);
        for o in 0..outer {
            for i in 0..inner {
                let at = |k: usize| v[(o * n + k) * inner + i];
                // A NaN compares false with everything: it is never better, and any number
                // is better than a NaN found first.
                let better = |x: T, y: T| {
                    let nan = |v: T| v.partial_cmp(&v).is_none();
                    (if largest { x > y } else { x < y }) || (nan(y) && !nan(x))
                };
                out.push(
                    (1..n).fold(0, |best, k| if better(at(k), at(best)) { k } else { best }) as i64,
                );
            }
        }
        out
    }
    let dims = (outer, n, inner);
    let found = crate::match_buffer!(
        t.buffer(),
        v => positions(v, dims, largest),
        _s => return Err(Error::InvalidArgument(format!("{op} is not defined for strings")))
    );
    let mut out_shape = shape.to_vec();
    out_shape.remove(axis);
    match out {
        DType::Int16 | DType::UInt16 | DType::Int32 | DType::Int64 => {
            super::cast::cast(&Tensor::new(out_shape, found)?, out)
        }
        other => Err(Error::InvalidArgument(format!(
            "{op}: output_type must be int16, uint16, int32 or int64, not {other}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_extreme_along_each_axis() {
        let t = Tensor::from_vec(vec![2, 3], vec![1, 5, 5, 7, 2, 7]).unwrap();
        let rows = arg_extreme(&t, 1, true, DType::Int64).unwrap();
        assert_eq!(rows.as_slice::<i64>().unwrap(), &[1, 0]);
        let cols = arg_extreme(&t, 0, false, DType::Int32).unwrap();
        assert_eq!(cols.as_slice::<i32>().unwrap(), &[0, 1, 0]);
        let flags = Tensor::from_vec(vec![3], vec![false, true, true]).unwrap();
        let first = arg_extreme(&flags, -1, true, DType::Int64).unwrap();
        assert_eq!(
            (first.shape(), first.as_slice::<i64>().unwrap()),
            (&[][..], &[1][..])
        );
        let nan = Tensor::from_vec(vec![3], vec![3.0f32, f32::NAN, 1.0]).unwrap();
        assert_eq!(
            arg_extreme(&nan, 0, true, DType::Int64)
                .unwrap()
                .as_slice::<i64>()
                .unwrap(),
            &[0]
        );
        let empty = Tensor::from_vec(vec![0], Vec::<f32>::new()).unwrap();
        assert!(arg_extreme(&empty, 0, true, DType::Int64).is_err());
    }
}
