//! `ff.one_hot`: indices to one-hot vectors along a new axis.

use super::cast::cast;
use super::shape::normalize_axis;
use crate::engine::memory::{bytes_of, probe};
use crate::engine::{Buffer, DType, Error, Result, Tensor};

/// `depth`-long one-hot vectors for integer `indices`, `on` where the index points and `off`
/// elsewhere (both one-value tensors of the output dtype); out-of-range indices give all
/// `off`, as in TensorFlow.
pub fn one_hot(
    indices: &Tensor,
    depth: usize,
    on: &Tensor,
    off: &Tensor,
    axis: i64,
) -> Result<Tensor> {
    if on.dtype() != off.dtype() || on.num_elements() != 1 || off.num_elements() != 1 {
        return Err(Error::invalid(
            "one_hot: on_value and off_value must be scalars of one dtype",
        ));
    }
    let rank = indices.rank();
    let axis = if axis == -1 {
        rank
    } else {
        normalize_axis(axis, rank + 1, "one_hot")?
    };
    if !indices.dtype().is_integer() {
        return Err(Error::InvalidArgument(format!(
            "one_hot: indices must be integers, got {}",
            indices.dtype()
        )));
    }
    let as_i64 = cast(indices, DType::Int64)?;
    let idx = as_i64.as_slice::<i64>().expect("cast to int64");
    let outer: usize = indices.shape()[..axis].iter().product();
    let inner: usize = indices.shape()[axis..].iter().product();
    // `depth` is an argument: its product with the indices is checked before it is
    // allocated.
    let what = || format!("one_hot: {} indices of depth {depth}", idx.len());
    let values = bytes_of(idx.len(), depth, &what)?;
    // A string is counted at the size of its offset.
    let item = on.dtype().item_size().unwrap_or(8);
    probe(bytes_of(values, item, &what)?, &what)?;
    let mut out = Buffer::with_capacity(on.dtype(), values);
    for o in 0..outer {
        for d in 0..depth {
            for i in 0..inner {
                let hit = idx[o * inner + i] == d as i64;
                out.extend_repeated(if hit { on.buffer() } else { off.buffer() }, 0, 1)?;
            }
        }
    }
    let mut shape = indices.shape().to_vec();
    shape.insert(axis, depth);
    Tensor::new(shape, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_hot_like_tensorflow() {
        let idx = Tensor::from_vec(vec![3], vec![0i64, 2, 5]).unwrap();
        let (on, off) = (Tensor::scalar(1.0f32), Tensor::scalar(0.0f32));
        let t = one_hot(&idx, 3, &on, &off, -1).unwrap();
        assert_eq!(t.shape(), &[3, 3]);
        assert_eq!(
            t.as_slice::<f32>().unwrap(),
            &[1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0]
        );
        let t0 = one_hot(&idx, 3, &on, &off, 0).unwrap();
        assert_eq!(t0.shape(), &[3, 3]);
        assert_eq!(
            t0.as_slice::<f32>().unwrap(),
            &[1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0]
        );
    }
}
