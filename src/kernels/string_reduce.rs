//! `tf.strings.reduce_join` (strings joined along axes) and `tf.strings.unicode_split` of one
//! string (its characters).

use super::shape::{normalize_axis, transpose};
use crate::engine::{Error, Result, StringBuf, Tensor};

/// The strings of `t` along `axes` (every axis when `None`) joined with `separator`;
/// `keepdims` keeps the joined axes with length 1.
pub fn reduce_join(
    t: &Tensor,
    axes: Option<&[i64]>,
    keepdims: bool,
    separator: &[u8],
) -> Result<Tensor> {
    if t.as_strings().is_none() {
        return Err(Error::InvalidArgument(format!(
            "reduce_join takes strings, got {} values",
            t.dtype()
        )));
    }
    let rank = t.rank();
    let mut joined: Vec<usize> = match axes {
        None => (0..rank).collect(),
        Some(axes) => axes
            .iter()
            .map(|&a| normalize_axis(a, rank, "reduce_join"))
            .collect::<Result<_>>()?,
    };
    joined.sort_unstable();
    joined.dedup();
    let kept: Vec<usize> = (0..rank).filter(|d| !joined.contains(d)).collect();
    // The joined axes last, so each output string is one run of consecutive items.
    let order: Vec<usize> = kept.iter().chain(&joined).copied().collect();
    let moved = transpose(t, &order)?;
    let items = moved.as_strings().expect("checked to be strings");
    let group: usize = joined.iter().map(|&d| t.shape()[d]).product();
    let outputs: usize = kept.iter().map(|&d| t.shape()[d]).product();
    let mut out = StringBuf::with_capacity(outputs, items.values().len());
    let mut text = Vec::new();
    for g in 0..outputs {
        text.clear();
        for i in 0..group {
            if i > 0 {
                text.extend_from_slice(separator);
            }
            text.extend_from_slice(items.get(g * group + i));
        }
        out.push(&text);
    }
    let shape = (0..rank)
        .filter_map(|d| match joined.contains(&d) {
            false => Some(t.shape()[d]),
            true if keepdims => Some(1),
            true => None,
        })
        .collect();
    Tensor::new(shape, out)
}

/// How `unicode_split` treats bytes that are not UTF-8.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadBytes {
    /// Refused with an error.
    Strict,
    /// Each malformed sequence becomes the replacement character.
    Replace(char),
    /// Dropped.
    Ignore,
}

/// The characters of one UTF-8 string, each as its own UTF-8 string (a vector).
pub fn unicode_split(t: &Tensor, bad: BadBytes) -> Result<Tensor> {
    let text = match t.as_strings() {
        Some(s) if t.rank() == 0 => s.get(0),
        _ => {
            return Err(Error::InvalidArgument(
                "unicode_split here takes one string (a scalar)".into(),
            ))
        }
    };
    let mut out = StringBuf::with_capacity(text.len(), text.len());
    let mut utf8 = [0u8; 4];
    for chunk in text.utf8_chunks() {
        for c in chunk.valid().chars() {
            out.push(c.encode_utf8(&mut utf8).as_bytes());
        }
        if !chunk.invalid().is_empty() {
            match bad {
                BadBytes::Strict => {
                    return Err(Error::InvalidArgument(format!(
                        "unicode_split: invalid UTF-8 {:?}",
                        chunk.invalid()
                    )))
                }
                BadBytes::Replace(c) => out.push(c.encode_utf8(&mut utf8).as_bytes()),
                BadBytes::Ignore => {}
            }
        }
    }
    let count = out.len();
    Tensor::new(vec![count], out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(shape: Vec<usize>, items: &[&str]) -> Tensor {
        Tensor::new(
            shape,
            StringBuf::from_items(items.iter().map(|s| s.as_bytes())),
        )
        .unwrap()
    }

    fn texts(t: &Tensor) -> Vec<String> {
        let s = t.as_strings().unwrap();
        s.iter()
            .map(|b| String::from_utf8(b.to_vec()).unwrap())
            .collect()
    }

    #[test]
    fn joins_along_the_axes_asked_for() {
        let t = strings(vec![2, 2], &["a", "b", "c", "d"]);
        assert_eq!(texts(&reduce_join(&t, None, false, b"").unwrap()), ["abcd"]);
        let rows = reduce_join(&t, Some(&[0]), false, b"-").unwrap();
        assert_eq!(texts(&rows), ["a-c", "b-d"]);
        let kept = reduce_join(&t, Some(&[-1]), true, b"").unwrap();
        assert_eq!(
            (kept.shape(), texts(&kept)),
            (&[2, 1][..], vec!["ab".into(), "cd".into()])
        );
    }

    #[test]
    fn splits_characters_and_handles_bad_bytes() {
        let t = Tensor::scalar_bytes("héllo".as_bytes());
        assert_eq!(
            texts(&unicode_split(&t, BadBytes::Strict).unwrap()),
            ["h", "é", "l", "l", "o"]
        );
        let bad = Tensor::scalar_bytes(b"a\xffb");
        assert!(unicode_split(&bad, BadBytes::Strict).is_err());
        let replaced = unicode_split(&bad, BadBytes::Replace('?')).unwrap();
        assert_eq!(texts(&replaced), ["a", "?", "b"]);
        assert_eq!(
            texts(&unicode_split(&bad, BadBytes::Ignore).unwrap()),
            ["a", "b"]
        );
    }
}
