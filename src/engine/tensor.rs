//! Tensors: a dtype, a shape and one buffer. Numeric data lives in a typed `Vec` (so it is
//! aligned for its type); strings are Arrow-style offsets into one byte buffer.

use std::sync::Arc;

use half::f16;

use super::bufpool;
use super::dtype::{DType, NativeType};
use super::error::{Error, Result};
use super::storage::Storage;

/// Variable-length byte strings stored as `offsets` (len + 1 entries) into `values`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StringBuf {
    offsets: Vec<usize>,
    values: Vec<u8>,
}

impl StringBuf {
    pub fn new() -> Self {
        StringBuf {
            offsets: vec![0],
            values: Vec::new(),
        }
    }

    pub fn with_capacity(items: usize, bytes: usize) -> Self {
        let mut offsets = Vec::with_capacity(items + 1);
        offsets.push(0);
        StringBuf {
            offsets,
            values: bufpool::take(bytes),
        }
    }

    /// Makes room for `more` bytes; large buffers come from (and return to) the pool.
    fn reserve(&mut self, more: usize) {
        let needed = self.values.len() + more;
        if needed <= self.values.capacity() {
            return;
        }
        let target = needed.max(2 * self.values.capacity());
        if target < bufpool::MIN_POOLED {
            self.values.reserve(target - self.values.len());
            return;
        }
        let mut bigger = bufpool::take(target);
        bigger.extend_from_slice(&self.values);
        bufpool::give(std::mem::replace(&mut self.values, bigger));
    }

    pub fn from_items<I, B>(items: I) -> Self
    where
        I: IntoIterator<Item = B>,
        B: AsRef<[u8]>,
    {
        let mut buf = StringBuf::new();
        for item in items {
            buf.push(item.as_ref());
        }
        buf
    }

    /// Strings `offsets[i]..offsets[i + 1]` of `values`, copied in one piece (offsets are
    /// rebased to start at 0).
    pub fn from_offsets(offsets: impl ExactSizeIterator<Item = usize>, values: &[u8]) -> Self {
        let offsets: Vec<usize> = offsets.collect();
        let (first, last) = match (offsets.first(), offsets.last()) {
            (Some(&first), Some(&last)) => (first, last),
            _ => return StringBuf::new(),
        };
        // Room for just these strings: `values` may be a whole column's bytes.
        let mut out = StringBuf::with_capacity(offsets.len() - 1, last - first);
        out.offsets = offsets.iter().map(|o| o - first).collect();
        out.values.extend_from_slice(&values[first..last]);
        out
    }

    /// One string, taking `bytes` without a copy.
    pub fn single(bytes: Vec<u8>) -> Self {
        StringBuf {
            offsets: vec![0, bytes.len()],
            values: bytes,
        }
    }

    pub fn push(&mut self, item: &[u8]) {
        self.reserve(item.len());
        self.values.extend_from_slice(item);
        self.offsets.push(self.values.len());
    }

    pub fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn get(&self, i: usize) -> &[u8] {
        &self.values[self.offsets[i]..self.offsets[i + 1]]
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = &[u8]> + '_ {
        self.offsets.windows(2).map(|w| &self.values[w[0]..w[1]])
    }

    /// Appends items `start..end` of `other`.
    pub fn extend_from_range(&mut self, other: &StringBuf, start: usize, end: usize) {
        let base = other.offsets[start];
        let shift = self.values.len();
        let bytes = &other.values[base..other.offsets[end]];
        self.reserve(bytes.len());
        self.values.extend_from_slice(bytes);
        self.offsets.extend(
            other.offsets[start + 1..=end]
                .iter()
                .map(|o| o - base + shift),
        );
    }

    pub fn offsets(&self) -> &[usize] {
        &self.offsets
    }

    pub fn values(&self) -> &[u8] {
        &self.values
    }

    /// The offsets and the bytes, moved out (the bytes leave the pool for good).
    pub fn into_parts(mut self) -> (Vec<usize>, Vec<u8>) {
        (
            std::mem::take(&mut self.offsets),
            std::mem::take(&mut self.values),
        )
    }
}

impl Drop for StringBuf {
    fn drop(&mut self) {
        bufpool::give(std::mem::take(&mut self.values));
    }
}

