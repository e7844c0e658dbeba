//! String kernels: `ff.strings` (to_number, split, lower/upper, strip, length, substr,
//! join, as_string, to_hash_bucket_fast), `ff.io.decode_raw` and `ff.io.read_file`.

use super::number_text::{is_space, FromText};
use super::scalar::Scalar;
use crate::engine::{Buffer, DType, Error, Result, StringBuf, Tensor};
use crate::formats::output::write_whole;
use crate::formats::read_whole;

/// The strings of `t`, or an error naming `op`.
pub(crate) fn strings<'a>(t: &'a Tensor, op: &str) -> Result<&'a StringBuf> {
    t.as_strings()
        .ok_or_else(|| Error::InvalidArgument(format!("{op} takes strings, got {}", t.dtype())))
}

/// Parses each string as a number of `dtype` (float32, float64, int32 or int64).
pub fn to_number(t: &Tensor, dtype: DType) -> Result<Tensor> {
    fn parse<T: FromText>(s: &StringBuf) -> Result<Vec<T>> {
        s.iter()
            .map(|b| {
                T::from_text(b).ok_or_else(|| {
                    Error::InvalidArgument(format!(
                        "StringToNumberOp could not correctly convert string: {}",
                        String::from_utf8_lossy(b)
                    ))
                })
            })
            .collect()
    }
    let s = strings(t, "strings.to_number")?;
    let buffer: Buffer = match dtype {
        DType::Float32 => parse::<f32>(s)?.into(),
        DType::Float64 => parse::<f64>(s)?.into(),
        DType::Int32 => parse::<i32>(s)?.into(),
        DType::Int64 => parse::<i64>(s)?.into(),
        other => {
            return Err(Error::InvalidArgument(format!(
                "strings.to_number: out_type must be float32, float64, int32 or int64, not {other}"
            )))
        }
    };
    Tensor::new(t.shape().to_vec(), buffer)
}

/// Each string's bucket in `[0, num_buckets)` by FarmHash Fingerprint64, as
/// `tf.strings.to_hash_bucket_fast` computes it (the same string, the same bucket).
pub fn to_hash_bucket_fast(t: &Tensor, num_buckets: u64) -> Result<Tensor> {
    if num_buckets == 0 {
        return Err(Error::invalid(
            "to_hash_bucket_fast: num_buckets must be >= 1",
        ));
    }
    let s = strings(t, "strings.to_hash_bucket_fast")?;
    let buckets: Vec<i64> = s
        .iter()
        .map(|b| (farmhash::fingerprint64(b) % num_buckets) as i64)
        .collect();
    Tensor::new(t.shape().to_vec(), buckets)
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
    let skip = |mut i: usize| {
        while i < item.len() && is_space(item[i]) {
            i += 1;
        }
        i
    };
    let mut i = skip(0);
    let mut splits = 0;
    while i < item.len() {
        let start = i;
        while i < item.len() && !is_space(item[i]) {
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

/// A `tf.strings` operation applied to each string (or, for `AsString`, each number).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StringMap {
    /// Lower case: ASCII letters only, or every letter of UTF-8 text (`utf8`).
    Lower {
        utf8: bool,
    },
    Upper {
        utf8: bool,
    },
    /// Without leading and trailing ASCII whitespace.
    Strip,
    /// Length in bytes, or in UTF-8 characters; int32.
    Length {
        utf8: bool,
    },
    /// `len` bytes (or UTF-8 characters) from `pos`, which may count from the end.
    Substr {
        pos: i64,
        len: i64,
        utf8: bool,
    },
    /// Numbers and bools as text: floats with `precision` digits (6 when negative).
    AsString {
        precision: i64,
    },
    /// Web-safe base64 (`-` and `_`), with `=` padding when `pad` (tf.io.encode_base64).
    Base64Encode {
        pad: bool,
    },
    /// Web-safe base64 with or without padding back to bytes (tf.io.decode_base64).
    Base64Decode,
}

/// `text` as UTF-8, or an error naming the string and the operation.
fn utf8<'a>(text: &'a [u8], op: &str) -> Result<&'a str> {
    std::str::from_utf8(text).map_err(|_| {
        Error::InvalidArgument(format!(
            "{op}: {:?} is not UTF-8",
            String::from_utf8_lossy(text)
        ))
    })
}

