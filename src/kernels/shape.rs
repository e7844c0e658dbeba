//! Shape kernels: `ff.reshape`, `ff.stack`, `ff.concat`, `ff.transpose`, `ff.shape` and
//! `ff.fill`.

use super::slice::{gather, strides, Axis};
use crate::engine::{Buffer, DType, Error, Result, Tensor};

/// `t` with a new shape (one dimension may be -1, inferred); the buffer is shared.
pub fn reshape(t: &Tensor, shape: &[i64]) -> Result<Tensor> {
    let total = t.num_elements();
    let known: i64 = shape.iter().filter(|&&d| d != -1).product();
    let unknown = shape.iter().filter(|&&d| d == -1).count();
    if unknown > 1 || shape.iter().any(|&d| d < -1) {
        return Err(Error::InvalidArgument(format!(
            "reshape: invalid shape {shape:?}"
        )));
    }
    let dims: Vec<usize> = shape
        .iter()
        .map(|&d| {
            if d == -1 {
                if known == 0 {
                    0
                } else {
                    total / known as usize
                }
            } else {
                d as usize
            }
        })
        .collect();
    if dims.iter().product::<usize>() != total {
        return Err(Error::InvalidArgument(format!(
            "reshape: cannot reshape a tensor of {total} values (shape {:?}) to {shape:?}",
            t.shape()
        )));
    }
    t.with_shape(dims)
}

/// Joins `parts` along existing dimension `axis` (every other dimension must agree).
pub fn concat(parts: &[&Tensor], axis: i64) -> Result<Tensor> {
    let first = parts
        .first()
        .ok_or_else(|| Error::invalid("concat: no tensors"))?;
    let rank = first.rank();
    let axis = normalize_axis(axis, rank, "concat")?;
    for p in parts {
        if p.rank() != rank
            || p.dtype() != first.dtype()
            || (0..rank).any(|d| d != axis && p.shape()[d] != first.shape()[d])
        {
            return Err(Error::InvalidArgument(format!(
                "concat: shapes {:?} and {:?} (dtypes {} and {}) do not line up on axis {axis}",
                first.shape(),
                p.shape(),
                first.dtype(),
                p.dtype()
            )));
        }
    }
    let outer: usize = first.shape()[..axis].iter().product();
    let mut shape = first.shape().to_vec();
    shape[axis] = parts.iter().map(|p| p.shape()[axis]).sum();
    let total: usize = shape.iter().product();
    let mut out = Buffer::with_capacity(first.dtype(), total);
    for o in 0..outer {
        for p in parts {
            let block: usize = p.shape()[axis..].iter().product();
            out.extend_from_range(p.buffer(), o * block, (o + 1) * block)?;
        }
    }
    Tensor::new(shape, out)
}

/// Joins same-shaped `parts` along a new dimension `axis`.
pub fn stack(parts: &[&Tensor], axis: i64) -> Result<Tensor> {
    let first = parts
        .first()
        .ok_or_else(|| Error::invalid("stack: no tensors"))?;
    let axis = normalize_axis(axis, first.rank() + 1, "stack")?;
    let expanded = parts
        .iter()
        .map(|p| {
            if p.shape() != first.shape() {
                return Err(Error::InvalidArgument(format!(
                    "stack: shapes {:?} and {:?} differ",
                    first.shape(),
                    p.shape()
                )));
            }
            let mut shape = p.shape().to_vec();
            shape.insert(axis, 1);
            p.with_shape(shape)
        })
        .collect::<Result<Vec<_>>>()?;
    concat(&expanded.iter().collect::<Vec<_>>(), axis as i64)
}

/// `t` with its dimensions reordered: dimension `i` of the result is dimension `perm[i]`.
pub fn transpose(t: &Tensor, perm: &[usize]) -> Result<Tensor> {
    let shape = t.shape();
    let mut sorted = perm.to_vec();
    sorted.sort_unstable();
    if sorted != (0..shape.len()).collect::<Vec<_>>() {
        return Err(Error::InvalidArgument(format!(
            "transpose: {perm:?} is not a permutation of the {} dimensions of shape {shape:?}",
            shape.len()
        )));
    }
    let strides = strides(shape);
    let axes: Vec<Axis> = perm
        .iter()
        .map(|&d| Axis::whole(shape[d], strides[d]))
        .collect();
    let out_shape = perm.iter().map(|&d| shape[d]).collect();
    Tensor::new(out_shape, gather(t.buffer(), &axes)?)
}

/// The dimensions of `t`, as a vector of `dtype` (int32 or int64).
pub fn shape_of(t: &Tensor, dtype: DType) -> Result<Tensor> {
    let dims: Vec<i64> = t.shape().iter().map(|&d| d as i64).collect();
    super::cast::cast(&Tensor::new(vec![dims.len()], dims)?, dtype)
}

