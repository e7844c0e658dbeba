//! Traced ops on strings: case, slicing, joining and splitting, numbers from text, hashing,
//! regular expressions.

use pyo3::prelude::*;

use crate::engine::{DType, Error, Result};
use crate::kernels::by_name;
use crate::kernels::graph::GraphOp;
use crate::kernels::re2::{Pattern, Rewrite};
use crate::kernels::string_reduce::BadBytes;
use crate::kernels::strings::StringMap;

/// Builds a per-string operation from its two integer arguments and its flag (whether
/// lengths and positions count UTF-8 characters, for most).
type StringMapFn = fn(i64, i64, bool) -> StringMap;

/// The `strings` op's operations, by name.
pub(super) const STRING_MAPS: &[(&str, StringMapFn)] = &[
    ("lower", |_, _, utf8| StringMap::Lower { utf8 }),
    ("upper", |_, _, utf8| StringMap::Upper { utf8 }),
    ("strip", |_, _, _| StringMap::Strip),
    ("length", |_, _, utf8| StringMap::Length { utf8 }),
    ("substr", |pos, len, utf8| StringMap::Substr {
        pos,
        len,
        utf8,
    }),
    ("as_string", |precision, _, _| StringMap::AsString {
        precision,
    }),
    ("encode_base64", |_, _, pad| StringMap::Base64Encode { pad }),
    ("decode_base64", |_, _, _| StringMap::Base64Decode),
];

fn string_map(name: &str, a: i64, b: i64, flag: bool) -> Result<StringMap> {
    let make = by_name(STRING_MAPS, name)
        .ok_or_else(|| Error::InvalidArgument(format!("no string operation {name:?}")))?;
    Ok(make(a, b, flag))
}

op_family!(|py, inputs, attr, wrong| {
    "strings" => {
        let (name, a, b, flag): (String, i64, i64, bool) = attr.extract().map_err(wrong)?;
        GraphOp::Strings(string_map(&name, a, b, flag)?)
    },
    "reduce_join" => {
        let (axes, keepdims, separator): (Option<Vec<i64>>, bool, Vec<u8>) =
            attr.extract().map_err(wrong)?;
        GraphOp::ReduceJoin { axes, keepdims, separator }
    },
    "unicode_split" => {
        let (errors, replacement): (String, u32) = attr.extract().map_err(wrong)?;
        GraphOp::UnicodeSplit(match errors.as_str() {
            "strict" => BadBytes::Strict,
            "ignore" => BadBytes::Ignore,
            "replace" => BadBytes::Replace(char::from_u32(replacement).ok_or_else(|| {
                Error::InvalidArgument(format!("{replacement} is not a character"))
            })?),
            other => return Err(Error::InvalidArgument(format!("unknown errors mode {other:?}"))),
        })
    },
    "join_strings" => GraphOp::JoinStrings(attr.extract().map_err(wrong)?),
    "split" => {
        let (sep, maxsplit): (Option<Vec<u8>>, i64) = attr.extract().map_err(wrong)?;
        GraphOp::Split { sep, maxsplit }
    },
    "to_number" => {
        GraphOp::ToNumber(DType::from_name(&attr.extract::<String>().map_err(wrong)?)?)
    },
    "hash_bucket" => GraphOp::HashBucket(attr.extract().map_err(wrong)?),
    "regex_full_match" => GraphOp::RegexFullMatch(Pattern::new(
        &attr.extract::<String>().map_err(wrong)?,
        true,
    )?),
    "regex_replace" => {
        let (pattern, rewrite, global): (String, Vec<u8>, bool) =
            attr.extract().map_err(wrong)?;
        let pattern = Pattern::new(&pattern, false)?;
        GraphOp::RegexReplace {
            rewrite: Rewrite::new(&rewrite, &pattern)?,
            pattern,
            global,
        }
    },
});
