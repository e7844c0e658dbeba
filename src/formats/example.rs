//! tf.train.Example and tf.train.SequenceExample, read and written with a hand-written codec.
//!
//! Features are kept in the order they appear on the wire, so that decoding and re-encoding
//! reproduces TensorFlow's bytes. That order is not sorted by name: TensorFlow's Python writer
//! emits map entries in its hash map's iteration order (examples.tfrecord stores
//! label, embedding, name, tokens, score, blob, tags, id), so only the decoded order can
//! reproduce it.

pub mod parse;
pub mod sequence;
pub mod spec;
pub(crate) mod wire;

pub use parse::{parse_example, parse_example_tensor, parse_single_example};
pub use sequence::{parse_sequence_example, parse_single_sequence_example, SequenceBatch};
pub use spec::{FeatureKind, FeatureSpec, Parsed};

#[cfg(test)]
mod tests;

use std::collections::HashMap;

use crate::engine::error::{Error, Result};
use crate::formats::protowire::{len_field_size, put_len_prefix, put_varint, varint_len};
use wire::ListKind;

/// One feature's values: tf.train.Feature's oneof, `None` when no kind is set.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Feature {
    #[default]
    None,
    BytesList(Vec<Vec<u8>>),
    FloatList(Vec<f32>),
    Int64List(Vec<i64>),
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Example {
    /// Name and value of each feature, in wire order, names unique.
    pub features: Vec<(String, Feature)>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct SequenceExample {
    pub context: Vec<(String, Feature)>,
    /// Name and steps of each feature list, in wire order, names unique.
    pub feature_lists: Vec<(String, Vec<Feature>)>,
}

impl Feature {
    pub fn decode(bytes: &[u8]) -> Result<Feature> {
        let Some(lists) = wire::feature_lists(bytes)? else {
            return Ok(Feature::None);
        };
        Ok(match lists.kind {
            ListKind::Bytes => {
                let mut values = Vec::new();
                lists.for_each(|list| {
                    wire::for_each_bytes(list, |v| {
                        values.push(v.to_vec());
                        Ok(())
                    })
                })?;
                Feature::BytesList(values)
            }
            ListKind::Float => {
                let mut values = Vec::new();
                lists.for_each(|list| wire::for_each_float(list, |v| values.push(v)))?;
                Feature::FloatList(values)
            }
            ListKind::Int64 => {
                let mut values = Vec::new();
                lists.for_each(|list| wire::for_each_int64(list, |v| values.push(v)))?;
                Feature::Int64List(values)
            }
        })
    }

    /// The serialized list inside the Feature (numbers packed, as proto3 writes them).
    fn list_len(&self) -> usize {
        match self {
            Feature::None => 0,
            Feature::BytesList(v) => v.iter().map(|b| len_field_size(1, b.len())).sum(),
            Feature::FloatList(v) if v.is_empty() => 0,
            Feature::FloatList(v) => len_field_size(1, 4 * v.len()),
            Feature::Int64List(v) if v.is_empty() => 0,
            Feature::Int64List(v) => len_field_size(1, int64s_len(v)),
        }
    }

    fn encoded_len(&self) -> usize {
        match self {
            Feature::None => 0,
            _ => len_field_size(1, self.list_len()),
        }
    }

    fn encode_to(&self, out: &mut Vec<u8>) {
        let field = match self {
            Feature::None => return,
            Feature::BytesList(_) => 1,
            Feature::FloatList(_) => 2,
            Feature::Int64List(_) => 3,
        };
        // The kind field is written even for an empty list: it is what says which kind it is.
        put_len_prefix(out, field, self.list_len());
        match self {
            Feature::None => {}
            Feature::BytesList(values) => {
                for v in values {
                    put_len_prefix(out, 1, v.len());
                    out.extend_from_slice(v);
                }
            }
            Feature::FloatList(values) if !values.is_empty() => {
                put_len_prefix(out, 1, 4 * values.len());
                values
                    .iter()
                    .for_each(|v| out.extend_from_slice(&v.to_le_bytes()));
            }
            Feature::Int64List(values) if !values.is_empty() => {
                put_len_prefix(out, 1, int64s_len(values));
                values.iter().for_each(|&v| put_varint(out, v as u64));
            }
            Feature::FloatList(_) | Feature::Int64List(_) => {}
        }
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.encoded_len());
        self.encode_to(&mut out);
        out
    }
}

fn int64s_len(values: &[i64]) -> usize {
    values.iter().map(|&v| varint_len(v as u64)).sum()
}

