//! Reductions along one axis: `ff.argmax` and `ff.argmin`.

use super::shape::normalize_axis;
use crate::engine::{DType, Error, Result, Tensor};

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
