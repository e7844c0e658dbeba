//! Element-wise functions of one tensor: `-x`, `abs`, `tf.math`'s exponentials, logarithms,
//! roots, trigonometry, rounding and tests, and `tf.nn`'s activations. One table of
//! functions serves every float dtype (each value is computed in f64 and rounded to the
//! tensor's type); the few that TensorFlow defines for integers (`neg`, `abs`, `square`,
//! `sign`, `relu`) have integer forms, wrapping as TensorFlow's do (`-INT_MIN` is
//! `INT_MIN`). Unsigned, bool and string tensors are refused, naming the op and dtype.

use super::scalar::Scalar;
use crate::engine::{Buffer, Error, Result, Tensor};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    Neg,
    Abs,
    Square,
    Sign,
    Relu,
    Exp,
    Expm1,
    Log,
    Log1p,
    Sqrt,
    Rsqrt,
    Reciprocal,
    Sin,
    Cos,
    Tan,
    Asin,
    Acos,
    Atan,
    Sinh,
    Cosh,
    Tanh,
    Asinh,
    Acosh,
    Atanh,
    /// Rounds half to even, as `tf.math.round` and `rint` do.
    Round,
    Floor,
    Ceil,
    Erf,
    Erfc,
    Lgamma,
    Sigmoid,
    LogSigmoid,
    Softplus,
    Softsign,
    Relu6,
    Elu,
    Selu,
    /// `x * Φ(x)`, with the normal CDF exact (erf) or by its tanh approximation.
    Gelu,
    GeluTanh,
    /// Bool results.
    IsNan,
    IsInf,
    IsFinite,
}

impl UnaryOp {
    /// Every operation, by the name traced graphs give it.
    pub const NAMES: &[(&str, UnaryOp)] = &[
        ("neg", UnaryOp::Neg),
        ("abs", UnaryOp::Abs),
        ("square", UnaryOp::Square),
        ("sign", UnaryOp::Sign),
        ("relu", UnaryOp::Relu),
        ("exp", UnaryOp::Exp),
        ("expm1", UnaryOp::Expm1),
        ("log", UnaryOp::Log),
        ("log1p", UnaryOp::Log1p),
        ("sqrt", UnaryOp::Sqrt),
        ("rsqrt", UnaryOp::Rsqrt),
        ("reciprocal", UnaryOp::Reciprocal),
        ("sin", UnaryOp::Sin),
        ("cos", UnaryOp::Cos),
        ("tan", UnaryOp::Tan),
        ("asin", UnaryOp::Asin),
        ("acos", UnaryOp::Acos),
        ("atan", UnaryOp::Atan),
        ("sinh", UnaryOp::Sinh),
        ("cosh", UnaryOp::Cosh),
        ("tanh", UnaryOp::Tanh),
        ("asinh", UnaryOp::Asinh),
        ("acosh", UnaryOp::Acosh),
        ("atanh", UnaryOp::Atanh),
        ("round", UnaryOp::Round),
        ("floor", UnaryOp::Floor),
        ("ceil", UnaryOp::Ceil),
        ("erf", UnaryOp::Erf),
        ("erfc", UnaryOp::Erfc),
        ("lgamma", UnaryOp::Lgamma),
        ("sigmoid", UnaryOp::Sigmoid),
        ("log_sigmoid", UnaryOp::LogSigmoid),
        ("softplus", UnaryOp::Softplus),
        ("softsign", UnaryOp::Softsign),
        ("relu6", UnaryOp::Relu6),
        ("elu", UnaryOp::Elu),
        ("selu", UnaryOp::Selu),
        ("gelu", UnaryOp::Gelu),
        ("gelu_tanh", UnaryOp::GeluTanh),
        ("is_nan", UnaryOp::IsNan),
        ("is_inf", UnaryOp::IsInf),
        ("is_finite", UnaryOp::IsFinite),
    ];

    pub fn parse(name: &str) -> Result<UnaryOp> {
        super::by_name(Self::NAMES, name)
            .ok_or_else(|| Error::InvalidArgument(format!("no unary operation {name:?}")))
    }

    fn name(self) -> &'static str {
        Self::NAMES
            .iter()
            .find(|(_, op)| *op == self)
            .map(|(name, _)| *name)
            .unwrap_or("unary")
    }

    /// True for the tests that give bools.
    pub fn is_predicate(self) -> bool {
        matches!(self, UnaryOp::IsNan | UnaryOp::IsInf | UnaryOp::IsFinite)
    }
}

