//! Element-wise binary operations with numpy/TensorFlow broadcasting: `+ - * /`, minimum,
//! maximum and comparisons. Both operands have one dtype (the Python layer converts Python
//! scalars to the tensor's dtype first, as TensorFlow does).

use super::cast::cast;
use super::scalar::Scalar;
use crate::engine::{Buffer, DType, Error, Result, Tensor};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    /// True division: integers divide as float64, as `tf.math.truediv` does for 32/64-bit.
    Div,
    Maximum,
    Minimum,
    /// Python's `//` and `%`: the quotient rounded down, the remainder with the divisor's
    /// sign (integer division by zero is an error).
    FloorDiv,
    FloorMod,
    /// Integers to negative powers are an error; integer powers wrap.
    Pow,
    Less,
    LessEqual,
    Greater,
    GreaterEqual,
    Equal,
    NotEqual,
    /// Bools only.
    LogicalAnd,
    LogicalOr,
    LogicalXor,
}

impl BinaryOp {
    /// Every operation, by the name traced graphs give it.
    pub const NAMES: &[(&str, BinaryOp)] = &[
        ("add", BinaryOp::Add),
        ("sub", BinaryOp::Sub),
        ("mul", BinaryOp::Mul),
        ("div", BinaryOp::Div),
        ("maximum", BinaryOp::Maximum),
        ("minimum", BinaryOp::Minimum),
        ("floordiv", BinaryOp::FloorDiv),
        ("floormod", BinaryOp::FloorMod),
        ("pow", BinaryOp::Pow),
        ("less", BinaryOp::Less),
        ("less_equal", BinaryOp::LessEqual),
        ("greater", BinaryOp::Greater),
        ("greater_equal", BinaryOp::GreaterEqual),
        ("equal", BinaryOp::Equal),
        ("not_equal", BinaryOp::NotEqual),
        ("logical_and", BinaryOp::LogicalAnd),
        ("logical_or", BinaryOp::LogicalOr),
        ("logical_xor", BinaryOp::LogicalXor),
    ];

    pub fn parse(name: &str) -> Result<BinaryOp> {
        super::by_name(Self::NAMES, name)
            .ok_or_else(|| Error::invalid(format!("unknown binary operation {name:?}")))
    }

    fn is_comparison(self) -> bool {
        matches!(
            self,
            BinaryOp::Less
                | BinaryOp::LessEqual
                | BinaryOp::Greater
                | BinaryOp::GreaterEqual
                | BinaryOp::Equal
                | BinaryOp::NotEqual
        )
    }
}

/// The broadcast shape of two shapes (numpy's rules), or an error naming both.
pub fn broadcast_shape(a: &[usize], b: &[usize]) -> Result<Vec<usize>> {
    let rank = a.len().max(b.len());
    let dim = |s: &[usize], i: usize| -> usize {
        let pad = rank - s.len();
        if i < pad {
            1
        } else {
            s[i - pad]
        }
    };
    (0..rank)
        .map(|i| match (dim(a, i), dim(b, i)) {
            (x, y) if x == y => Ok(x),
            (1, y) => Ok(y),
            (x, 1) => Ok(x),
            _ => Err(Error::InvalidArgument(format!(
                "shapes {a:?} and {b:?} cannot be broadcast together"
            ))),
        })
        .collect()
}

/// For each output position, the flat index into an input of `shape` broadcast to `out`.
fn broadcast_indices(shape: &[usize], out: &[usize]) -> Vec<usize> {
    let total: usize = out.iter().product();
    if shape == out {
        return (0..total).collect();
    }
    let pad = out.len() - shape.len();
    let mut strides = vec![0usize; out.len()];
    let mut stride = 1;
    for i in (0..shape.len()).rev() {
        strides[pad + i] = if shape[i] == 1 { 0 } else { stride };
        stride *= shape[i];
    }
    let mut index = vec![0usize; out.len()];
    let mut result = Vec::with_capacity(total);
    let mut flat = 0usize;
    for _ in 0..total {
        result.push(flat);
        for d in (0..out.len()).rev() {
            index[d] += 1;
            flat += strides[d];
            if index[d] < out[d] {
                break;
            }
            flat -= strides[d] * index[d];
            index[d] = 0;
        }
    }
    result
}

