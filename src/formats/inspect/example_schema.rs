//! What tf.train.Example features a file's records carry: per feature, the kind of its
//! values, how many records hold it and how long its lists are. From these a reader's spec
//! follows: a feature every record holds with the same length is fixed-length, any other is
//! variable-length. Records are walked with the Example wire reader the parsers use, so a
//! record counts as an Example exactly when the parsers would accept it.

use std::collections::HashMap;

use crate::engine::{Error, Result};
use crate::formats::example::wire::{self, ListKind};
use crate::formats::protowire::{WireReader, WireType};

/// The value type of a feature's list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    Int64,
    Float,
    Bytes,
}

impl ValueKind {
    /// The name `tf.train.Feature`'s lists go by, less the `_list`.
    pub fn name(self) -> &'static str {
        match self {
            ValueKind::Int64 => "int64",
            ValueKind::Float => "float",
            ValueKind::Bytes => "bytes",
        }
    }
}

impl From<ListKind> for ValueKind {
    fn from(kind: ListKind) -> Self {
        match kind {
            ListKind::Bytes => ValueKind::Bytes,
            ListKind::Float => ValueKind::Float,
            ListKind::Int64 => ValueKind::Int64,
        }
    }
}

/// How many records held a feature as each kind of list; `unset` counts Features whose oneof
/// was left empty.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KindCounts {
    pub int64: u64,
    pub float: u64,
    pub bytes: u64,
    pub unset: u64,
}

/// The statistics of one feature over the records that hold it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeatureStats {
    pub name: String,
    pub kinds: KindCounts,
    /// Records that hold the feature.
    pub records: u64,
    /// Shortest and longest list, in values.
    pub min_len: u64,
    pub max_len: u64,
    /// Values over all records.
    pub values: u64,
}

/// The shape a reader's spec gives a feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// One value in every record: `FixedLenFeature([], ...)`.
    Scalar,
    /// The same n > 1 values in every record: `FixedLenFeature([n], ...)`.
    Fixed(u64),
    /// Any other: `VarLenFeature(...)`.
    Variable,
}

impl FeatureStats {
    fn new(name: String) -> Self {
        FeatureStats {
            name,
            kinds: KindCounts::default(),
            records: 0,
            min_len: u64::MAX,
            max_len: 0,
            values: 0,
        }
    }

    fn add(&mut self, kind: Option<ValueKind>, len: u64) {
        match kind {
            Some(ValueKind::Int64) => self.kinds.int64 += 1,
            Some(ValueKind::Float) => self.kinds.float += 1,
            Some(ValueKind::Bytes) => self.kinds.bytes += 1,
            None => self.kinds.unset += 1,
        }
        self.records += 1;
        self.min_len = self.min_len.min(len);
        self.max_len = self.max_len.max(len);
        self.values += len;
    }

    /// The one kind of list the feature holds; `None` when no record sets one, or records
    /// disagree (then no spec can read every record).
    pub fn kind(&self) -> Option<ValueKind> {
        let k = self.kinds;
        match (k.int64 > 0, k.float > 0, k.bytes > 0) {
            (true, false, false) => Some(ValueKind::Int64),
            (false, true, false) => Some(ValueKind::Float),
            (false, false, true) => Some(ValueKind::Bytes),
            _ => None,
        }
    }

    /// Whether records hold the feature as different kinds of list.
    pub fn conflicting(&self) -> bool {
        let k = self.kinds;
        [k.int64, k.float, k.bytes]
            .iter()
            .filter(|&&n| n > 0)
            .count()
            > 1
    }

    /// The spec shape for a file of `records` records: fixed only when every record holds the
    /// feature with the same, non-zero length (a fixed spec would reject any other record).
    pub fn shape(&self, records: u64) -> Shape {
        if self.records != records || self.min_len != self.max_len || self.kinds.unset > 0 {
            return Shape::Variable;
        }
        match self.min_len {
            0 => Shape::Variable,
            1 => Shape::Scalar,
            n => Shape::Fixed(n),
        }
    }
}

/// What a file's records are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Contents {
    /// The file holds no records.
    NoRecords,
    /// Every record is a tf.train.Example: its features, in the order first seen.
    Examples(Vec<FeatureStats>),
    /// The records are tf.train.SequenceExamples.
    SequenceExamples,
    /// Some record is neither: the first such, and why.
    Other {
        record: u64,
        offset: u64,
        reason: String,
    },
}

/// Gathers feature statistics record by record.
#[derive(Debug, Default)]
pub struct SchemaBuilder {
    features: Vec<FeatureStats>,
    index: HashMap<Vec<u8>, usize>,
    records: u64,
    sequence_examples: u64,
    not_example: Option<(u64, u64, String)>,
    /// This record's (feature, kind, length), keyed by feature: a name repeated within one
    /// record keeps its last value, as protobuf maps do.
    pending: Vec<Option<(Option<ValueKind>, u64)>>,
    touched: Vec<usize>,
}

/// The top-level fields of a serialized record, checked against Example's single field.
enum Message {
    Example,
    /// Holds feature lists (field 2), which only SequenceExample has.
    SequenceExample,
}

