//! Traced ops on strings: case, slicing, joining and splitting, numbers from text, hashing,
//! regular expressions.

use pyo3::prelude::*;

use crate::engine::{DType, Error, Result};
use crate::kernels::graph::GraphOp;
use crate::kernels::re2::{Pattern, Rewrite};
use crate::kernels::strings::StringMap;

/// The per-string operation `name`, with its two integer arguments and its flag (whether
/// lengths and positions count UTF-8 characters, for most).
fn string_map(name: &str, a: i64, b: i64, flag: bool) -> Result<StringMap> {
    Ok(match name {
        "lower" => StringMap::Lower { utf8: flag },
        "upper" => StringMap::Upper { utf8: flag },
        "strip" => StringMap::Strip,
        "length" => StringMap::Length { utf8: flag },
        "substr" => StringMap::Substr {
            pos: a,
            len: b,
            utf8: flag,
        },
        "as_string" => StringMap::AsString { precision: a },
        other => {
            return Err(Error::InvalidArgument(format!(
                "no string operation {other:?}"
            )))
        }
    })
}

op_family!(|py, inputs, attr, wrong| {
    "strings" => {
        let (name, a, b, flag): (String, i64, i64, bool) = attr.extract().map_err(wrong)?;
        GraphOp::Strings(string_map(&name, a, b, flag)?)
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