fn zip_broadcast<T: Copy, O>(
    a: &[T],
    ash: &[usize],
    b: &[T],
    bsh: &[usize],
    out: &[usize],
    f: impl Fn(T, T) -> O,
) -> Vec<O> {
    if ash == bsh {
        return a.iter().zip(b).map(|(&x, &y)| f(x, y)).collect();
    }
    if b.len() == 1 {
        return a.iter().map(|&x| f(x, b[0])).collect();
    }
    if a.len() == 1 {
        return b.iter().map(|&y| f(a[0], y)).collect();
    }
    let (ia, ib) = (broadcast_indices(ash, out), broadcast_indices(bsh, out));
    ia.iter().zip(&ib).map(|(&i, &j)| f(a[i], b[j])).collect()
}

fn numeric<T: Scalar + PartialOrd>(
    op: BinaryOp,
    a: &[T],
    ash: &[usize],
    b: &[T],
    bsh: &[usize],
    out: &[usize],
) -> Buffer
where
    Vec<T>: Into<Buffer>,
{
    let cmp = |f: fn(T, T) -> bool| -> Buffer { zip_broadcast(a, ash, b, bsh, out, f).into() };
    match op {
        BinaryOp::Less => cmp(|x, y| x < y),
        BinaryOp::LessEqual => cmp(|x, y| x <= y),
        BinaryOp::Greater => cmp(|x, y| x > y),
        BinaryOp::GreaterEqual => cmp(|x, y| x >= y),
        BinaryOp::Equal => cmp(|x, y| x == y),
        BinaryOp::NotEqual => cmp(|x, y| x != y),
        BinaryOp::Div if !T::FLOAT => {
            zip_broadcast(a, ash, b, bsh, out, |x, y| x.to_f64() / y.to_f64()).into()
        }
        _ => {
            let f = |x: T, y: T| -> T {
                if T::FLOAT {
                    let (x, y) = (x.to_f64(), y.to_f64());
                    T::from_f64(match op {
                        BinaryOp::Add => x + y,
                        BinaryOp::Sub => x - y,
                        BinaryOp::Mul => x * y,
                        BinaryOp::Div => x / y,
                        BinaryOp::Maximum => x.max(y),
                        BinaryOp::FloorDiv => (x / y).floor(),
                        BinaryOp::FloorMod => {
                            let r = x % y;
                            if r != 0.0 && (r < 0.0) != (y < 0.0) {
                                r + y
                            } else {
                                r
                            }
                        }
                        BinaryOp::Pow => x.powf(y),
                        _ => x.min(y),
                    })
                } else {
                    let (x, y) = (x.to_i128(), y.to_i128());
                    T::from_i128(match op {
                        BinaryOp::Add => x + y,
                        BinaryOp::Sub => x - y,
                        BinaryOp::Mul => x.wrapping_mul(y),
                        BinaryOp::Maximum => x.max(y),
                        // Divisors were checked non-zero, powers non-negative.
                        BinaryOp::FloorDiv => {
                            let q = x / y;
                            if x % y != 0 && (x < 0) != (y < 0) {
                                q - 1
                            } else {
                                q
                            }
                        }
                        BinaryOp::FloorMod => {
                            let r = x % y;
                            if r != 0 && (r < 0) != (y < 0) {
                                r + y
                            } else {
                                r
                            }
                        }
                        BinaryOp::Pow => wrapping_pow(x, y as u128),
                        _ => x.min(y),
                    })
                }
            };
            zip_broadcast(a, ash, b, bsh, out, f).into()
        }
    }
}

/// `base` to the power `exp`, wrapping (the low bits are those of any narrower type).
fn wrapping_pow(mut base: i128, mut exp: u128) -> i128 {
    let mut result: i128 = 1;
    while exp > 0 {
        if exp & 1 == 1 {
            result = result.wrapping_mul(base);
        }
        base = base.wrapping_mul(base);
        exp >>= 1;
    }
    result
}

/// Refuses what integer division and powers cannot do: a zero divisor, a negative power.
fn check_integer_operands(op: BinaryOp, b: &Tensor) -> Result<()> {
    if !b.dtype().is_integer()
        || !matches!(op, BinaryOp::FloorDiv | BinaryOp::FloorMod | BinaryOp::Pow)
    {
        return Ok(());
    }
    let wide = cast(b, DType::Int64)?;
    let values = wide.as_slice::<i64>().expect("cast to int64");
    // Unsigned values past i64::MAX read as negative here; they are neither zero nor
    // negative powers, so only the sign test must ignore them.
    let unsigned = !matches!(
        b.dtype(),
        DType::Int8 | DType::Int16 | DType::Int32 | DType::Int64
    );
    if op == BinaryOp::Pow && !unsigned && values.iter().any(|&v| v < 0) {
        return Err(Error::invalid(
            "Integers to negative integer powers are not allowed",
        ));
    }
    if op != BinaryOp::Pow && values.contains(&0) {
        return Err(Error::invalid("Integer division by zero"));
    }
    Ok(())
}