impl StringMap {
    pub fn apply(self, t: &Tensor) -> Result<Tensor> {
        if let StringMap::AsString { precision } = self {
            return as_string(t, precision);
        }
        let s = strings(t, "strings")?;
        let shape = t.shape().to_vec();
        if let StringMap::Length { utf8: chars } = self {
            let lengths = s
                .iter()
                .map(|b| {
                    let n = if chars {
                        utf8(b, "strings.length")?.chars().count()
                    } else {
                        b.len()
                    };
                    Ok(n as i32)
                })
                .collect::<Result<Vec<i32>>>()?;
            return Tensor::new(shape, lengths);
        }
        let mut out = StringBuf::with_capacity(s.len(), s.values().len());
        for (i, b) in s.iter().enumerate() {
            match self {
                StringMap::Lower { utf8: false } => out.push(&b.to_ascii_lowercase()),
                StringMap::Upper { utf8: false } => out.push(&b.to_ascii_uppercase()),
                StringMap::Lower { utf8: true } => {
                    out.push(utf8(b, "strings.lower")?.to_lowercase().as_bytes())
                }
                StringMap::Upper { utf8: true } => {
                    out.push(utf8(b, "strings.upper")?.to_uppercase().as_bytes())
                }
                StringMap::Strip => {
                    let start = b.iter().position(|&c| !is_space(c)).unwrap_or(b.len());
                    let end = b
                        .iter()
                        .rposition(|&c| !is_space(c))
                        .map_or(start, |e| e + 1);
                    out.push(&b[start..end]);
                }
                StringMap::Substr {
                    pos,
                    len,
                    utf8: chars,
                } => out.push(substr(b, pos, len, chars).map_err(|e| {
                    Error::InvalidArgument(format!("strings.substr: string {i}: {e}"))
                })?),
                StringMap::Base64Encode { pad } => {
                    use base64::Engine;
                    let engine = if pad {
                        &base64::engine::general_purpose::URL_SAFE
                    } else {
                        &base64::engine::general_purpose::URL_SAFE_NO_PAD
                    };
                    out.push(engine.encode(b).as_bytes())
                }
                StringMap::Base64Decode => out.push(&decode_base64(b).map_err(|e| {
                    Error::InvalidArgument(format!("decode_base64: string {i}: {e}"))
                })?),
                StringMap::Length { .. } | StringMap::AsString { .. } => unreachable!(),
            }
        }
        Tensor::new(shape, out)
    }
}

