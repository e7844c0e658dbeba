//! TensorFlow's `TensorProto` wire format, as `tf.io.serialize_tensor` writes it and
//! `tf.io.parse_tensor` reads it: dtype, shape, and the values as raw little-endian bytes
//! (`tensor_content`) or, for strings, one `string_val` per value. Reading also takes the
//! typed value fields (`float_val`, `int64_val` ...) that other writers use, repeating the
//! last value when fewer are given, as TensorFlow does.

use half::f16;

use super::protowire::{put_len_prefix, put_tag, put_varint, WireReader, WireType};
use crate::engine::memory::{bytes_of, probe};
use crate::engine::{Buffer, DType, Error, NativeType, Result, StringBuf, Tensor};

/// TensorFlow's `DataType` number of each dtype.
fn code(dtype: DType) -> u64 {
    match dtype {
        DType::Float32 => 1,
        DType::Float64 => 2,
        DType::Int32 => 3,
        DType::UInt8 => 4,
        DType::Int16 => 5,
        DType::Int8 => 6,
        DType::String => 7,
        DType::Int64 => 9,
        DType::Bool => 10,
        DType::UInt16 => 17,
        DType::Float16 => 19,
        DType::UInt32 => 22,
        DType::UInt64 => 23,
    }
}

fn from_code(value: u64) -> Result<DType> {
    [
        DType::Float32,
        DType::Float64,
        DType::Int32,
        DType::UInt8,
        DType::Int16,
        DType::Int8,
        DType::String,
        DType::Int64,
        DType::Bool,
        DType::UInt16,
        DType::Float16,
        DType::UInt32,
        DType::UInt64,
    ]
    .into_iter()
    .find(|&d| code(d) == value)
    .ok_or_else(|| Error::InvalidArgument(format!("TensorProto: unsupported DataType {value}")))
}

trait Raw: NativeType {
    fn put(self, out: &mut Vec<u8>);
    fn take(bytes: &[u8]) -> Self;
}

macro_rules! raw_le {
    ($($t:ty),*) => {$(
        impl Raw for $t {
            fn put(self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
            fn take(bytes: &[u8]) -> Self {
                <$t>::from_le_bytes(bytes.try_into().expect("sized chunk"))
            }
        }
    )*};
}
raw_le!(i8, i16, i32, i64, u8, u16, u32, u64, f32, f64);

impl Raw for bool {
    fn put(self, out: &mut Vec<u8>) {
        out.push(self as u8);
    }
    fn take(bytes: &[u8]) -> Self {
        bytes[0] != 0
    }
}

impl Raw for f16 {
    fn put(self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_bits().to_le_bytes());
    }
    fn take(bytes: &[u8]) -> Self {
        f16::from_bits(u16::from_le_bytes([bytes[0], bytes[1]]))
    }
}

/// `t` as the bytes `tf.io.serialize_tensor` gives.
pub fn serialize_tensor(t: &Tensor) -> Vec<u8> {
    let mut out = Vec::new();
    put_tag(&mut out, 1, WireType::Varint);
    put_varint(&mut out, code(t.dtype()));
    let mut shape = Vec::new();
    for &d in t.shape() {
        let mut dim = Vec::new();
        if d != 0 {
            put_tag(&mut dim, 1, WireType::Varint);
            put_varint(&mut dim, d as u64);
        }
        put_len_prefix(&mut shape, 2, dim.len());
        shape.extend_from_slice(&dim);
    }
    put_len_prefix(&mut out, 2, shape.len());
    out.extend_from_slice(&shape);
    fn content<T: Raw>(values: &[T]) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(std::mem::size_of_val(values));
        values.iter().for_each(|&v| v.put(&mut bytes));
        bytes
    }
    let raw = crate::match_buffer!(
        t.buffer(),
        v => content(v),
        s => {
            for item in s.iter() {
                put_len_prefix(&mut out, 8, item.len());
                out.extend_from_slice(item);
            }
            return out;
        }
    );
    if !raw.is_empty() {
        put_len_prefix(&mut out, 4, raw.len());
        out.extend_from_slice(&raw);
    }
    out
}

fn malformed(what: impl std::fmt::Display) -> Error {
    Error::InvalidArgument(format!("could not parse serialized as TensorProto: {what}"))
}

fn shape_of(bytes: &[u8]) -> Result<Vec<usize>> {
    let mut reader = WireReader::new(bytes);
    let mut dims = Vec::new();
    while !reader.is_empty() {
        match reader.tag()? {
            (2, WireType::Len) => {
                let mut dim = WireReader::new(reader.bytes()?);
                let mut size = 0i64;
                while !dim.is_empty() {
                    match dim.tag()? {
                        (1, WireType::Varint) => size = dim.varint()? as i64,
                        (field, wire) => dim.skip(field, wire)?,
                    }
                }
                dims.push(
                    usize::try_from(size).map_err(|_| malformed(format!("dimension {size}")))?,
                );
            }
            (3, WireType::Varint) if reader.varint()? != 0 => {
                return Err(malformed("a tensor of unknown rank"))
            }
            (field, wire) => reader.skip(field, wire)?,
        }
    }
    Ok(dims)
}

