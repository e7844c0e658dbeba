//! Walking serialized tf.train.Example / SequenceExample messages in place. Both the owned
//! decoder and the spec-driven parser use these, so there is one reading of the format.
//!
//! Field numbers: Example{features=1}; SequenceExample{context=1, feature_lists=2};
//! Features{map<string,Feature> feature=1}; FeatureLists{map<string,FeatureList> feature_list=1};
//! FeatureList{repeated Feature feature=1}; Feature{oneof bytes_list=1, float_list=2,
//! int64_list=3}; each *List{repeated value=1}.

use crate::engine::error::Result;
use crate::formats::protowire::{wrong_wire_type, WireReader, WireType};

/// Which list a Feature holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListKind {
    Bytes,
    Float,
    Int64,
}

impl ListKind {
    fn field(self) -> u32 {
        match self {
            ListKind::Bytes => 1,
            ListKind::Float => 2,
            ListKind::Int64 => 3,
        }
    }

    /// The proto field's name, for error messages.
    pub fn name(self) -> &'static str {
        match self {
            ListKind::Bytes => "bytes_list",
            ListKind::Float => "float_list",
            ListKind::Int64 => "int64_list",
        }
    }
}

/// Calls `f` with the payload of every length-delimited `field` of `message`, skipping others.
/// A message field that repeats is merged by protobuf, so visiting each occurrence in order is
/// the same as visiting the merged message.
fn for_each_len_field<'a>(
    message: &'a [u8],
    field: u32,
    what: &str,
    mut f: impl FnMut(&'a [u8]) -> Result<()>,
) -> Result<()> {
    let mut r = WireReader::new(message);
    while !r.is_empty() {
        let at = r.position();
        match r.tag()? {
            (n, WireType::Len) if n == field => f(r.bytes()?)?,
            (n, w) if n == field => return Err(wrong_wire_type(what, n, w, at)),
            (n, w) => r.skip(n, w)?,
        }
    }
    Ok(())
}

/// Calls `f(key, value)` for each entry of a serialized map<string, message> field 1. A missing
/// key or value reads as empty, as protobuf's defaults make them.
fn for_each_map_entry<'a>(
    message: &'a [u8],
    what: &str,
    mut f: impl FnMut(&'a [u8], &'a [u8]) -> Result<()>,
) -> Result<()> {
    for_each_len_field(message, 1, what, |entry| {
        let (mut key, mut value): (&[u8], &[u8]) = (b"", b"");
        let mut r = WireReader::new(entry);
        while !r.is_empty() {
            let at = r.position();
            match r.tag()? {
                (1, WireType::Len) => key = r.bytes()?,
                (2, WireType::Len) => value = r.bytes()?,
                (n @ (1 | 2), w) => return Err(wrong_wire_type("a map entry", n, w, at)),
                (n, w) => r.skip(n, w)?,
            }
        }
        f(key, value)
    })
}

/// Calls `f(name, feature)` for each feature of a serialized Features message.
pub fn for_each_feature<'a>(
    features: &'a [u8],
    f: impl FnMut(&'a [u8], &'a [u8]) -> Result<()>,
) -> Result<()> {
    for_each_map_entry(features, "Features", f)
}

/// Calls `f(name, feature)` for each feature of a serialized Example.
pub fn for_each_example_feature<'a>(
    example: &'a [u8],
    mut f: impl FnMut(&'a [u8], &'a [u8]) -> Result<()>,
) -> Result<()> {
    for_each_len_field(example, 1, "Example", |features| {
        for_each_feature(features, &mut f)
    })
}

/// Calls `context(name, feature)` for each context feature and `list(name, feature_list)` for
/// each feature list of a serialized SequenceExample.
pub fn for_each_sequence_part<'a>(
    sequence_example: &'a [u8],
    mut context: impl FnMut(&'a [u8], &'a [u8]) -> Result<()>,
    mut list: impl FnMut(&'a [u8], &'a [u8]) -> Result<()>,
) -> Result<()> {
    let mut r = WireReader::new(sequence_example);
    while !r.is_empty() {
        let at = r.position();
        match r.tag()? {
            (1, WireType::Len) => for_each_feature(r.bytes()?, &mut context)?,
            (2, WireType::Len) => for_each_map_entry(r.bytes()?, "FeatureLists", &mut list)?,
            (n @ (1 | 2), w) => return Err(wrong_wire_type("SequenceExample", n, w, at)),
            (n, w) => r.skip(n, w)?,
        }
    }
    Ok(())
}