/// Web-safe base64, padded or not, as bytes.
fn decode_base64(text: &[u8]) -> std::result::Result<Vec<u8>, String> {
    use base64::Engine;
    let engine = base64::engine::GeneralPurpose::new(
        &base64::alphabet::URL_SAFE,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    engine.decode(text).map_err(|e| e.to_string())
}

/// The bytes of `text` from `pos` (from the end when negative) for `len` bytes, or UTF-8
/// characters when `chars`; `pos` may equal the length (an empty result), no more.
fn substr(text: &[u8], pos: i64, len: i64, chars: bool) -> std::result::Result<&[u8], String> {
    // Byte offsets of the units (bytes or characters) the string is counted in.
    let starts: Vec<usize> = if chars {
        let s = std::str::from_utf8(text).map_err(|_| "not UTF-8".to_string())?;
        s.char_indices()
            .map(|(at, _)| at)
            .chain([text.len()])
            .collect()
    } else {
        (0..=text.len()).collect()
    };
    let units = starts.len() as i64 - 1;
    let first = if pos < 0 { pos + units } else { pos };
    if !(0..=units).contains(&first) || len < 0 {
        return Err(format!(
            "pos {pos} or len {len} out of range for {units} units"
        ));
    }
    let last = (first + len).min(units);
    Ok(&text[starts[first as usize]..starts[last as usize]])
}

/// Numbers and bools as text, as `tf.strings.as_string` writes them.
fn as_string(t: &Tensor, precision: i64) -> Result<Tensor> {
    let digits = usize::try_from(precision).unwrap_or(6);
    let float = |v: f64| {
        if v.is_nan() {
            "nan".to_string()
        } else {
            format!("{v:.digits$}")
        }
    };
    fn text<T: Scalar>(x: T, float: &dyn Fn(f64) -> String) -> String {
        if T::FLOAT {
            float(x.to_f64())
        } else {
            x.to_i128().to_string()
        }
    }
    let texts: Vec<String> = match t.buffer() {
        Buffer::Bool(v) => v.iter().map(|&b| b.to_string()).collect(),
        other => crate::match_buffer!(
            other,
            v => v.iter().map(|&x| text(x, &float)).collect(),
            _s => return Err(Error::invalid("strings.as_string takes numbers or bools, not strings"))
        ),
    };
    Tensor::new(
        t.shape().to_vec(),
        StringBuf::from_items(texts.iter().map(String::as_bytes)),
    )
}

/// Each position's parts joined with `separator`; parts are strings of one shape or scalars.
pub fn join(parts: &[&Tensor], separator: &[u8]) -> Result<Tensor> {
    let shape = parts
        .iter()
        .map(|p| p.shape())
        .find(|s| !s.is_empty())
        .unwrap_or(&[])
        .to_vec();
    let count: usize = shape.iter().product();
    let mut columns = Vec::with_capacity(parts.len());
    for part in parts {
        let s = strings(part, "strings.join")?;
        if part.rank() != 0 && part.shape() != shape.as_slice() {
            return Err(Error::InvalidArgument(format!(
                "strings.join: shapes {shape:?} and {:?} differ",
                part.shape()
            )));
        }
        columns.push((s, part.rank() == 0));
    }
    let mut out = StringBuf::new();
    let mut joined = Vec::new();
    for i in 0..count {
        joined.clear();
        for (k, (s, scalar)) in columns.iter().enumerate() {
            if k > 0 {
                joined.extend_from_slice(separator);
            }
            joined.extend_from_slice(s.get(if *scalar { 0 } else { i }));
        }
        out.push(&joined);
    }
    Tensor::new(shape, out)
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
    let data = read_whole(&path)?;
    Tensor::new(Vec::new(), StringBuf::single(data))
}

/// `tf.io.write_file`: writes the scalar string `contents` to the file `name` names,
/// creating missing parent directories.
pub fn write_file(name: &Tensor, contents: &Tensor) -> Result<()> {
    let (path, data) = match (name.as_strings(), contents.as_strings()) {
        (Some(p), Some(c)) if name.rank() == 0 && contents.rank() == 0 => (p.get(0), c.get(0)),
        _ => {
            return Err(Error::invalid(
                "io.write_file takes a file name and contents, each a scalar string",
            ))
        }
    };
    let path = String::from_utf8_lossy(path).into_owned();
    write_whole(&path, data)
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

    fn texts(t: &Tensor) -> Vec<String> {
        let s = t.as_strings().unwrap();
        s.iter()
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .collect()
    }

    #[test]
    fn string_maps_match_tensorflow() {
        // Expected values printed by tf.strings (TensorFlow 2.21).
        let words = Tensor::new(vec![2], StringBuf::from_items(["AbC", "ÀÉ x"])).unwrap();
        let lower = StringMap::Lower { utf8: false }.apply(&words).unwrap();
        assert_eq!(texts(&lower), ["abc", "ÀÉ x"]);
        let unicode = StringMap::Lower { utf8: true }.apply(&words).unwrap();
        assert_eq!(texts(&unicode), ["abc", "àé x"]);
        let padded =
            Tensor::new(vec![2], StringBuf::from_items([" a b \t\n", "\x0bx\x0c"])).unwrap();
        assert_eq!(
            texts(&StringMap::Strip.apply(&padded).unwrap()),
            ["a b", "x"]
        );
        let sizes = Tensor::new(vec![3], StringBuf::from_items(["abc", "é", ""])).unwrap();
        let bytes = StringMap::Length { utf8: false }.apply(&sizes).unwrap();
        assert_eq!(bytes.as_slice::<i32>().unwrap(), &[3, 2, 0]);
        let chars = StringMap::Length { utf8: true }.apply(&sizes).unwrap();
        assert_eq!(chars.as_slice::<i32>().unwrap(), &[3, 1, 0]);
        let hello = Tensor::scalar_bytes(b"hello");
        let sub = |pos, len| {
            StringMap::Substr {
                pos,
                len,
                utf8: false,
            }
            .apply(&hello)
        };
        assert_eq!(texts(&sub(1, 3).unwrap()), ["ell"]);
        assert_eq!(texts(&sub(-3, 2).unwrap()), ["ll"]);
        assert_eq!(texts(&sub(3, 10).unwrap()), ["lo"]);
        assert_eq!(texts(&sub(5, 1).unwrap()), [""]);
        assert!(sub(6, 1).is_err() && sub(-6, 1).is_err());
        let accented = Tensor::scalar_bytes("héllo".as_bytes());
        let chars = StringMap::Substr {
            pos: 1,
            len: 2,
            utf8: true,
        }
        .apply(&accented)
        .unwrap();
        assert_eq!(texts(&chars), ["él"]);
    }

    #[test]
    fn join_and_as_string_match_tensorflow() {
        let pair = Tensor::new(vec![2], StringBuf::from_items(["x", "y"])).unwrap();
        let joined = join(&[&Tensor::scalar_bytes(b"a"), &pair], b"-").unwrap();
        assert_eq!(texts(&joined), ["a-x", "a-y"]);
        let floats = Tensor::from_vec(vec![4], vec![1.5f32, -0.25, 123456789.0, f32::NAN]).unwrap();
        let text = StringMap::AsString { precision: -1 }
            .apply(&floats)
            .unwrap();
        assert_eq!(
            texts(&text),
            ["1.500000", "-0.250000", "123456792.000000", "nan"]
        );
        let third = Tensor::from_vec(vec![1], vec![1.0f64 / 3.0]).unwrap();
        assert_eq!(
            texts(&StringMap::AsString { precision: 2 }.apply(&third).unwrap()),
            ["0.33"]
        );
        let flags = Tensor::from_vec(vec![2], vec![true, false]).unwrap();
        assert_eq!(
            texts(&StringMap::AsString { precision: -1 }.apply(&flags).unwrap()),
            ["true", "false"]
        );
        let ints = Tensor::from_vec(vec![2], vec![1i64, -2]).unwrap();
        assert_eq!(
            texts(&StringMap::AsString { precision: -1 }.apply(&ints).unwrap()),
            ["1", "-2"]
        );
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
