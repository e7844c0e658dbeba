//! Element conversions the kernels share: every numeric dtype to and from i128 (integers,
//! bools, exact) and f64 (floats), with C's conversion rules as tf.cast has them.

use half::f16;

pub trait Scalar: Copy + Send + Sync + 'static {
    const FLOAT: bool;
    fn to_f64(self) -> f64;
    fn to_i128(self) -> i128;
    fn from_f64(v: f64) -> Self;
    fn from_i128(v: i128) -> Self;
}

macro_rules! int_scalar {
    ($($t:ty),*) => {$(
        impl Scalar for $t {
            const FLOAT: bool = false;
            fn to_f64(self) -> f64 { self as f64 }
            fn to_i128(self) -> i128 { self as i128 }
            fn from_f64(v: f64) -> Self { v as $t }
            fn from_i128(v: i128) -> Self { v as $t }
        }
    )*};
}
int_scalar!(i8, i16, i32, i64, u8, u16, u32, u64);

impl Scalar for bool {
    const FLOAT: bool = false;
    fn to_f64(self) -> f64 {
        self as u8 as f64
    }
    fn to_i128(self) -> i128 {
        self as i128
    }
    fn from_f64(v: f64) -> Self {
        v != 0.0
    }
    fn from_i128(v: i128) -> Self {
        v != 0
    }
}

impl Scalar for f32 {
    const FLOAT: bool = true;
    fn to_f64(self) -> f64 {
        self as f64
    }
    fn to_i128(self) -> i128 {
        self as i128
    }
    fn from_f64(v: f64) -> Self {
        v as f32
    }
    fn from_i128(v: i128) -> Self {
        v as f32
    }
}

impl Scalar for f64 {
    const FLOAT: bool = true;
    fn to_f64(self) -> f64 {
        self
    }
    fn to_i128(self) -> i128 {
        self as i128
    }
    fn from_f64(v: f64) -> Self {
        v
    }
    fn from_i128(v: i128) -> Self {
        v as f64
    }
}

impl Scalar for f16 {
    const FLOAT: bool = true;
    fn to_f64(self) -> f64 {
        f16::to_f64(self)
    }
    fn to_i128(self) -> i128 {
        f16::to_f64(self) as i128
    }
    fn from_f64(v: f64) -> Self {
        f16::from_f64(v)
    }
    fn from_i128(v: i128) -> Self {
        f16::from_f64(v as f64)
    }
}

/// Converts one value with tf.cast's rules: exact between integers (wrapping on overflow),
/// truncation toward zero from floats to integers.
pub fn convert<S: Scalar, D: Scalar>(v: S) -> D {
    if S::FLOAT {
        D::from_f64(v.to_f64())
    } else if D::FLOAT {
        D::from_f64(v.to_i128() as f64)
    } else {
        D::from_i128(v.to_i128())
    }
}