/// One typed value field (`float_val` ...): the values, packed or not.
#[derive(Default)]
struct Values {
    numbers: Vec<u64>,
    strings: Vec<Vec<u8>>,
}

fn typed_field(dtype: DType) -> u32 {
    match dtype {
        DType::Float16 => 13,
        DType::Float32 => 5,
        DType::Float64 => 6,
        DType::Int32 | DType::Int16 | DType::Int8 | DType::UInt8 | DType::UInt16 => 7,
        DType::String => 8,
        DType::Int64 => 10,
        DType::Bool => 11,
        DType::UInt32 => 16,
        DType::UInt64 => 17,
    }
}

fn fixed_width(dtype: DType) -> Option<usize> {
    match dtype {
        DType::Float32 => Some(4),
        DType::Float64 => Some(8),
        _ => None,
    }
}

/// Reads the tensor `tf.io.parse_tensor` reads from `bytes`, which must hold `expected`.
pub fn parse_tensor(bytes: &[u8], expected: DType) -> Result<Tensor> {
    let mut reader = WireReader::new(bytes);
    let (mut dtype, mut shape, mut content) = (None, Vec::new(), None);
    let mut values = Values::default();
    let wanted = typed_field(expected);
    while !reader.is_empty() {
        let (field, wire) = reader.tag().map_err(malformed)?;
        match (field, wire) {
            (1, WireType::Varint) => dtype = Some(from_code(reader.varint().map_err(malformed)?)?),
            (2, WireType::Len) => shape = shape_of(reader.bytes().map_err(malformed)?)?,
            (4, WireType::Len) => content = Some(reader.bytes().map_err(malformed)?),
            (8, WireType::Len) if wanted == 8 => values
                .strings
                .push(reader.bytes().map_err(malformed)?.to_vec()),
            (f, WireType::Len) if f == wanted => {
                let mut packed = WireReader::new(reader.bytes().map_err(malformed)?);
                while !packed.is_empty() {
                    values.numbers.push(match fixed_width(expected) {
                        Some(4) => packed.fixed32().map_err(malformed)? as u64,
                        Some(_) => packed.fixed64().map_err(malformed)?,
                        None => packed.varint().map_err(malformed)?,
                    });
                }
            }
            (f, WireType::Varint) if f == wanted => {
                values.numbers.push(reader.varint().map_err(malformed)?)
            }
            (f, WireType::Fixed32) if f == wanted => values
                .numbers
                .push(reader.fixed32().map_err(malformed)? as u64),
            (f, WireType::Fixed64) if f == wanted => {
                values.numbers.push(reader.fixed64().map_err(malformed)?)
            }
            (field, wire) => reader.skip(field, wire).map_err(malformed)?,
        }
    }
    let dtype = dtype.ok_or_else(|| malformed("no dtype"))?;
    if dtype != expected {
        return Err(Error::InvalidArgument(format!(
            "Type mismatch between parsed tensor ({dtype}) and dtype ({expected})"
        )));
    }
    // The shape is data: its size is checked before anything of that size is allocated.
    let what = || format!("parse_tensor: a tensor of shape {shape:?}");
    let count = shape
        .iter()
        .try_fold(1usize, |n, &d| bytes_of(n, d, &what))?;
    probe(bytes_of(count, 8, &what)?, &what)?;
    if let Some(raw) = content.filter(|_| dtype != DType::String) {
        return Tensor::new(shape, from_content(dtype, raw, count)?);
    }
    if dtype == DType::String {
        let mut strings = StringBuf::new();
        for i in 0..count {
            strings.push(repeated(&values.strings, i).map_or(&[][..], |s| s.as_slice()));
        }
        return Tensor::new(shape, strings);
    }
    Tensor::new(shape, from_numbers(dtype, &values.numbers, count))
}

/// Item `i` of `items`, or the last one past its end (how TensorFlow reads short fields).
fn repeated<T>(items: &[T], i: usize) -> Option<&T> {
    items.get(i.min(items.len().saturating_sub(1)))
}

fn from_content(dtype: DType, raw: &[u8], count: usize) -> Result<Buffer> {
    fn read<T: Raw>(raw: &[u8], count: usize) -> Result<Buffer>
    where
        Vec<T>: Into<Buffer>,
    {
        let width = std::mem::size_of::<T>();
        if count.checked_mul(width) != Some(raw.len()) {
            return Err(malformed(format!(
                "{} bytes of content for {count} values of {width} bytes",
                raw.len()
            )));
        }
        Ok(raw
            .chunks_exact(width)
            .map(T::take)
            .collect::<Vec<T>>()
            .into())
    }
    match dtype {
        DType::Bool => read::<bool>(raw, count),
        DType::Int8 => read::<i8>(raw, count),
        DType::Int16 => read::<i16>(raw, count),
        DType::Int32 => read::<i32>(raw, count),
        DType::Int64 => read::<i64>(raw, count),
        DType::UInt8 => read::<u8>(raw, count),
        DType::UInt16 => read::<u16>(raw, count),
        DType::UInt32 => read::<u32>(raw, count),
        DType::UInt64 => read::<u64>(raw, count),
        DType::Float16 => read::<f16>(raw, count),
        DType::Float32 => read::<f32>(raw, count),
        DType::Float64 => read::<f64>(raw, count),
        DType::String => unreachable!("strings have no content field"),
    }
}