/// Float arithmetic without the generic conversions: the common case of image pipelines.
/// Each operation gets its own loop, so the operator inlines (a closure chosen by a `match`
/// would be called through a pointer for every value).
macro_rules! float_fast_path {
    ($op:expr, $x:expr, $ash:expr, $y:expr, $bsh:expr, $out:expr) => {{
        let (x, ash, y, bsh, out) = ($x, $ash, $y, $bsh, $out);
        let values = match $op {
            BinaryOp::Add => zip_broadcast(x, ash, y, bsh, out, |p, q| p + q),
            BinaryOp::Sub => zip_broadcast(x, ash, y, bsh, out, |p, q| p - q),
            BinaryOp::Mul => zip_broadcast(x, ash, y, bsh, out, |p, q| p * q),
            BinaryOp::Div => zip_broadcast(x, ash, y, bsh, out, |p, q| p / q),
            _ => return None,
        };
        Some(values.into())
    }};
}

fn float_arithmetic(
    op: BinaryOp,
    a: &Buffer,
    ash: &[usize],
    b: &Buffer,
    bsh: &[usize],
    out: &[usize],
) -> Option<Buffer> {
    match (a, b) {
        (Buffer::Float32(x), Buffer::Float32(y)) => float_fast_path!(op, x, ash, y, bsh, out),
        (Buffer::Float64(x), Buffer::Float64(y)) => float_fast_path!(op, x, ash, y, bsh, out),
        _ => None,
    }
}

/// `a op b` element-wise with broadcasting; both must have one dtype, numeric (strings
/// compare for equality only).
pub fn binary(op: BinaryOp, a: &Tensor, b: &Tensor) -> Result<Tensor> {
    if a.dtype() != b.dtype() {
        return Err(Error::InvalidArgument(format!(
            "{op:?}: operands must have one dtype, got {} and {}",
            a.dtype(),
            b.dtype()
        )));
    }
    let logical = matches!(
        op,
        BinaryOp::LogicalAnd | BinaryOp::LogicalOr | BinaryOp::LogicalXor
    );
    if logical != (a.dtype() == DType::Bool) && !op.is_comparison() {
        return Err(Error::InvalidArgument(format!(
            "{op:?} is not defined for {} values",
            a.dtype()
        )));
    }
    check_integer_operands(op, b)?;
    let out = broadcast_shape(a.shape(), b.shape())?;
    let (ash, bsh) = (a.shape(), b.shape());
    if let (Some(x), Some(y), BinaryOp::Equal | BinaryOp::NotEqual) =
        (a.as_strings(), b.as_strings(), op)
    {
        let (x, y): (Vec<&[u8]>, Vec<&[u8]>) = (x.iter().collect(), y.iter().collect());
        let equal = op == BinaryOp::Equal;
        let flags = zip_broadcast(&x, ash, &y, bsh, &out, |p, q| (p == q) == equal);
        return Tensor::new(out, flags);
    }
    if let Some(buffer) = float_arithmetic(op, a.buffer(), ash, b.buffer(), bsh, &out) {
        return Tensor::new(out, buffer);
    }
    macro_rules! go {
        ($x:expr, $y:expr) => {
            numeric(op, $x, ash, $y, bsh, &out)
        };
    }
    let buffer = match (a.buffer(), b.buffer()) {
        (Buffer::Int8(x), Buffer::Int8(y)) => go!(x, y),
        (Buffer::Int16(x), Buffer::Int16(y)) => go!(x, y),
        (Buffer::Int32(x), Buffer::Int32(y)) => go!(x, y),
        (Buffer::Int64(x), Buffer::Int64(y)) => go!(x, y),
        (Buffer::UInt8(x), Buffer::UInt8(y)) => go!(x, y),
        (Buffer::UInt16(x), Buffer::UInt16(y)) => go!(x, y),
        (Buffer::UInt32(x), Buffer::UInt32(y)) => go!(x, y),
        (Buffer::UInt64(x), Buffer::UInt64(y)) => go!(x, y),
        (Buffer::Float16(x), Buffer::Float16(y)) => go!(x, y),
        (Buffer::Float32(x), Buffer::Float32(y)) => go!(x, y),
        (Buffer::Float64(x), Buffer::Float64(y)) => go!(x, y),
        (Buffer::Bool(x), Buffer::Bool(y)) if op.is_comparison() => go!(x, y),
        (Buffer::Bool(x), Buffer::Bool(y)) if op == BinaryOp::LogicalAnd => {
            zip_broadcast(x, ash, y, bsh, &out, |p, q| p && q).into()
        }
        (Buffer::Bool(x), Buffer::Bool(y)) if op == BinaryOp::LogicalOr => {
            zip_broadcast(x, ash, y, bsh, &out, |p, q| p || q).into()
        }
        (Buffer::Bool(x), Buffer::Bool(y)) if op == BinaryOp::LogicalXor => {
            zip_broadcast(x, ash, y, bsh, &out, |p, q| p != q).into()
        }
        _ => {
            return Err(Error::InvalidArgument(format!(
                "{op:?} is not defined for {} values",
                a.dtype()
            )))
        }
    };
    Tensor::new(out, buffer)
}