/// Calls `f(feature)` for each step of a serialized FeatureList.
pub fn for_each_step<'a>(
    feature_list: &'a [u8],
    f: impl FnMut(&'a [u8]) -> Result<()>,
) -> Result<()> {
    for_each_len_field(feature_list, 1, "FeatureList", f)
}

/// The values a serialized Feature holds: which list, and where its lists start.
#[derive(Debug, Clone, Copy)]
pub struct FeatureLists<'a> {
    pub kind: ListKind,
    /// The Feature from the first list of `kind` that no later field of another kind discarded.
    tail: &'a [u8],
}

/// Finds the list a serialized Feature holds; `None` when its oneof is unset. With several kind
/// fields present the last one wins, as protobuf's oneof does, and repeats of it merge.
pub fn feature_lists(feature: &[u8]) -> Result<Option<FeatureLists<'_>>> {
    let mut found: Option<FeatureLists> = None;
    let mut r = WireReader::new(feature);
    while !r.is_empty() {
        let at = r.position();
        let (n, w) = r.tag()?;
        let kind = match n {
            1 => ListKind::Bytes,
            2 => ListKind::Float,
            3 => ListKind::Int64,
            _ => {
                r.skip(n, w)?;
                continue;
            }
        };
        if w != WireType::Len {
            return Err(wrong_wire_type("Feature", n, w, at));
        }
        r.bytes()?;
        if found.is_none_or(|f| f.kind != kind) {
            found = Some(FeatureLists {
                kind,
                tail: &feature[at..],
            });
        }
    }
    Ok(found)
}

impl<'a> FeatureLists<'a> {
    /// Calls `f` on each serialized list (usually exactly one).
    pub fn for_each(&self, f: impl FnMut(&'a [u8]) -> Result<()>) -> Result<()> {
        for_each_len_field(self.tail, self.kind.field(), "Feature", f)
    }
}

/// Calls `f` with each value of a serialized BytesList.
pub fn for_each_bytes<'a>(list: &'a [u8], f: impl FnMut(&'a [u8]) -> Result<()>) -> Result<()> {
    for_each_len_field(list, 1, "BytesList", f)
}

/// Calls `f` with each value of a serialized FloatList, packed or not.
pub fn for_each_float(list: &[u8], mut f: impl FnMut(f32)) -> Result<()> {
    let mut r = WireReader::new(list);
    while !r.is_empty() {
        let at = r.position();
        match r.tag()? {
            (1, WireType::Len) => {
                let packed = r.bytes()?;
                if packed.len() % 4 != 0 {
                    return Err(crate::engine::error::Error::InvalidArgument(format!(
                        "malformed protobuf: packed FloatList of {} bytes at byte {at}",
                        packed.len()
                    )));
                }
                packed
                    .chunks_exact(4)
                    .for_each(|c| f(f32::from_le_bytes(c.try_into().unwrap())));
            }
            (1, WireType::Fixed32) => f(f32::from_bits(r.fixed32()?)),
            (1, w) => return Err(wrong_wire_type("FloatList", 1, w, at)),
            (n, w) => r.skip(n, w)?,
        }
    }
    Ok(())
}

/// Calls `f` with each value of a serialized Int64List, packed or not.
pub fn for_each_int64(list: &[u8], mut f: impl FnMut(i64)) -> Result<()> {
    let mut r = WireReader::new(list);
    while !r.is_empty() {
        let at = r.position();
        match r.tag()? {
            (1, WireType::Len) => {
                let mut packed = WireReader::new(r.bytes()?);
                while !packed.is_empty() {
                    f(packed.varint()? as i64);
                }
            }
            (1, WireType::Varint) => f(r.varint()? as i64),
            (1, w) => return Err(wrong_wire_type("Int64List", 1, w, at)),
            (n, w) => r.skip(n, w)?,
        }
    }
    Ok(())
}