/// The storage of a tensor: one typed vector.
#[derive(Debug, Clone, PartialEq)]
pub enum Buffer {
    Bool(Storage<bool>),
    Int8(Storage<i8>),
    Int16(Storage<i16>),
    Int32(Storage<i32>),
    Int64(Storage<i64>),
    UInt8(Storage<u8>),
    UInt16(Storage<u16>),
    UInt32(Storage<u32>),
    UInt64(Storage<u64>),
    Float16(Storage<f16>),
    Float32(Storage<f32>),
    Float64(Storage<f64>),
    String(StringBuf),
}

/// Runs `$body` with `$v` bound to the typed vector inside a numeric `Buffer`; `$strings`
/// handles the string case.
#[macro_export]
macro_rules! match_buffer {
    ($buf:expr, $v:ident => $body:expr, $s:ident => $strings:expr) => {
        match $buf {
            $crate::engine::tensor::Buffer::Bool($v) => $body,
            $crate::engine::tensor::Buffer::Int8($v) => $body,
            $crate::engine::tensor::Buffer::Int16($v) => $body,
            $crate::engine::tensor::Buffer::Int32($v) => $body,
            $crate::engine::tensor::Buffer::Int64($v) => $body,
            $crate::engine::tensor::Buffer::UInt8($v) => $body,
            $crate::engine::tensor::Buffer::UInt16($v) => $body,
            $crate::engine::tensor::Buffer::UInt32($v) => $body,
            $crate::engine::tensor::Buffer::UInt64($v) => $body,
            $crate::engine::tensor::Buffer::Float16($v) => $body,
            $crate::engine::tensor::Buffer::Float32($v) => $body,
            $crate::engine::tensor::Buffer::Float64($v) => $body,
            $crate::engine::tensor::Buffer::String($s) => $strings,
        }
    };
}

/// Like `match_buffer!` over two buffers of the same dtype; `$mismatch` runs otherwise.
macro_rules! match_buffer_pair {
    ($a:expr, $b:expr, ($x:ident, $y:ident) => $body:expr, ($sx:ident, $sy:ident) => $strings:expr, $mismatch:expr) => {
        match ($a, $b) {
            (Buffer::Bool($x), Buffer::Bool($y)) => $body,
            (Buffer::Int8($x), Buffer::Int8($y)) => $body,
            (Buffer::Int16($x), Buffer::Int16($y)) => $body,
            (Buffer::Int32($x), Buffer::Int32($y)) => $body,
            (Buffer::Int64($x), Buffer::Int64($y)) => $body,
            (Buffer::UInt8($x), Buffer::UInt8($y)) => $body,
            (Buffer::UInt16($x), Buffer::UInt16($y)) => $body,
            (Buffer::UInt32($x), Buffer::UInt32($y)) => $body,
            (Buffer::UInt64($x), Buffer::UInt64($y)) => $body,
            (Buffer::Float16($x), Buffer::Float16($y)) => $body,
            (Buffer::Float32($x), Buffer::Float32($y)) => $body,
            (Buffer::Float64($x), Buffer::Float64($y)) => $body,
            (Buffer::String($sx), Buffer::String($sy)) => $strings,
            _ => $mismatch,
        }
    };
}

impl Buffer {
    pub fn dtype(&self) -> DType {
        match self {
            Buffer::Bool(_) => DType::Bool,
            Buffer::Int8(_) => DType::Int8,
            Buffer::Int16(_) => DType::Int16,
            Buffer::Int32(_) => DType::Int32,
            Buffer::Int64(_) => DType::Int64,
            Buffer::UInt8(_) => DType::UInt8,
            Buffer::UInt16(_) => DType::UInt16,
            Buffer::UInt32(_) => DType::UInt32,
            Buffer::UInt64(_) => DType::UInt64,
            Buffer::Float16(_) => DType::Float16,
            Buffer::Float32(_) => DType::Float32,
            Buffer::Float64(_) => DType::Float64,
            Buffer::String(_) => DType::String,
        }
    }