fn from_numbers(dtype: DType, numbers: &[u64], count: usize) -> Buffer {
    let at = |i: usize| repeated(numbers, i).copied().unwrap_or(0);
    macro_rules! each {
        ($f:expr) => {
            (0..count).map(|i| $f(at(i))).collect::<Vec<_>>().into()
        };
    }
    match dtype {
        DType::Bool => each!(|v: u64| v != 0),
        DType::Int8 => each!(|v: u64| v as i8),
        DType::Int16 => each!(|v: u64| v as i16),
        DType::Int32 => each!(|v: u64| v as i32),
        DType::Int64 => each!(|v: u64| v as i64),
        DType::UInt8 => each!(|v: u64| v as u8),
        DType::UInt16 => each!(|v: u64| v as u16),
        DType::UInt32 => each!(|v: u64| v as u32),
        DType::UInt64 => each!(|v: u64| v),
        DType::Float16 => each!(|v: u64| f16::from_bits(v as u16)),
        DType::Float32 => each!(|v: u64| f32::from_bits(v as u32)),
        DType::Float64 => each!(|v: u64| f64::from_bits(v)),
        DType::String => unreachable!("strings are read apart"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn writes_tensorflows_bytes() {
        // From tf.io.serialize_tensor in TensorFlow 2.21.
        let cases = [
            (Tensor::scalar(3i32), "08031200220403000000"),
            (
                Tensor::from_vec(vec![2], vec![1.5f32, 2.0]).unwrap(),
                "080112041202080222080000c03f00000040",
            ),
            (Tensor::scalar_bytes(b"ab"), "0807120042026162"),
            (
                Tensor::new(vec![3], StringBuf::from_items([&b"x"[..], b"", b"yz"])).unwrap(),
                "080712041202080342017842004202797a",
            ),
            (
                Tensor::from_vec(vec![0, 2], Vec::<f32>::new()).unwrap(),
                "08011206120012020802",
            ),
            (
                Tensor::from_vec(vec![2], vec![true, false]).unwrap(),
                "080a12041202080222020100",
            ),
        ];
        for (tensor, want) in cases {
            let bytes = serialize_tensor(&tensor);
            assert_eq!(hex(&bytes), want);
            let back = parse_tensor(&bytes, tensor.dtype()).unwrap();
            assert_eq!(back.shape(), tensor.shape());
            assert_eq!(serialize_tensor(&back), bytes);
        }
    }

    #[test]
    fn reads_typed_value_fields_and_refuses_mismatches() {
        // TensorProto(dtype=DT_FLOAT, shape [2], float_val=[1, 2]), as TensorFlow wrote it.
        let bytes = [
            0x08, 0x01, 0x12, 0x04, 0x12, 0x02, 0x08, 0x02, 0x2a, 0x08, 0, 0, 0x80, 0x3f, 0, 0, 0,
            0x40,
        ];
        let t = parse_tensor(&bytes, DType::Float32).unwrap();
        assert_eq!(t.as_slice::<f32>().unwrap(), [1.0, 2.0]);
        // dtype int32, shape [3], int_val = [5]: the last value repeats.
        let short = [0x08, 0x03, 0x12, 0x04, 0x12, 0x02, 0x08, 0x03, 0x38, 0x05];
        let t = parse_tensor(&short, DType::Int32).unwrap();
        assert_eq!(t.as_slice::<i32>().unwrap(), [5, 5, 5]);
        let err = parse_tensor(&short, DType::Float32)
            .unwrap_err()
            .to_string();
        assert!(err.contains("Type mismatch between parsed tensor (int32) and dtype (float32)"));
        assert!(parse_tensor(&[0xff, 0xff], DType::Float32).is_err());
        let lying = [
            0x08, 0x01, 0x12, 0x04, 0x12, 0x02, 0x08, 0x09, 0x22, 0x01, 0x00,
        ];
        assert!(parse_tensor(&lying, DType::Float32).is_err());
        // Shape [2^40] and no values: refused, not allocated.
        let huge = [
            0x08, 0x03, 0x12, 0x09, 0x12, 0x07, 0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20,
        ];
        let refused = parse_tensor(&huge, DType::Int32).unwrap_err().to_string();
        assert!(refused.contains("[1099511627776]"), "{refused}");
    }
}