/// `a op b` like `binary`, written over `a`'s values where that is possible: float
/// arithmetic whose result has `a`'s shape, with `a` the only owner of its values. Saves
/// allocating and filling a second buffer of the image's size in image pipelines.
pub fn binary_into(op: BinaryOp, mut a: Tensor, b: &Tensor) -> Result<Tensor> {
    let arithmetic = matches!(
        op,
        BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Div
    );
    let fits = arithmetic
        && a.dtype() == b.dtype()
        && (b.num_elements() == 1 || a.shape() == b.shape())
        && a.shape().len() >= b.shape().len();
    if fits {
        let done = match (a.values_mut(), b.buffer()) {
            (Some(Buffer::Float32(x)), Buffer::Float32(y)) => float_in_place(op, x.make_vec(), y),
            (Some(Buffer::Float64(x)), Buffer::Float64(y)) => float_in_place(op, x.make_vec(), y),
            _ => false,
        };
        if done {
            return Ok(a);
        }
    }
    binary(op, &a, b)
}

/// `x[i] = x[i] op y[i]` (or `op y[0]` for one value of `y`); false for other operations.
fn float_in_place<T>(op: BinaryOp, x: &mut [T], y: &[T]) -> bool
where
    T: Copy + std::ops::Add<Output = T> + std::ops::Sub<Output = T>,
    T: std::ops::Mul<Output = T> + std::ops::Div<Output = T>,
{
    macro_rules! apply {
        ($f:expr) => {{
            let f = $f;
            if let [scalar] = *y {
                x.iter_mut().for_each(|v| *v = f(*v, scalar));
            } else {
                x.iter_mut().zip(y).for_each(|(v, &w)| *v = f(*v, w));
            }
            true
        }};
    }
    match op {
        BinaryOp::Add => apply!(|p: T, q: T| p + q),
        BinaryOp::Sub => apply!(|p: T, q: T| p - q),
        BinaryOp::Mul => apply!(|p: T, q: T| p * q),
        BinaryOp::Div => apply!(|p: T, q: T| p / q),
        _ => false,
    }
}