const SELU_SCALE: f64 = 1.050_700_987_355_480_5;
const SELU_ALPHA: f64 = 1.673_263_242_354_377_3;

/// `ln(1 + e^x)` without overflow for large `x` or loss for very negative `x`.
fn softplus(x: f64) -> f64 {
    x.max(0.0) + (-x.abs()).exp().ln_1p()
}

fn float(op: UnaryOp, x: f64) -> f64 {
    use UnaryOp::*;
    match op {
        Neg => -x,
        Abs => x.abs(),
        Square => x * x,
        // Keeps the sign of zero, and NaN.
        Sign if x > 0.0 => 1.0,
        Sign if x < 0.0 => -1.0,
        Sign => x,
        Relu => {
            if x > 0.0 || x.is_nan() {
                x
            } else {
                0.0
            }
        }
        Exp => x.exp(),
        Expm1 => x.exp_m1(),
        Log => x.ln(),
        Log1p => x.ln_1p(),
        Sqrt => x.sqrt(),
        Rsqrt => 1.0 / x.sqrt(),
        Reciprocal => 1.0 / x,
        Sin => x.sin(),
        Cos => x.cos(),
        Tan => x.tan(),
        Asin => x.asin(),
        Acos => x.acos(),
        Atan => x.atan(),
        Sinh => x.sinh(),
        Cosh => x.cosh(),
        Tanh => x.tanh(),
        Asinh => x.asinh(),
        Acosh => x.acosh(),
        Atanh => x.atanh(),
        Round => x.round_ties_even(),
        Floor => x.floor(),
        Ceil => x.ceil(),
        Erf => libm::erf(x),
        Erfc => libm::erfc(x),
        Lgamma => libm::lgamma(x),
        Sigmoid if x >= 0.0 => 1.0 / (1.0 + (-x).exp()),
        Sigmoid => x.exp() / (1.0 + x.exp()),
        LogSigmoid => -softplus(-x),
        Softplus => softplus(x),
        Softsign => x / (1.0 + x.abs()),
        Relu6 => x.clamp(0.0, 6.0),
        Elu if x > 0.0 => x,
        Elu => x.exp_m1(),
        Selu if x > 0.0 => SELU_SCALE * x,
        Selu => SELU_SCALE * SELU_ALPHA * x.exp_m1(),
        Gelu => 0.5 * x * (1.0 + libm::erf(x / std::f64::consts::SQRT_2)),
        GeluTanh => {
            let inner = (2.0 / std::f64::consts::PI).sqrt() * (x + 0.044_715 * x * x * x);
            0.5 * x * (1.0 + inner.tanh())
        }
        IsNan | IsInf | IsFinite => unreachable!("predicates give bools"),
    }
}

fn predicate(op: UnaryOp, x: f64) -> bool {
    match op {
        UnaryOp::IsNan => x.is_nan(),
        UnaryOp::IsInf => x.is_infinite(),
        _ => x.is_finite(),
    }
}

/// The integer form of `op`, for the ops TensorFlow defines on signed integers.
fn integer(op: UnaryOp, x: i128, min: i128) -> Option<i128> {
    Some(match op {
        // Wraps as the narrow type does: -MIN and |MIN| are MIN.
        UnaryOp::Neg | UnaryOp::Abs if x == min => min,
        UnaryOp::Neg => -x,
        UnaryOp::Abs => x.abs(),
        UnaryOp::Square => x.wrapping_mul(x),
        UnaryOp::Sign => x.signum(),
        UnaryOp::Relu => x.max(0),
        _ => return None,
    })
}

fn floats<T: Scalar>(op: UnaryOp, v: &[T]) -> Buffer
where
    Vec<T>: Into<Buffer>,
{
    if op.is_predicate() {
        return v
            .iter()
            .map(|x| predicate(op, x.to_f64()))
            .collect::<Vec<_>>()
            .into();
    }
    v.iter()
        .map(|x| T::from_f64(float(op, x.to_f64())))
        .collect::<Vec<T>>()
        .into()
}

fn integers<T: Scalar>(op: UnaryOp, v: &[T], min: i128) -> Option<Buffer>
where
    Vec<T>: Into<Buffer>,
{
    v.iter()
        .map(|x| integer(op, x.to_i128(), min).map(T::from_i128))
        .collect::<Option<Vec<T>>>()
        .map(Into::into)
}

