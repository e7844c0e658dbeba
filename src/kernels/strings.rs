//! String kernels: `ff.strings.to_number`, `ff.strings.split`, `ff.io.decode_raw` and
//! `ff.io.read_file`.

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

/// Splits each string as `tf.strings.split` does: on `sep`, keeping empty pieces, or with no
/// `sep` on runs of ASCII whitespace, dropping empty pieces at either end. A non-negative
/// `maxsplit` stops after that many splits, the rest being one last piece (when `sep` is
/// absent, the rest without its leading whitespace, even if empty); `maxsplit` 0 keeps each
/// string whole. Returns the pieces of all strings in order and the int64 row splits saying
/// where each string's pieces start.
pub fn split(t: &Tensor, sep: Option<&[u8]>, maxsplit: i64) -> Result<(Tensor, Tensor)> {
    let s = strings(t, "strings.split")?;
    let limit = usize::try_from(maxsplit).unwrap_or(usize::MAX);
    let mut pieces = StringBuf::new();
    let mut row_splits = vec![0i64];
    for item in s.iter() {
        match sep {
            _ if limit == 0 => pieces.push(item),
            Some(sep) if !sep.is_empty() => split_on(item, sep, limit, &mut pieces),
            _ => split_whitespace(item, limit, &mut pieces),
        }
        row_splits.push(pieces.len() as i64);
    }
    let count = pieces.len();
    Ok((
        Tensor::new(vec![count], pieces)?,
        Tensor::new(vec![row_splits.len()], row_splits)?,
    ))
}

fn split_on(item: &[u8], sep: &[u8], limit: usize, out: &mut StringBuf) {
    let mut start = 0;
    let mut splits = 0;
    while splits < limit {
        match item[start..].windows(sep.len()).position(|w| w == sep) {
            Some(at) => {
                out.push(&item[start..start + at]);
                start += at + sep.len();
                splits += 1;
            }
            None => break,
        }
    }
    out.push(&item[start..]);
}

fn split_whitespace(item: &[u8], limit: usize, out: &mut StringBuf) {
    let space = |b: u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c);
    let skip = |mut i: usize| {
        while i < item.len() && space(item[i]) {
            i += 1;
        }
        i
    };
    let mut i = skip(0);
    let mut splits = 0;
    while i < item.len() {
        let start = i;
        while i < item.len() && !space(item[i]) {
            i += 1;
        }
        out.push(&item[start..i]);
        i = skip(i);
        splits += 1;
        if splits == limit {
            out.push(&item[i..]);
            return;
        }
    }
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

    fn pieces(t: &Tensor, sep: Option<&[u8]>, maxsplit: i64) -> (Vec<Vec<u8>>, Vec<i64>) {
        let (values, splits) = split(t, sep, maxsplit).unwrap();
        let values = values.as_strings().unwrap().iter().map(<[u8]>::to_vec);
        (values.collect(), splits.as_slice::<i64>().unwrap().to_vec())
    }

    #[test]
    fn split_matches_tensorflow() {
        // What tf.strings.split (TensorFlow 2.21) returns for each case.
        type Case<'a> = (&'a [u8], Option<&'a [u8]>, i64, &'a [&'a [u8]]);
        let cases: [Case; 12] = [
            (b"a//b", Some(b"/"), -1, &[b"a", b"", b"b"]),
            (b"/a/", Some(b"/"), -1, &[b"", b"a", b""]),
            (b"a/b/", Some(b"/"), 2, &[b"a", b"b", b""]),
            (b"a/b/", Some(b"/"), 0, &[b"a/b/"]),
            (b"", Some(b"/"), -1, &[b""]),
            (b"a<>b<>c", Some(b"<>"), 1, &[b"a", b"b<>c"]),
            (b"  a  b c  ", None, 0, &[b"  a  b c  "]),
            (b" a b ", None, 2, &[b"a", b"b", b""]),
            (b"  a b  c ", None, 1, &[b"a", b"b  c "]),
            (b"   ", None, 1, &[]),
            (b"x\ty\nz ", None, -1, &[b"x", b"y", b"z"]),
            (b"abc", Some(b""), -1, &[b"abc"]),
        ];
        for (item, sep, maxsplit, expected) in cases {
            let got = pieces(&Tensor::scalar_bytes(item), sep, maxsplit).0;
            assert_eq!(got, expected, "{item:?} {sep:?} {maxsplit}");
        }
        let batch = Tensor::new(vec![3], StringBuf::from_items(["a b", "", "c"])).unwrap();
        assert_eq!(pieces(&batch, None, -1).1, vec![0, 2, 2, 3]);
    }

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
