//! String kernels: `ff.strings.to_number`, `ff.io.decode_raw` and `ff.io.read_file`.

use crate::engine::{Buffer, DType, Error, Result, StringBuf, Tensor};

fn strings<'a>(t: &'a Tensor, op: &str) -> Result<&'a StringBuf> {
    t.as_strings()
        .ok_or_else(|| Error::InvalidArgument(format!("{op} takes strings, got {}", t.dtype())))
}

/// Parses each string as a number of `dtype` (float32, float64, int32 or int64).
pub fn to_number(t: &Tensor, dtype: DType) -> Result<Tensor> {
    let s = strings(t, "strings.to_number")?;
    let text = |b: &[u8]| -> Result<String> {
        std::str::from_utf8(b)
            .map(|x| x.trim().to_string())
            .map_err(|_| Error::invalid("strings.to_number: a string is not UTF-8"))
    };
    let bad = |b: &[u8]| {
        Error::InvalidArgument(format!(
            "StringToNumberOp could not correctly convert string: {}",
            String::from_utf8_lossy(b)
        ))
    };
    macro_rules! parse {
        ($t:ty) => {
            s.iter()
                .map(|b| text(b)?.parse::<$t>().map_err(|_| bad(b)))
                .collect::<Result<Vec<$t>>>()?
                .into()
        };
    }
    let buffer: Buffer = match dtype {
        DType::Float32 => parse!(f32),
        DType::Float64 => parse!(f64),
        DType::Int32 => parse!(i32),
        DType::Int64 => parse!(i64),
        other => {
            return Err(Error::InvalidArgument(format!(
                "strings.to_number: out_type must be float32, float64, int32 or int64, not {other}"
            )))
        }
    };
    Tensor::new(t.shape().to_vec(), buffer)
}

/// Reinterprets each string's bytes as values of `dtype` (a new last dimension); every string
/// must hold the same whole number of values.
pub fn decode_raw(t: &Tensor, dtype: DType, little_endian: bool) -> Result<Tensor> {
    let s = strings(t, "io.decode_raw")?;
    let size = dtype
        .item_size()
        .ok_or_else(|| Error::invalid("io.decode_raw: out_type must be numeric"))?;
    let width = s.iter().next().map_or(0, |b| b.len());
    if s.iter().any(|b| b.len() != width) || width % size != 0 {
        return Err(Error::InvalidArgument(format!(
            "io.decode_raw: every string must hold the same whole number of {dtype} values"
        )));
    }
    let mut bytes: Vec<u8> = s.values().to_vec();
    if little_endian != cfg!(target_endian = "little") {
        bytes.chunks_exact_mut(size).for_each(|c| c.reverse());
    }
    macro_rules! values {
        ($t:ty) => {
            bytes
                .chunks_exact(size)
                .map(|c| <$t>::from_ne_bytes(c.try_into().expect("exact chunk")))
                .collect::<Vec<$t>>()
                .into()
        };
    }
    let buffer: Buffer = match dtype {
        DType::Bool => bytes.iter().map(|&b| b != 0).collect::<Vec<_>>().into(),
        DType::Int8 => values!(i8),
        DType::Int16 => values!(i16),
        DType::Int32 => values!(i32),
        DType::Int64 => values!(i64),
        DType::UInt8 => bytes.into(),
        DType::UInt16 => values!(u16),
        DType::UInt32 => values!(u32),
        DType::UInt64 => values!(u64),
        DType::Float16 => values!(half::f16),
        DType::Float32 => values!(f32),
        DType::Float64 => values!(f64),
        DType::String => unreachable!("strings have no item size"),
    };
    let mut shape = t.shape().to_vec();
    shape.push(width / size);
    Tensor::new(shape, buffer)
}

/// The contents of the file a scalar string names.
pub fn read_file(t: &Tensor) -> Result<Tensor> {
    let s = strings(t, "io.read_file")?;
    if t.rank() != 0 {
        return Err(Error::invalid(
            "io.read_file takes one file name (a scalar string)",
        ));
    }
    let path = String::from_utf8_lossy(s.get(0)).into_owned();
    let data = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
    Tensor::new(Vec::new(), StringBuf::single(data))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_raw_bytes() {
        let s = Tensor::new(vec![2], StringBuf::from_items(["1.5", " -2 "])).unwrap();
        assert_eq!(
            to_number(&s, DType::Float32)
                .unwrap()
                .as_slice::<f32>()
                .unwrap(),
            &[1.5, -2.0]
        );
        assert!(to_number(&s, DType::Int32).is_err());
        let raw = Tensor::scalar_bytes(&[1, 0, 2, 0]);
        let d = decode_raw(&raw, DType::UInt16, true).unwrap();
        assert_eq!(d.shape(), &[2]);
        assert_eq!(d.as_slice::<u16>().unwrap(), &[1, 2]);
        assert_eq!(
            decode_raw(&raw, DType::UInt16, false)
                .unwrap()
                .as_slice::<u16>()
                .unwrap(),
            &[256, 512]
        );
    }
}
