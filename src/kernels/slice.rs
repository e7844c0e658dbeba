//! Indexing a tensor as numpy and `tf.strided_slice` do: integers pick one position and drop
//! the dimension, slices keep a strided range, new axes insert a dimension of one, and an
//! ellipsis stands for the dimensions no other index names.

use crate::engine::{Buffer, Error, Result, Tensor};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Index {
    At(i64),
    Range {
        start: Option<i64>,
        stop: Option<i64>,
        step: i64,
    },
    NewAxis,
    Ellipsis,
}

/// `t[indices]`.
pub fn strided_slice(t: &Tensor, indices: &[Index]) -> Result<Tensor> {
    let shape = t.shape();
    let names_dim = |i: &Index| matches!(i, Index::At(_) | Index::Range { .. });
    let named = indices.iter().filter(|i| names_dim(i)).count();
    let ellipses = indices.iter().filter(|i| **i == Index::Ellipsis).count();
    if named > shape.len() || ellipses > 1 {
        return Err(Error::InvalidArgument(format!(
            "cannot index a tensor of shape {shape:?} with {} indices",
            if ellipses > 1 {
                "two ellipses in its"
            } else {
                "too many"
            }
        )));
    }
    let strides = strides(shape);
    let mut axes = Vec::with_capacity(shape.len());
    let mut out_shape = Vec::new();
    let mut dim = 0;
    let whole = |dim: usize, axes: &mut Vec<Axis>, out_shape: &mut Vec<usize>| {
        axes.push(Axis::whole(shape[dim], strides[dim]));
        out_shape.push(shape[dim]);
    };
    for index in indices {
        match *index {
            Index::NewAxis => out_shape.push(1),
            Index::Ellipsis => {
                for _ in 0..shape.len() - named {
                    whole(dim, &mut axes, &mut out_shape);
                    dim += 1;
                }
            }
            Index::At(i) => {
                let size = shape[dim] as i64;
                let at = if i < 0 { i + size } else { i };
                if !(0..size).contains(&at) {
                    return Err(Error::InvalidArgument(format!(
                        "slice index {i} of dimension {dim} out of bounds (size {size})"
                    )));
                }
                axes.push(Axis {
                    positions: vec![at as usize],
                    stride: strides[dim],
                });
                dim += 1;
            }
            Index::Range { start, stop, step } => {
                let positions = range_positions(shape[dim], start, stop, step)?;
                out_shape.push(positions.len());
                axes.push(Axis {
                    positions,
                    stride: strides[dim],
                });
                dim += 1;
            }
        }
    }
    while dim < shape.len() {
        whole(dim, &mut axes, &mut out_shape);
        dim += 1;
    }
    let buffer = gather(t.buffer(), &axes)?;
    Tensor::new(out_shape, buffer)
}

/// The positions of `start:stop:step` in a dimension of `size`, clamped as Python's
/// `slice.indices` clamps them.
fn range_positions(
    size: usize,
    start: Option<i64>,
    stop: Option<i64>,
    step: i64,
) -> Result<Vec<usize>> {
    if step == 0 {
        return Err(Error::invalid("slice step cannot be zero"));
    }
    let size = size as i64;
    let (low, high) = if step > 0 { (0, size) } else { (-1, size - 1) };
    let bound = |v: Option<i64>, default: i64| match v {
        None => default,
        Some(v) if v < 0 => (v + size).max(low),
        Some(v) => v.min(high),
    };
    let (start, stop) = if step > 0 {
        (bound(start, 0), bound(stop, size))
    } else {
        (bound(start, size - 1), bound(stop, -1))
    };
    // In i128: a step near i64::MAX must end the range, not wrap around.
    let (mut i, stop, step) = (i128::from(start), i128::from(stop), i128::from(step));
    let mut positions = Vec::new();
    while (step > 0 && i < stop) || (step < 0 && i > stop) {
        positions.push(i as usize);
        i += step;
    }
    Ok(positions)
}

/// One dimension of a gather: the positions it visits and the distance in the input between
/// consecutive positions.
pub(crate) struct Axis {
    pub positions: Vec<usize>,
    pub stride: usize,
}

impl Axis {
    /// Every position of a dimension of `size`.
    pub(crate) fn whole(size: usize, stride: usize) -> Axis {
        Axis {
            positions: (0..size).collect(),
            stride,
        }
    }
}

/// The row-major strides of `shape`.
pub(crate) fn strides(shape: &[usize]) -> Vec<usize> {
    let mut strides = vec![1usize; shape.len()];
    for d in (0..shape.len().saturating_sub(1)).rev() {
        strides[d] = strides[d + 1] * shape[d + 1];
    }
    strides
}