pub fn unary(op: UnaryOp, t: &Tensor) -> Result<Tensor> {
    let buffer = match t.buffer() {
        Buffer::Float16(v) => Some(floats(op, v)),
        Buffer::Float32(v) => Some(floats(op, v)),
        Buffer::Float64(v) => Some(floats(op, v)),
        Buffer::Int8(v) => integers(op, v, i8::MIN.into()),
        Buffer::Int16(v) => integers(op, v, i16::MIN.into()),
        Buffer::Int32(v) => integers(op, v, i32::MIN.into()),
        Buffer::Int64(v) => integers(op, v, i64::MIN.into()),
        _ => None,
    };
    match buffer {
        Some(buffer) => Tensor::new(t.shape().to_vec(), buffer),
        None => Err(Error::InvalidArgument(format!(
            "{} is not defined for {} values",
            op.name(),
            t.dtype()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f32s(op: UnaryOp, values: Vec<f32>) -> Vec<f32> {
        let t = Tensor::from_vec(vec![values.len()], values).unwrap();
        unary(op, &t).unwrap().as_slice::<f32>().unwrap().to_vec()
    }

    #[test]
    fn negates_and_takes_absolute_values_as_tensorflow() {
        let ints = Tensor::from_vec(vec![3], vec![i32::MIN, -5, 7]).unwrap();
        let neg = unary(UnaryOp::Neg, &ints).unwrap();
        assert_eq!(neg.as_slice::<i32>().unwrap(), [i32::MIN, 5, -7]);
        let abs = unary(UnaryOp::Abs, &ints).unwrap();
        assert_eq!(abs.as_slice::<i32>().unwrap(), [i32::MIN, 5, 7]);
        let bits: Vec<u32> = f32s(UnaryOp::Neg, vec![0.0, -0.0])
            .iter()
            .map(|x| x.to_bits())
            .collect();
        assert_eq!(bits, [(-0.0f32).to_bits(), 0.0f32.to_bits()]);
        assert!(f32s(UnaryOp::Abs, vec![0.0, -0.0])
            .iter()
            .all(|x| x.to_bits() == 0));
        let bytes = Tensor::from_vec(vec![1], vec![5u8]).unwrap();
        assert!(unary(UnaryOp::Abs, &bytes).is_err());
    }

    #[test]
    fn rounds_half_to_even_and_keeps_signs() {
        assert_eq!(
            f32s(UnaryOp::Round, vec![0.5, 1.5, 2.5, -0.5, -1.7]),
            [0.0, 2.0, 2.0, -0.0, -2.0]
        );
        assert_eq!(f32s(UnaryOp::Sign, vec![3.0, -2.0, 0.0]), [1.0, -1.0, 0.0]);
        assert!(f32s(UnaryOp::Sign, vec![f32::NAN])[0].is_nan());
    }

    #[test]
    fn activations_match_their_definitions() {
        let x = vec![-30.0f32, -1.0, 0.0, 2.0, 40.0];
        let softplus = f32s(UnaryOp::Softplus, x.clone());
        assert_eq!(softplus[4], 40.0);
        assert!((softplus[1] - (1.0f32 + (-1.0f32).exp()).ln()).abs() < 1e-6);
        assert!(softplus[0] > 0.0 && softplus[0] < 1e-12);
        let sigmoid = f32s(UnaryOp::Sigmoid, x.clone());
        assert!((sigmoid[3] - 1.0 / (1.0 + (-2.0f32).exp())).abs() < 1e-7 && sigmoid[2] == 0.5);
        assert_eq!(f32s(UnaryOp::Relu6, x.clone()), [0.0, 0.0, 0.0, 2.0, 6.0]);
        let selu = f32s(UnaryOp::Selu, vec![1.0]);
        assert!((selu[0] - 1.050_701).abs() < 1e-6);
        let ints = Tensor::from_vec(vec![3], vec![-4i64, 0, 9]).unwrap();
        let relu = unary(UnaryOp::Relu, &ints).unwrap();
        assert_eq!(relu.as_slice::<i64>().unwrap(), [0, 0, 9]);
        assert!(unary(UnaryOp::Exp, &ints).is_err());
    }

    #[test]
    fn predicates_give_bools() {
        let t = Tensor::from_vec(vec![3], vec![f64::NAN, f64::INFINITY, 1.0]).unwrap();
        let nan = unary(UnaryOp::IsNan, &t).unwrap();
        assert_eq!(nan.as_slice::<bool>().unwrap(), [true, false, false]);
        let finite = unary(UnaryOp::IsFinite, &t).unwrap();
        assert_eq!(finite.as_slice::<bool>().unwrap(), [false, false, true]);
    }
}