impl Example {
    pub fn decode(bytes: &[u8]) -> Result<Example> {
        let mut features = Vec::new();
        wire::for_each_example_feature(bytes, |name, feature| {
            features.push((utf8_name(name)?, Feature::decode(feature)?));
            Ok(())
        })
        .map_err(|e| while_parsing(e, "Example"))?;
        Ok(Example {
            features: last_wins(features),
        })
    }

    /// The feature named `name`, if present.
    pub fn get(&self, name: &str) -> Option<&Feature> {
        self.features
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, f)| f)
    }

    /// Serializes with the features in their stored order. An Example without features encodes
    /// as zero bytes (its `features` field unset).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        if !self.features.is_empty() {
            put_len_prefix(&mut out, 1, features_len(&self.features));
            encode_features(&self.features, &mut out);
        }
        out
    }
}

impl SequenceExample {
    pub fn decode(bytes: &[u8]) -> Result<SequenceExample> {
        let mut context = Vec::new();
        let mut lists = Vec::new();
        wire::for_each_sequence_part(
            bytes,
            |name, feature| {
                context.push((utf8_name(name)?, Feature::decode(feature)?));
                Ok(())
            },
            |name, list| {
                let mut steps = Vec::new();
                wire::for_each_step(list, |step| {
                    steps.push(Feature::decode(step)?);
                    Ok(())
                })?;
                lists.push((utf8_name(name)?, steps));
                Ok(())
            },
        )
        .map_err(|e| while_parsing(e, "SequenceExample"))?;
        Ok(SequenceExample {
            context: last_wins(context),
            feature_lists: last_wins(lists),
        })
    }

    /// Serializes in stored order; an empty context or empty feature_lists is left unset.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        if !self.context.is_empty() {
            put_len_prefix(&mut out, 1, features_len(&self.context));
            encode_features(&self.context, &mut out);
        }
        if !self.feature_lists.is_empty() {
            let total: usize = self
                .feature_lists
                .iter()
                .map(|(name, steps)| len_field_size(1, list_entry_len(name, steps)))
                .sum();
            put_len_prefix(&mut out, 2, total);
            for (name, steps) in &self.feature_lists {
                put_len_prefix(&mut out, 1, list_entry_len(name, steps));
                put_len_prefix(&mut out, 1, name.len());
                out.extend_from_slice(name.as_bytes());
                put_len_prefix(&mut out, 2, steps_len(steps));
                for step in steps {
                    put_len_prefix(&mut out, 1, step.encoded_len());
                    step.encode_to(&mut out);
                }
            }
        }
        out
    }
}

fn while_parsing(e: Error, what: &str) -> Error {
    match e {
        Error::InvalidArgument(m) => Error::InvalidArgument(format!("could not parse {what}: {m}")),
        other => other,
    }
}

/// Map entries are written with both key and value even when empty, as protobuf writes them.
fn entry_len(name: &str, feature: &Feature) -> usize {
    len_field_size(1, name.len()) + len_field_size(2, feature.encoded_len())
}

fn features_len(features: &[(String, Feature)]) -> usize {
    features
        .iter()
        .map(|(name, f)| len_field_size(1, entry_len(name, f)))
        .sum()
}

fn encode_features(features: &[(String, Feature)], out: &mut Vec<u8>) {
    for (name, feature) in features {
        put_len_prefix(out, 1, entry_len(name, feature));
        put_len_prefix(out, 1, name.len());
        out.extend_from_slice(name.as_bytes());
        put_len_prefix(out, 2, feature.encoded_len());
        feature.encode_to(out);
    }
}

fn steps_len(steps: &[Feature]) -> usize {
    steps
        .iter()
        .map(|s| len_field_size(1, s.encoded_len()))
        .sum()
}

fn list_entry_len(name: &str, steps: &[Feature]) -> usize {
    len_field_size(1, name.len()) + len_field_size(2, steps_len(steps))
}

/// Feature names are proto3 strings, which must be UTF-8.
fn utf8_name(name: &[u8]) -> Result<String> {
    String::from_utf8(name.to_vec()).map_err(|_| {
        Error::InvalidArgument(format!(
            "feature name {:?} is not valid UTF-8",
            String::from_utf8_lossy(name)
        ))
    })
}

/// Applies protobuf map semantics to decoded entries: a repeated key keeps its first position
/// and takes its last value.
fn last_wins<T>(entries: Vec<(String, T)>) -> Vec<(String, T)> {
    if entries.len() < 2 {
        return entries;
    }
    let mut position: HashMap<String, usize> = HashMap::with_capacity(entries.len());
    let mut out: Vec<(String, T)> = Vec::with_capacity(entries.len());
    for (name, value) in entries {
        match position.get(&name) {
            Some(&i) => out[i].1 = value,
            None => {
                position.insert(name.clone(), out.len());
                out.push((name, value));
            }
        }
    }
    out
}
