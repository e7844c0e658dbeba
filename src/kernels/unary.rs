//! Element-wise negation and absolute value (`-x`, `abs(x)`): signed integers wrap as
//! TensorFlow's do (`-INT_MIN` is `INT_MIN`), floats keep IEEE signs (`-0.0`, `abs(-0.0)`
//! is `0.0`); unsigned, bool and string tensors are refused.

use half::f16;

use crate::engine::{Buffer, Error, Result, Tensor};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    Neg,
    Abs,
}

impl UnaryOp {
    /// Every operation, by the name traced graphs give it.
    pub const NAMES: &[(&str, UnaryOp)] = &[("neg", UnaryOp::Neg), ("abs", UnaryOp::Abs)];

    pub fn parse(name: &str) -> Result<UnaryOp> {
        super::by_name(Self::NAMES, name)
            .ok_or_else(|| Error::InvalidArgument(format!("no unary operation {name:?}")))
    }
}

pub fn unary(op: UnaryOp, t: &Tensor) -> Result<Tensor> {
    macro_rules! map {
        ($values:expr, $neg:expr, $abs:expr) => {{
            let values = $values;
            match op {
                UnaryOp::Neg => values.iter().map($neg).collect::<Vec<_>>().into(),
                UnaryOp::Abs => values.iter().map($abs).collect::<Vec<_>>().into(),
            }
        }};
    }
    let buffer: Buffer = match t.buffer() {
        Buffer::Int8(v) => map!(v, |x: &i8| x.wrapping_neg(), |x: &i8| x.wrapping_abs()),
        Buffer::Int16(v) => map!(v, |x: &i16| x.wrapping_neg(), |x: &i16| x.wrapping_abs()),
        Buffer::Int32(v) => map!(v, |x: &i32| x.wrapping_neg(), |x: &i32| x.wrapping_abs()),
        Buffer::Int64(v) => map!(v, |x: &i64| x.wrapping_neg(), |x: &i64| x.wrapping_abs()),
        Buffer::Float16(v) => map!(v, |x: &f16| -*x, |x: &f16| f16::from_f32(x.to_f32().abs())),
        Buffer::Float32(v) => map!(v, |x: &f32| -*x, |x: &f32| x.abs()),
        Buffer::Float64(v) => map!(v, |x: &f64| -*x, |x: &f64| x.abs()),
        _ => {
            return Err(Error::InvalidArgument(format!(
                "{op:?} is not defined for {} values",
                t.dtype()
            )))
        }
    };
    Tensor::new(t.shape().to_vec(), buffer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negates_and_takes_absolute_values_as_tensorflow() {
        let ints = Tensor::from_vec(vec![3], vec![i32::MIN, -5, 7]).unwrap();
        let neg = unary(UnaryOp::Neg, &ints).unwrap();
        assert_eq!(neg.as_slice::<i32>().unwrap(), [i32::MIN, 5, -7]);
        let abs = unary(UnaryOp::Abs, &ints).unwrap();
        assert_eq!(abs.as_slice::<i32>().unwrap(), [i32::MIN, 5, 7]);
        let zeros = Tensor::from_vec(vec![2], vec![0.0f32, -0.0]).unwrap();
        let neg = unary(UnaryOp::Neg, &zeros).unwrap();
        let bits: Vec<u32> = neg
            .as_slice::<f32>()
            .unwrap()
            .iter()
            .map(|x| x.to_bits())
            .collect();
        assert_eq!(bits, [(-0.0f32).to_bits(), 0.0f32.to_bits()]);
        let abs = unary(UnaryOp::Abs, &zeros).unwrap();
        assert!(abs
            .as_slice::<f32>()
            .unwrap()
            .iter()
            .all(|x| x.to_bits() == 0));
        let bytes = Tensor::from_vec(vec![1], vec![5u8]).unwrap();
        assert!(unary(UnaryOp::Abs, &bytes).is_err());
    }
}
