//! `ff.cast`: a tensor converted to another numeric dtype, element by element.

use half::f16;

use super::scalar::{convert, Scalar};
use crate::engine::{Buffer, DType, Error, Result, Tensor};

fn convert_all<S: Scalar>(values: &[S], to: DType) -> Result<Buffer> {
    macro_rules! to {
        ($t:ty) => {
            values
                .iter()
                .map(|&v| convert::<S, $t>(v))
                .collect::<Vec<$t>>()
                .into()
        };
    }
    Ok(match to {
        DType::Bool => to!(bool),
        DType::Int8 => to!(i8),
        DType::Int16 => to!(i16),
        DType::Int32 => to!(i32),
        DType::Int64 => to!(i64),
        DType::UInt8 => to!(u8),
        DType::UInt16 => to!(u16),
        DType::UInt32 => to!(u32),
        DType::UInt64 => to!(u64),
        DType::Float16 => to!(f16),
        DType::Float32 => to!(f32),
        DType::Float64 => to!(f64),
        DType::String => return Err(Error::invalid("cast: cannot cast numbers to string")),
    })
}

/// `t` as `to`; a tensor already of that dtype is returned as it is (sharing its buffer).
pub fn cast(t: &Tensor, to: DType) -> Result<Tensor> {
    if t.dtype() == to {
        return Ok(t.clone());
    }
    let buffer = match t.buffer() {
        Buffer::Bool(v) => convert_all(v, to)?,
        Buffer::Int8(v) => convert_all(v, to)?,
        Buffer::Int16(v) => convert_all(v, to)?,
        Buffer::Int32(v) => convert_all(v, to)?,
        Buffer::Int64(v) => convert_all(v, to)?,
        Buffer::UInt8(v) => convert_all(v, to)?,
        Buffer::UInt16(v) => convert_all(v, to)?,
        Buffer::UInt32(v) => convert_all(v, to)?,
        Buffer::UInt64(v) => convert_all(v, to)?,
        Buffer::Float16(v) => convert_all(v, to)?,
        Buffer::Float32(v) => convert_all(v, to)?,
        Buffer::Float64(v) => convert_all(v, to)?,
        Buffer::String(_) => {
            return Err(Error::invalid(format!(
                "cast: cannot cast strings to {to}; use ff.strings.to_number"
            )))
        }
    };
    Tensor::new(t.shape().to_vec(), buffer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn casts_like_tensorflow() {
        let t = Tensor::from_vec(vec![4], vec![-1.7f32, 0.2, 2.9, 300.0]).unwrap();
        let i = cast(&t, DType::Int32).unwrap();
        assert_eq!(i.as_slice::<i32>().unwrap(), &[-1, 0, 2, 300]);
        let b = cast(&i, DType::Bool).unwrap();
        assert_eq!(b.as_slice::<bool>().unwrap(), &[true, false, true, true]);
        let u = cast(
            &Tensor::from_vec(vec![2], vec![255u8, 7]).unwrap(),
            DType::Float64,
        )
        .unwrap();
        assert_eq!(u.as_slice::<f64>().unwrap(), &[255.0, 7.0]);
        assert!(cast(&Tensor::scalar_bytes(b"1"), DType::Int64).is_err());
    }
}