/// The values at every combination of the axes' positions, in row-major order; runs of
/// consecutive positions in a last axis of stride one are copied in one piece.
pub(crate) fn gather(buffer: &Buffer, axes: &[Axis]) -> Result<Buffer> {
    let count: usize = axes.iter().map(|a| a.positions.len()).product();
    let mut out = Buffer::with_capacity(buffer.dtype(), count);
    let Some((last, leading)) = axes.split_last() else {
        out.extend_from_range(buffer, 0, buffer.len())?;
        return Ok(out);
    };
    if count == 0 {
        return Ok(out);
    }
    let run = last.stride == 1 && last.positions.windows(2).all(|w| w[1] == w[0] + 1);
    let mut index = vec![0usize; leading.len()];
    loop {
        let base: usize = index
            .iter()
            .zip(leading)
            .map(|(&k, axis)| axis.positions[k] * axis.stride)
            .sum();
        if run {
            let first = base + last.positions[0];
            out.extend_from_range(buffer, first, first + last.positions.len())?;
        } else {
            for &p in &last.positions {
                let at = base + p * last.stride;
                out.extend_from_range(buffer, at, at + 1)?;
            }
        }
        // The next combination of the leading axes' positions, the last one fastest.
        let mut d = index.len();
        loop {
            if d == 0 {
                return Ok(out);
            }
            d -= 1;
            index[d] += 1;
            if index[d] < leading[d].positions.len() {
                break;
            }
            index[d] = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::StringBuf;

    fn range(start: Option<i64>, stop: Option<i64>, step: i64) -> Index {
        Index::Range { start, stop, step }
    }

    fn values(t: &Tensor) -> Vec<i32> {
        t.as_slice::<i32>().unwrap().to_vec()
    }

    #[test]
    fn integer_and_negative_indices() {
        let t = Tensor::from_vec(vec![2, 3], (0..6).collect()).unwrap();
        let row = strided_slice(&t, &[Index::At(-1)]).unwrap();
        assert_eq!((row.shape(), values(&row)), (&[3][..], vec![3, 4, 5]));
        let one = strided_slice(&t, &[Index::At(0), Index::At(-2)]).unwrap();
        assert_eq!((one.shape(), values(&one)), (&[][..], vec![1]));
        let err = strided_slice(&t, &[Index::At(2)]).unwrap_err().to_string();
        assert!(
            err.contains("slice index 2 of dimension 0 out of bounds"),
            "{err}"
        );
        assert!(strided_slice(&t, &[Index::At(0); 3]).is_err());
    }

    #[test]
    fn ranges_steps_new_axes_and_ellipsis() {
        let t = Tensor::from_vec(vec![2, 3, 2], (0..12).collect()).unwrap();
        let rev = strided_slice(&t, &[Index::Ellipsis, range(None, None, -1)]).unwrap();
        assert_eq!(rev.shape(), &[2, 3, 2]);
        assert_eq!(values(&rev), vec![1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10]);
        let mid = strided_slice(&t, &[range(None, None, 1), range(Some(1), None, 1)]).unwrap();
        assert_eq!(mid.shape(), &[2, 2, 2]);
        assert_eq!(values(&mid), vec![2, 3, 4, 5, 8, 9, 10, 11]);
        let wide = strided_slice(
            &t,
            &[Index::NewAxis, Index::At(1), range(None, Some(-1), 2)],
        )
        .unwrap();
        assert_eq!(wide.shape(), &[1, 1, 2]);
        assert_eq!(values(&wide), vec![6, 7]);
        let clamped = strided_slice(&t, &[range(Some(-10), Some(10), 1)]).unwrap();
        assert_eq!(clamped.shape(), &[2, 3, 2]);
        let empty = strided_slice(&t, &[range(Some(1), Some(1), 1)]).unwrap();
        assert_eq!(empty.shape(), &[0, 3, 2]);
        assert!(strided_slice(&t, &[range(None, None, 0)]).is_err());
        let far = strided_slice(&t, &[Index::At(0), range(Some(1), None, i64::MAX)]).unwrap();
        assert_eq!(far.shape(), &[1, 2]);
        let back = strided_slice(&t, &[range(Some(-1), None, i64::MIN + 1)]).unwrap();
        assert_eq!(back.shape(), &[1, 3, 2]);
    }

    #[test]
    fn strings_and_scalars() {
        let parts = Tensor::new(vec![3], StringBuf::from_items(["", "tmp", "x.jpg"])).unwrap();
        let pick = strided_slice(&parts, &[Index::At(-2)]).unwrap();
        assert_eq!(pick.shape(), &[] as &[usize]);
        assert_eq!(pick.as_strings().unwrap().get(0), b"tmp");
        let scalar = Tensor::scalar(7i32);
        let lifted = strided_slice(&scalar, &[Index::NewAxis, Index::Ellipsis]).unwrap();
        assert_eq!((lifted.shape(), values(&lifted)), (&[1][..], vec![7]));
    }
}