/// A tensor of the shape `dims` (a vector of integers) with every value `value` (a scalar).
pub fn fill(dims: &Tensor, value: &Tensor) -> Result<Tensor> {
    let wide = super::cast::cast(dims, DType::Int64)
        .ok()
        .filter(|_| dims.rank() == 1 && dims.dtype().is_integer());
    let Some(wide) = wide else {
        return Err(Error::InvalidArgument(format!(
            "fill: dims must be a vector of integers, got {} of shape {:?}",
            dims.dtype(),
            dims.shape()
        )));
    };
    let requested = wide.as_slice::<i64>().expect("cast to int64");
    let shape = requested
        .iter()
        .map(|&d| usize::try_from(d))
        .collect::<std::result::Result<Vec<usize>, _>>()
        .map_err(|_| {
            Error::InvalidArgument(format!("fill: dims {requested:?} has a negative size"))
        })?;
    if value.num_elements() != 1 || value.rank() != 0 {
        return Err(Error::InvalidArgument(format!(
            "fill: value must be a scalar, got shape {:?}",
            value.shape()
        )));
    }
    check_allocation("fill", &shape, value.dtype())?;
    let count = shape.iter().product();
    let mut out = Buffer::with_capacity(value.dtype(), count);
    out.extend_repeated(value.buffer(), 0, count)?;
    Tensor::new(shape, out)
}

/// Fails with ResourceExhausted, instead of aborting the process, when a tensor of `shape`
/// and `dtype` could not be allocated (sizes can come from the data inside a traced function).
pub(crate) fn check_allocation(op: &str, shape: &[usize], dtype: DType) -> Result<()> {
    let item = dtype.item_size().unwrap_or(std::mem::size_of::<usize>());
    let bytes = shape
        .iter()
        .try_fold(item, |n, &d| n.checked_mul(d))
        .filter(|&b| isize::try_from(b).is_ok());
    let fits = bytes.is_some_and(|b| Vec::<u8>::new().try_reserve_exact(b).is_ok());
    if fits {
        Ok(())
    } else {
        Err(Error::ResourceExhausted(format!(
            "{op}: cannot allocate a {dtype} tensor of shape {shape:?}"
        )))
    }
}

pub(crate) fn normalize_axis(axis: i64, rank: usize, op: &str) -> Result<usize> {
    let a = if axis < 0 { axis + rank as i64 } else { axis };
    if a < 0 || a >= rank as i64 {
        return Err(Error::InvalidArgument(format!(
            "{op}: axis {axis} is out of range for rank {rank}"
        )));
    }
    Ok(a as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_and_shape() {
        let dims = Tensor::from_vec(vec![2], vec![2i32, 3]).unwrap();
        let filled = fill(&dims, &Tensor::scalar(7i64)).unwrap();
        assert_eq!(filled.shape(), &[2, 3]);
        assert_eq!(filled.as_slice::<i64>().unwrap(), &[7; 6]);
        let strings = fill(
            &Tensor::from_vec(vec![1], vec![2i64]).unwrap(),
            &Tensor::scalar_bytes(b"x"),
        );
        assert_eq!(
            strings
                .unwrap()
                .as_strings()
                .unwrap()
                .iter()
                .collect::<Vec<_>>(),
            [b"x", b"x"]
        );
        assert!(fill(
            &Tensor::from_vec(vec![1], vec![-1i32]).unwrap(),
            &Tensor::scalar(1i32)
        )
        .is_err());
        assert!(fill(&dims, &dims).is_err());
        let huge = Tensor::from_vec(vec![2], vec![1i64 << 40, 1 << 30]).unwrap();
        let err = fill(&huge, &Tensor::scalar(1.0f32)).unwrap_err();
        assert!(matches!(err, Error::ResourceExhausted(_)), "{err}");
        let shape = shape_of(&filled, DType::Int32).unwrap();
        assert_eq!(shape.as_slice::<i32>().unwrap(), &[2, 3]);
    }

    #[test]
    fn transpose_reorders_dimensions() {
        let x = t(&[2, 3, 2], (0..12).collect());
        let y = transpose(&x, &[1, 0, 2]).unwrap();
        assert_eq!(y.shape(), &[3, 2, 2]);
        assert_eq!(
            y.as_slice::<i32>().unwrap(),
            &[0, 1, 6, 7, 2, 3, 8, 9, 4, 5, 10, 11]
        );
        let z = transpose(&x, &[2, 0, 1]).unwrap();
        assert_eq!(z.shape(), &[2, 2, 3]);
        assert_eq!(
            z.as_slice::<i32>().unwrap(),
            &[0, 2, 4, 6, 8, 10, 1, 3, 5, 7, 9, 11]
        );
        assert!(transpose(&x, &[0, 0, 1]).is_err());
        assert!(transpose(&x, &[0, 1]).is_err());
    }

    fn t(shape: &[usize], v: Vec<i32>) -> Tensor {
        Tensor::from_vec(shape.to_vec(), v).unwrap()
    }

    #[test]
    fn reshape_infers_one_dimension() {
        let x = t(&[2, 3], (0..6).collect());
        assert_eq!(reshape(&x, &[3, -1]).unwrap().shape(), &[3, 2]);
        assert!(reshape(&x, &[4, -1]).is_err());
    }

    #[test]
    fn concat_and_stack_like_numpy() {
        let a = t(&[2, 2], vec![1, 2, 3, 4]);
        let b = t(&[2, 1], vec![5, 6]);
        let c = concat(&[&a, &b], 1).unwrap();
        assert_eq!(c.shape(), &[2, 3]);
        assert_eq!(c.as_slice::<i32>().unwrap(), &[1, 2, 5, 3, 4, 6]);
        let s = stack(&[&a, &a], -1).unwrap();
        assert_eq!(s.shape(), &[2, 2, 2]);
        assert_eq!(s.as_slice::<i32>().unwrap(), &[1, 1, 2, 2, 3, 3, 4, 4]);
        assert!(concat(&[&a, &b], 0).is_err());
    }
}
