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

/// Splits each string as Python's `bytes.split` does (and so `tf.strings.split`): on `sep`,
/// keeping empty pieces, or with no `sep` on runs of ASCII whitespace, dropping empty pieces;
/// at most `maxsplit` splits when it is not negative. Returns the pieces of all strings in
/// order and the int64 row splits saying where each string's pieces start.
pub fn split(t: &Tensor, sep: Option<&[u8]>, maxsplit: i64) -> Result<(Tensor, Tensor)> {
    let s = strings(t, "strings.split")?;
    let limit = usize::try_from(maxsplit).unwrap_or(usize::MAX);
    let mut pieces = StringBuf::new();
    let mut row_splits = vec![0i64];
    for item in s.iter() {
        match sep {
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
    let mut i = 0;
    let mut splits = 0;
    while splits < limit {
        i = skip(i);
        if i == item.len() {
            return;
        }
        let start = i;
        while i < item.len() && !space(item[i]) {
            i += 1;
        }
        out.push(&item[start..i]);
        splits += 1;
    }
    // The split limit was reached: the rest, without its leading whitespace, is one piece.
    let rest = skip(i);
    if rest < item.len() {
        out.push(&item[rest..]);
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
    fn split_matches_python_bytes_split() {
        let items: [&[u8]; 8] = [
            b"a/b/c",
            b"a//b",
            b"",
            b"/a/",
            b"  a b  c ",
            b"   ",
            b"a<>b<>c",
            b"x\ty\nz ",
        ];
        for &item in &items {
            let t = Tensor::scalar_bytes(item);
            for maxsplit in [-1i64, 0, 1, 2] {
                let limit = if maxsplit < 0 {
                    usize::MAX
                } else {
                    maxsplit as usize
                };
                let whitespace: Vec<Vec<u8>> = python_whitespace_split(item, limit);
                assert_eq!(
                    pieces(&t, None, maxsplit).0,
                    whitespace,
                    "{item:?} {maxsplit}"
                );
                for sep in [&b"/"[..], b"<>"] {
                    let expected: Vec<Vec<u8>> = if maxsplit < 0 {
                        item.split_str(sep)
                    } else {
                        item.splitn_str(maxsplit as usize + 1, sep)
                    };
                    assert_eq!(
                        pieces(&t, Some(sep), maxsplit).0,
                        expected,
                        "{item:?} {sep:?}"
                    );
                }
            }
        }
        let batch = Tensor::new(vec![3], StringBuf::from_items(["a b", "", "c"])).unwrap();
        assert_eq!(pieces(&batch, None, -1).1, vec![0, 2, 2, 3]);
    }

    /// What CPython's `bytes.split(None, maxsplit)` returns, written from its definition.
    fn python_whitespace_split(item: &[u8], limit: usize) -> Vec<Vec<u8>> {
        let words: Vec<&[u8]> = item
            .split(|b| b" \t\n\r\x0b\x0c".contains(b))
            .filter(|w| !w.is_empty())
            .collect();
        if words.len() <= limit {
            return words.into_iter().map(<[u8]>::to_vec).collect();
        }
        // The first `limit` words, then the rest of the string from the next word on.
        let mut out: Vec<Vec<u8>> = words[..limit].iter().map(|w| w.to_vec()).collect();
        let next = words[limit].as_ptr() as usize - item.as_ptr() as usize;
        out.push(item[next..].to_vec());
        out
    }

    trait SplitStr {
        fn split_str(&self, sep: &[u8]) -> Vec<Vec<u8>>;
        fn splitn_str(&self, n: usize, sep: &[u8]) -> Vec<Vec<u8>>;
    }

    impl SplitStr for [u8] {
        fn split_str(&self, sep: &[u8]) -> Vec<Vec<u8>> {
            self.splitn_str(usize::MAX, sep)
        }
        fn splitn_str(&self, n: usize, sep: &[u8]) -> Vec<Vec<u8>> {
            let text = std::str::from_utf8(self).unwrap();
            let sep = std::str::from_utf8(sep).unwrap();
            text.splitn(n, sep).map(|p| p.as_bytes().to_vec()).collect()
        }
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