/// The dtype `binary(op, ..)` produces for operands of `dtype`.
pub fn result_dtype(op: BinaryOp, dtype: DType) -> DType {
    if op.is_comparison() {
        DType::Bool
    } else if op == BinaryOp::Div && dtype.is_integer() {
        DType::Float64
    } else {
        dtype
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floor_division_and_powers_as_tensorflow() {
        let x = Tensor::from_vec(vec![5], vec![-7i32, -1, 0, 5, 7]).unwrap();
        let y = Tensor::from_vec(vec![5], vec![2i32, -3, 4, -2, 3]).unwrap();
        let mod_ = binary(BinaryOp::FloorMod, &x, &y).unwrap();
        assert_eq!(mod_.as_slice::<i32>().unwrap(), [1, -1, 0, -1, 1]);
        let div = binary(BinaryOp::FloorDiv, &x, &y).unwrap();
        assert_eq!(div.as_slice::<i32>().unwrap(), [-4, 0, 0, -3, 2]);
        let two = Tensor::scalar(2i32);
        assert_eq!(
            binary(BinaryOp::Pow, &x, &two)
                .unwrap()
                .as_slice::<i32>()
                .unwrap(),
            [49, 1, 0, 25, 49]
        );
        let min = Tensor::scalar(i32::MIN);
        let div = binary(BinaryOp::FloorDiv, &min, &Tensor::scalar(-1i32)).unwrap();
        assert_eq!(div.as_slice::<i32>().unwrap(), [i32::MIN]);
        assert!(binary(BinaryOp::FloorDiv, &x, &Tensor::scalar(0i32)).is_err());
        assert!(binary(BinaryOp::Pow, &x, &Tensor::scalar(-1i32)).is_err());
        let xf = Tensor::from_vec(vec![3], vec![-7.5f32, 1.0, 5.5]).unwrap();
        let yf = Tensor::from_vec(vec![3], vec![2.0f32, -3.0, 0.0]).unwrap();
        let m = binary(BinaryOp::FloorMod, &xf, &yf).unwrap();
        let m = m.as_slice::<f32>().unwrap();
        assert_eq!(&m[..2], [0.5, -2.0]);
        assert!(m[2].is_nan());
        let d = binary(BinaryOp::FloorDiv, &xf, &yf).unwrap();
        assert_eq!(d.as_slice::<f32>().unwrap(), [-4.0, -1.0, f32::INFINITY]);
    }
    use crate::engine::StringBuf;

    #[test]
    fn strings_compare_for_equality_with_broadcasting() {
        let names =
            Tensor::new(vec![3], StringBuf::from_items(["daisy", "roses", "tulips"])).unwrap();
        let label = Tensor::scalar_bytes(b"roses");
        let eq = binary(BinaryOp::Equal, &label, &names).unwrap();
        assert_eq!(eq.as_slice::<bool>().unwrap(), &[false, true, false]);
        let ne = binary(BinaryOp::NotEqual, &names, &label).unwrap();
        assert_eq!(ne.as_slice::<bool>().unwrap(), &[true, false, true]);
        assert!(binary(BinaryOp::Less, &names, &label).is_err());
    }

    #[test]
    fn broadcasting_arithmetic() {
        let a = Tensor::from_vec(vec![2, 3], vec![1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0]).unwrap();
        let row = Tensor::from_vec(vec![3], vec![10.0f32, 20.0, 30.0]).unwrap();
        let col = Tensor::from_vec(vec![2, 1], vec![1.0f32, 2.0]).unwrap();
        let s = binary(BinaryOp::Add, &a, &row).unwrap();
        assert_eq!(
            s.as_slice::<f32>().unwrap(),
            &[11.0, 22.0, 33.0, 14.0, 25.0, 36.0]
        );
        let m = binary(BinaryOp::Mul, &a, &col).unwrap();
        assert_eq!(
            m.as_slice::<f32>().unwrap(),
            &[1.0, 2.0, 3.0, 8.0, 10.0, 12.0]
        );
        let lt = binary(BinaryOp::Less, &a, &Tensor::scalar(3.5f32)).unwrap();
        assert_eq!(
            lt.as_slice::<bool>().unwrap(),
            &[true, true, true, false, false, false]
        );
        assert!(binary(
            BinaryOp::Add,
            &a,
            &Tensor::from_vec(vec![2], vec![1.0f32, 2.0]).unwrap()
        )
        .is_err());
    }

    #[test]
    fn arithmetic_in_place_reuses_only_unshared_buffers() {
        let a = Tensor::from_vec(vec![2, 2], vec![2.0f32, 4.0, 6.0, 8.0]).unwrap();
        let address = a.as_slice::<f32>().unwrap().as_ptr();
        let half = binary_into(BinaryOp::Div, a, &Tensor::scalar(2.0f32)).unwrap();
        assert_eq!(half.as_slice::<f32>().unwrap(), &[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(half.as_slice::<f32>().unwrap().as_ptr(), address);

        let kept = half.clone();
        let sum = binary_into(BinaryOp::Add, half, &kept).unwrap();
        assert_eq!(sum.as_slice::<f32>().unwrap(), &[2.0, 4.0, 6.0, 8.0]);
        assert_eq!(kept.as_slice::<f32>().unwrap(), &[1.0, 2.0, 3.0, 4.0]);

        // A result of another shape (broadcasting `a`) cannot be written over `a`.
        let row = Tensor::from_vec(vec![2], vec![1.0f32, 2.0]).unwrap();
        let col = Tensor::from_vec(vec![2, 1], vec![10.0f32, 20.0]).unwrap();
        let grid = binary_into(BinaryOp::Mul, row, &col).unwrap();
        assert_eq!(grid.shape(), &[2, 2]);
        assert_eq!(grid.as_slice::<f32>().unwrap(), &[10.0, 20.0, 20.0, 40.0]);
    }

    #[test]
    fn integer_division_is_true_division() {
        let a = Tensor::from_vec(vec![2], vec![7i64, -3]).unwrap();
        let d = binary(BinaryOp::Div, &a, &Tensor::scalar(2i64)).unwrap();
        assert_eq!(d.as_slice::<f64>().unwrap(), &[3.5, -1.5]);
        assert_eq!(result_dtype(BinaryOp::Div, DType::Int64), DType::Float64);
    }
}