fn message_kind(record: &[u8]) -> Result<Message> {
    let mut r = WireReader::new(record);
    let mut sequence = false;
    while !r.is_empty() {
        let at = r.position();
        match r.tag()? {
            (1, WireType::Len) => {
                r.bytes()?;
            }
            (2, WireType::Len) => {
                r.bytes()?;
                sequence = true;
            }
            (n, w) => {
                return Err(Error::InvalidArgument(format!(
                    "field {n} (wire type {w:?}) at byte {at} is not part of tf.train.Example"
                )))
            }
        }
    }
    Ok(if sequence {
        Message::SequenceExample
    } else {
        Message::Example
    })
}

/// The kind and number of values of one serialized Feature, every value checked.
fn feature_len(feature: &[u8]) -> Result<(Option<ValueKind>, u64)> {
    let Some(lists) = wire::feature_lists(feature)? else {
        return Ok((None, 0));
    };
    let mut n = 0u64;
    match lists.kind {
        ListKind::Bytes => lists.for_each(|l| {
            wire::for_each_bytes(l, |_| {
                n += 1;
                Ok(())
            })
        })?,
        ListKind::Float => lists.for_each(|l| wire::for_each_float(l, |_| n += 1))?,
        ListKind::Int64 => lists.for_each(|l| wire::for_each_int64(l, |_| n += 1))?,
    }
    Ok((Some(lists.kind.into()), n))
}

fn validate_sequence_example(record: &[u8]) -> Result<()> {
    wire::for_each_sequence_part(
        record,
        |_, feature| feature_len(feature).map(drop),
        |_, list| wire::for_each_step(list, |step| feature_len(step).map(drop)),
    )
}

impl SchemaBuilder {
    pub fn new() -> Self {
        SchemaBuilder::default()
    }

    /// Adds the record at byte `offset` of its stream.
    pub fn add(&mut self, record: &[u8], offset: u64) {
        let index = self.records;
        self.records += 1;
        if self.not_example.is_some() {
            return;
        }
        let outcome = match message_kind(record) {
            Ok(Message::Example) => self.add_example(record),
            Ok(Message::SequenceExample) => {
                self.sequence_examples += 1;
                validate_sequence_example(record)
            }
            Err(e) => Err(e),
        };
        if let Err(e) = outcome {
            self.not_example = Some((index, offset, e.to_string()));
        }
    }

    fn add_example(&mut self, record: &[u8]) -> Result<()> {
        let walked = wire::for_each_example_feature(record, |name, feature| {
            let i = self.feature_index(name)?;
            let value = feature_len(feature)?;
            if self.pending[i].replace(value).is_none() {
                self.touched.push(i);
            }
            Ok(())
        });
        // A record that fails half way contributes nothing: the file is then not Examples.
        for i in self.touched.drain(..) {
            if let Some((kind, len)) = self.pending[i].take() {
                if walked.is_ok() {
                    self.features[i].add(kind, len);
                }
            }
        }
        walked
    }

    fn feature_index(&mut self, name: &[u8]) -> Result<usize> {
        if let Some(&i) = self.index.get(name) {
            return Ok(i);
        }
        let text = std::str::from_utf8(name).map_err(|_| {
            Error::InvalidArgument(format!(
                "feature name {:?} is not valid UTF-8",
                String::from_utf8_lossy(name)
            ))
        })?;
        let i = self.features.len();
        self.features.push(FeatureStats::new(text.to_owned()));
        self.pending.push(None);
        self.index.insert(name.to_vec(), i);
        Ok(i)
    }

    /// Records added so far.
    pub fn records(&self) -> u64 {
        self.records
    }