    pub fn len(&self) -> usize {
        match_buffer!(self, v => v.len(), s => s.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// An empty buffer of `dtype` with room for `items` elements.
    pub fn with_capacity(dtype: DType, items: usize) -> Buffer {
        match dtype {
            DType::Bool => Buffer::Bool(Vec::with_capacity(items).into()),
            DType::Int8 => Buffer::Int8(Vec::with_capacity(items).into()),
            DType::Int16 => Buffer::Int16(Vec::with_capacity(items).into()),
            DType::Int32 => Buffer::Int32(Vec::with_capacity(items).into()),
            DType::Int64 => Buffer::Int64(Vec::with_capacity(items).into()),
            DType::UInt8 => Buffer::UInt8(Vec::with_capacity(items).into()),
            DType::UInt16 => Buffer::UInt16(Vec::with_capacity(items).into()),
            DType::UInt32 => Buffer::UInt32(Vec::with_capacity(items).into()),
            DType::UInt64 => Buffer::UInt64(Vec::with_capacity(items).into()),
            DType::Float16 => Buffer::Float16(Vec::with_capacity(items).into()),
            DType::Float32 => Buffer::Float32(Vec::with_capacity(items).into()),
            DType::Float64 => Buffer::Float64(Vec::with_capacity(items).into()),
            DType::String => Buffer::String(StringBuf::with_capacity(items, 0)),
        }
    }

    /// Appends items `start..end` of `other`, which must have the same dtype.
    pub fn extend_from_range(&mut self, other: &Buffer, start: usize, end: usize) -> Result<()> {
        let (a, b) = (self.dtype(), other.dtype());
        match_buffer_pair!(
            self, other,
            (x, y) => x.make_vec().extend_from_slice(&y[start..end]),
            (sx, sy) => sx.extend_from_range(sy, start, end),
            return Err(Error::InvalidArgument(format!("cannot combine {b} values with {a} values")))
        );
        Ok(())
    }

    /// Appends `count` copies of item `index` of `fill` (same dtype).
    pub fn extend_repeated(&mut self, fill: &Buffer, index: usize, count: usize) -> Result<()> {
        let (a, b) = (self.dtype(), fill.dtype());
        match_buffer_pair!(
            self, fill,
            (x, y) => x.make_vec().extend(std::iter::repeat_n(y[index], count)),
            (sx, sy) => (0..count).for_each(|_| sx.push(sy.get(index))),
            return Err(Error::InvalidArgument(format!("cannot pad {a} values with a {b} value")))
        );
        Ok(())
    }
}

impl<T: NativeType> From<Vec<T>> for Buffer {
    fn from(v: Vec<T>) -> Buffer {
        Buffer::from(Storage::from(v))
    }
}

impl<T: NativeType> From<Storage<T>> for Buffer {
    fn from(v: Storage<T>) -> Buffer {
        // The `NativeType` impls are exactly the numeric variants, so this transmute-free
        // dispatch goes through `Any`.
        let mut slot = Some(v);
        let any = &mut slot as &mut dyn std::any::Any;
        macro_rules! try_variant {
            ($t:ty, $variant:ident) => {
                if let Some(v) = any.downcast_mut::<Option<Storage<$t>>>() {
                    return Buffer::$variant(v.take().expect("taken once"));
                }
            };
        }
        try_variant!(bool, Bool);
        try_variant!(i8, Int8);
        try_variant!(i16, Int16);
        try_variant!(i32, Int32);
        try_variant!(i64, Int64);
        try_variant!(u8, UInt8);
        try_variant!(u16, UInt16);
        try_variant!(u32, UInt32);
        try_variant!(u64, UInt64);
        try_variant!(f16, Float16);
        try_variant!(f32, Float32);
        try_variant!(f64, Float64);
        unreachable!("every NativeType has a Buffer variant")
    }
}

impl From<StringBuf> for Buffer {
    fn from(s: StringBuf) -> Buffer {
        Buffer::String(s)
    }
}

/// A dense n-dimensional value. Cloning shares the buffer.
#[derive(Debug, Clone, PartialEq)]
pub struct Tensor {
    shape: Vec<usize>,
    buffer: Arc<Buffer>,
}

/// The bytes an element's buffers hold (what buffering it costs in memory).
pub fn element_bytes(element: &Element) -> u64 {
    element
        .iter()
        .map(|t| match t.buffer() {
            Buffer::String(s) => (s.values().len() + 8 * s.offsets().len()) as u64,
            b => (b.len() * b.dtype().item_size().unwrap_or(8)) as u64,
        })
        .sum()
}

/// One element of a dataset: its tensors in flattened order. The nesting (tuples, dicts) is
/// kept once per dataset by whoever built it, not on each element.
pub type Element = Vec<Tensor>;

impl Tensor {
    /// A tensor of `shape` over `buffer`; fails if the sizes disagree.
    pub fn new(shape: Vec<usize>, buffer: impl Into<Buffer>) -> Result<Tensor> {
        let buffer = buffer.into();
        let expected: usize = shape.iter().product();
        if expected != buffer.len() {
            return Err(Error::InvalidArgument(format!(
                "a tensor of shape {shape:?} needs {expected} values, got {}",
                buffer.len()
            )));
        }
        Ok(Tensor {
            shape,
            buffer: Arc::new(buffer),
        })
    }

    pub fn scalar<T: NativeType>(value: T) -> Tensor {
        Tensor {
            shape: Vec::new(),
            buffer: Arc::new(Buffer::from(vec![value])),
        }
    }

    pub fn scalar_bytes(value: &[u8]) -> Tensor {
        Tensor {
            shape: Vec::new(),
            buffer: Arc::new(Buffer::String(StringBuf::from_items([value]))),
        }
    }

    pub fn from_vec<T: NativeType>(shape: Vec<usize>, values: Vec<T>) -> Result<Tensor> {
        Tensor::new(shape, values)
    }

    pub fn dtype(&self) -> DType {
        self.buffer.dtype()
    }

    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    pub fn rank(&self) -> usize {
        self.shape.len()
    }

    pub fn num_elements(&self) -> usize {
        self.buffer.len()
    }

    pub fn buffer(&self) -> &Buffer {
        &self.buffer
    }

    /// The same values under another shape of as many elements (the buffer is shared).
    pub fn with_shape(&self, shape: Vec<usize>) -> Result<Tensor> {
        if shape.iter().product::<usize>() != self.num_elements() {
            return Err(Error::InvalidArgument(format!(
                "cannot view {} values as shape {shape:?}",
                self.num_elements()
            )));
        }
        Ok(Tensor {
            shape,
            buffer: self.buffer.clone(),
        })
    }

    /// The buffer to write to, when this tensor is its only owner (`None` when shared).
    pub fn values_mut(&mut self) -> Option<&mut Buffer> {
        Arc::get_mut(&mut self.buffer)
    }

    /// The buffer, without a copy when this tensor is its only owner.
    pub fn into_parts(self) -> (Vec<usize>, Buffer) {
        let buffer = Arc::try_unwrap(self.buffer).unwrap_or_else(|shared| (*shared).clone());
        (self.shape, buffer)
    }

    pub fn as_slice<T: NativeType>(&self) -> Option<&[T]> {
        macro_rules! slice_of {
            ($variant:ident) => {
                if let Buffer::$variant(v) = &*self.buffer {
                    return (v as &dyn std::any::Any)
                        .downcast_ref::<Storage<T>>()
                        .map(|v| &**v);
                }
            };
        }
        slice_of!(Bool);
        slice_of!(Int8);
        slice_of!(Int16);
        slice_of!(Int32);
        slice_of!(Int64);
        slice_of!(UInt8);
        slice_of!(UInt16);
        slice_of!(UInt32);
        slice_of!(UInt64);
        slice_of!(Float16);
        slice_of!(Float32);
        slice_of!(Float64);
        None
    }

    pub fn as_strings(&self) -> Option<&StringBuf> {
        match &*self.buffer {
            Buffer::String(s) => Some(s),
            _ => None,
        }
    }

    /// The truth value of a scalar bool tensor (a predicate's result).
    pub fn to_bool_scalar(&self) -> Result<bool> {
        match (&*self.buffer, self.shape.is_empty()) {
            (Buffer::Bool(v), true) => Ok(v[0]),
            _ => Err(Error::InvalidArgument(format!(
                "a predicate must return a scalar bool, got {} of shape {:?}",
                self.dtype(),
                self.shape
            ))),
        }
    }

    /// The number of rows along the first dimension.
    pub fn rows(&self) -> Result<usize> {
        self.shape.first().copied().ok_or_else(|| {
            Error::InvalidArgument("cannot take rows of a scalar (rank 0) tensor".into())
        })
    }

    fn row_len(&self) -> usize {
        self.shape[1..].iter().product()
    }

    /// Rows `start..end` along the first dimension, copied.
    pub fn slice_rows(&self, start: usize, end: usize) -> Result<Tensor> {
        let rows = self.rows()?;
        if start > end || end > rows {
            return Err(Error::OutOfRange(format!(
                "rows {start}..{end} out of range for {rows} rows"
            )));
        }
        let row_len = self.row_len();
        let mut buffer = Buffer::with_capacity(self.dtype(), (end - start) * row_len);
        buffer.extend_from_range(&self.buffer, start * row_len, end * row_len)?;
        let mut shape = self.shape.clone();
        shape[0] = end - start;
        Ok(Tensor {
            shape,
            buffer: Arc::new(buffer),
        })
    }

    /// Row `i` along the first dimension, with that dimension removed.
    pub fn row(&self, i: usize) -> Result<Tensor> {
        let mut t = self.slice_rows(i, i + 1)?;
        t.shape.remove(0);
        Ok(t)
    }

    /// Stacks same-shaped, same-typed tensors along a new first dimension (tf.stack).
    pub fn stack(parts: &[Tensor]) -> Result<Tensor> {
        let first = parts
            .first()
            .ok_or_else(|| Error::InvalidArgument("cannot stack zero tensors".into()))?;
        let mut shape = Vec::with_capacity(first.rank() + 1);
        shape.push(parts.len());
        shape.extend_from_slice(&first.shape);
        Self::concat_parts(parts, shape, |t| {
            if t.shape != first.shape {
                return Err(Error::InvalidArgument(format!(
                    "cannot batch tensors with different shapes: {:?} and {:?}",
                    first.shape, t.shape
                )));
            }
            Ok(())
        })
    }

    /// Concatenates tensors along the first dimension; trailing dimensions must agree.
    pub fn concat_rows(parts: &[Tensor]) -> Result<Tensor> {
        let first = parts
            .first()
            .ok_or_else(|| Error::InvalidArgument("cannot concatenate zero tensors".into()))?;
        first.rows()?;
        let mut rows = 0;
        for t in parts {
            rows += t.rows()?;
            if t.shape[1..] != first.shape[1..] {
                return Err(Error::InvalidArgument(format!(
                    "cannot concatenate tensors with shapes {:?} and {:?}",
                    first.shape, t.shape
                )));
            }
        }
        let mut shape = first.shape.clone();
        shape[0] = rows;
        Self::concat_parts(parts, shape, |_| Ok(()))
    }

    fn concat_parts(
        parts: &[Tensor],
        shape: Vec<usize>,
        check: impl Fn(&Tensor) -> Result<()>,
    ) -> Result<Tensor> {
        let total: usize = parts.iter().map(|t| t.num_elements()).sum();
        let mut buffer = match parts[0].as_strings() {
            // Sized for all the strings at once: a batch of records is megabytes, and growing
            // it by doubling would fault in a new, larger buffer at each step.
            Some(_) => {
                let bytes = parts
                    .iter()
                    .filter_map(|t| t.as_strings())
                    .map(|s| s.values().len())
                    .sum();
                Buffer::String(StringBuf::with_capacity(total, bytes))
            }
            None => Buffer::with_capacity(parts[0].dtype(), total),
        };
        for t in parts {
            check(t)?;
            buffer.extend_from_range(&t.buffer, 0, t.num_elements())?;
        }
        Tensor::new(shape, buffer)
    }

    /// Pads this tensor with `fill` (a one-value tensor of the same dtype) up to `target`,
    /// which must be at least as large in every dimension.
    pub fn pad_to(&self, target: &[usize], fill: &Tensor) -> Result<Tensor> {
        if target.len() != self.rank() {
            return Err(Error::InvalidArgument(format!(
                "cannot pad a tensor of shape {:?} to rank {} shape {target:?}",
                self.shape,
                target.len()
            )));
        }
        if let Some(d) = (0..target.len()).find(|&d| self.shape[d] > target[d]) {
            return Err(Error::InvalidArgument(format!(
                "cannot pad a tensor of shape {:?} to shape {target:?}: dimension {d} is larger",
                self.shape
            )));
        }
        if target == self.shape.as_slice() {
            return Ok(self.clone());
        }
        let total: usize = target.iter().product();
        let mut out = Buffer::with_capacity(self.dtype(), total);
        if self.num_elements() == 0 {
            out.extend_repeated(&fill.buffer, 0, total)?;
            return Tensor::new(target.to_vec(), out);
        }
        self.pad_into(&mut out, 0, 0, target, fill)?;
        Tensor::new(target.to_vec(), out)
    }

    /// Copies the block at `offset` of dimension `dim` into `out`, padded to `target`.
    fn pad_into(
        &self,
        out: &mut Buffer,
        dim: usize,
        offset: usize,
        target: &[usize],
        fill: &Tensor,
    ) -> Result<()> {
        let inner_target: usize = target[dim + 1..].iter().product();
        if dim + 1 == target.len() {
            out.extend_from_range(&self.buffer, offset, offset + self.shape[dim])?;
        } else {
            let inner_src: usize = self.shape[dim + 1..].iter().product();
            for i in 0..self.shape[dim] {
                self.pad_into(out, dim + 1, offset + i * inner_src, target, fill)?;
            }
        }
        let missing = (target[dim] - self.shape[dim]) * inner_target;
        out.extend_repeated(&fill.buffer, 0, missing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stack_and_slice_round_trip() {
        let a = Tensor::from_vec(vec![2], vec![1i64, 2]).unwrap();
        let b = Tensor::from_vec(vec![2], vec![3i64, 4]).unwrap();
        let s = Tensor::stack(&[a.clone(), b.clone()]).unwrap();
        assert_eq!(s.shape(), &[2, 2]);
        assert_eq!(s.as_slice::<i64>().unwrap(), &[1, 2, 3, 4]);
        assert_eq!(s.row(1).unwrap(), b);
        assert_eq!(s.row(0).unwrap(), a);
    }

    #[test]
    fn stack_rejects_shape_mismatch() {
        let a = Tensor::from_vec(vec![2], vec![1i64, 2]).unwrap();
        let b = Tensor::from_vec(vec![1], vec![3i64]).unwrap();
        assert!(matches!(
            Tensor::stack(&[a, b]),
            Err(Error::InvalidArgument(_))
        ));
    }

    #[test]
    fn strings_stack_and_slice() {
        let a = Tensor::scalar_bytes(b"ab");
        let b = Tensor::scalar_bytes(b"");
        let c = Tensor::scalar_bytes(b"xyz");
        let s = Tensor::stack(&[a, b, c.clone()]).unwrap();
        let strings = s.as_strings().unwrap();
        assert_eq!(
            strings.iter().collect::<Vec<_>>(),
            vec![&b"ab"[..], b"", b"xyz"]
        );
        assert_eq!(s.row(2).unwrap(), c);
        let tail = s.slice_rows(1, 3).unwrap();
        assert_eq!(
            tail.as_strings().unwrap().iter().collect::<Vec<_>>(),
            vec![&b""[..], b"xyz"]
        );
    }

    #[test]
    fn pad_to_larger_shape() {
        let t = Tensor::from_vec(vec![2, 2], vec![1i32, 2, 3, 4]).unwrap();
        let fill = Tensor::scalar(0i32);
        let p = t.pad_to(&[3, 3], &fill).unwrap();
        assert_eq!(p.as_slice::<i32>().unwrap(), &[1, 2, 0, 3, 4, 0, 0, 0, 0]);
        assert!(t.pad_to(&[1, 3], &fill).is_err());
    }

    #[test]
    fn concat_rows_checks_trailing_dims() {
        let a = Tensor::from_vec(vec![1, 2], vec![1.0f32, 2.0]).unwrap();
        let b = Tensor::from_vec(vec![2, 2], vec![3.0f32, 4.0, 5.0, 6.0]).unwrap();
        let c = Tensor::concat_rows(&[a, b]).unwrap();
        assert_eq!(c.shape(), &[3, 2]);
        let bad = Tensor::from_vec(vec![1, 3], vec![0.0f32; 3]).unwrap();
        assert!(Tensor::concat_rows(&[c, bad]).is_err());
    }
}