    pub fn finish(self) -> Contents {
        if let Some((record, offset, reason)) = self.not_example {
            return Contents::Other {
                record,
                offset,
                reason,
            };
        }
        if self.records == 0 {
            return Contents::NoRecords;
        }
        if self.sequence_examples > 0 {
            return Contents::SequenceExamples;
        }
        let mut features = self.features;
        // Features seen only in records that later failed were never counted.
        features.retain(|f| f.records > 0);
        if features.is_empty() {
            return Contents::Other {
                record: 0,
                offset: 0,
                reason: "no record holds a feature".into(),
            };
        }
        Contents::Examples(features)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::compression::Compression;
    use crate::formats::example::{Example, Feature, SequenceExample};
    use crate::formats::testdata::fixture;
    use crate::formats::tfrecord::TfRecordReader;

    fn schema_of(records: &[Vec<u8>]) -> Contents {
        let mut b = SchemaBuilder::new();
        for (i, r) in records.iter().enumerate() {
            b.add(r, i as u64 * 100);
        }
        b.finish()
    }

    fn example(features: Vec<(&str, Feature)>) -> Vec<u8> {
        Example {
            features: features
                .into_iter()
                .map(|(n, f)| (n.to_owned(), f))
                .collect(),
        }
        .encode()
    }

    fn features(contents: Contents) -> Vec<FeatureStats> {
        match contents {
            Contents::Examples(f) => f,
            other => panic!("expected Examples, got {other:?}"),
        }
    }

    #[test]
    fn shapes_follow_presence_and_lengths() {
        let records = vec![
            example(vec![
                ("label", Feature::Int64List(vec![1])),
                ("emb", Feature::FloatList(vec![0.5; 4])),
                ("tokens", Feature::Int64List(vec![1, 2])),
                ("name", Feature::BytesList(vec![b"a".to_vec()])),
                ("empty", Feature::FloatList(vec![])),
            ]),
            example(vec![
                ("name", Feature::BytesList(vec![b"b".to_vec()])),
                ("label", Feature::Int64List(vec![0])),
                ("emb", Feature::FloatList(vec![1.5; 4])),
                ("tokens", Feature::Int64List(vec![3])),
                ("empty", Feature::FloatList(vec![])),
                ("sometimes", Feature::Int64List(vec![9])),
            ]),
        ];
        let stats = features(schema_of(&records));
        let by_name = |n: &str| stats.iter().find(|f| f.name == n).unwrap();
        assert_eq!(
            stats.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(),
            ["label", "emb", "tokens", "name", "empty", "sometimes"]
        );
        assert_eq!(by_name("label").shape(2), Shape::Scalar);
        assert_eq!(by_name("label").kind(), Some(ValueKind::Int64));
        assert_eq!(by_name("emb").shape(2), Shape::Fixed(4));
        assert_eq!(by_name("emb").kind(), Some(ValueKind::Float));
        assert_eq!(by_name("tokens").shape(2), Shape::Variable);
        assert_eq!(
            (by_name("tokens").min_len, by_name("tokens").max_len),
            (1, 2)
        );
        assert_eq!(by_name("name").kind(), Some(ValueKind::Bytes));
        assert_eq!(by_name("empty").shape(2), Shape::Variable);
        assert_eq!(by_name("sometimes").records, 1);
        assert_eq!(by_name("sometimes").shape(2), Shape::Variable);
    }

    #[test]
    fn conflicting_kinds_and_unset_features_have_no_single_kind() {
        let records = vec![
            example(vec![
                ("x", Feature::Int64List(vec![1])),
                ("u", Feature::None),
            ]),
            example(vec![
                ("x", Feature::FloatList(vec![1.0])),
                ("u", Feature::None),
            ]),
        ];
        let stats = features(schema_of(&records));
        assert!(stats[0].conflicting());
        assert_eq!(stats[0].kind(), None);
        assert!(!stats[1].conflicting());
        assert_eq!(stats[1].kind(), None);
        assert_eq!(stats[1].kinds.unset, 2);
        assert_eq!(stats[1].shape(2), Shape::Variable);
    }

    #[test]
    fn a_repeated_name_counts_once_with_its_last_value() {
        // Two map entries for "x" in one record: protobuf keeps the last.
        let one = example(vec![("x", Feature::Int64List(vec![1, 2, 3]))]);
        let two = example(vec![("x", Feature::Int64List(vec![4]))]);
        let mut record = one.clone();
        record.extend_from_slice(&two);
        let stats = features(schema_of(&[record, two]));
        assert_eq!(stats[0].records, 2);
        assert_eq!(stats[0].values, 2);
        assert_eq!(stats[0].shape(2), Shape::Scalar);
    }

    #[test]
    fn non_examples_are_named_with_their_record_and_offset() {
        let good = example(vec![("x", Feature::Int64List(vec![1]))]);
        let contents = schema_of(&[good.clone(), vec![0xff, 0x01], good]);
        match contents {
            Contents::Other {
                record,
                offset,
                reason,
            } => {
                assert_eq!((record, offset), (1, 100));
                assert!(reason.contains("malformed protobuf"), "{reason}");
            }
            other => panic!("expected Other, got {other:?}"),
        }
        // Varint field 1 is not Example's Features message.
        match schema_of(&[vec![0x08, 0x01]]) {
            Contents::Other { reason, .. } => assert!(reason.contains("field 1"), "{reason}"),
            other => panic!("expected Other, got {other:?}"),
        }
        assert_eq!(schema_of(&[]), Contents::NoRecords);
        assert!(matches!(
            schema_of(&[vec![], vec![]]),
            Contents::Other { .. }
        ));
    }

    #[test]
    fn sequence_examples_are_recognized() {
        let seq = SequenceExample {
            context: vec![("id".into(), Feature::Int64List(vec![1]))],
            feature_lists: vec![("frames".into(), vec![Feature::FloatList(vec![1.0, 2.0])])],
        }
        .encode();
        assert_eq!(schema_of(&[seq]), Contents::SequenceExamples);

        let mut reader =
            TfRecordReader::open(&fixture("sequence.tfrecord"), Compression::None, None).unwrap();
        let mut b = SchemaBuilder::new();
        while let Some(r) = reader.next_record().unwrap() {
            b.add(&r, 0);
        }
        assert_eq!(b.finish(), Contents::SequenceExamples);
    }
}
