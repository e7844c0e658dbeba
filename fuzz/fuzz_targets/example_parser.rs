//! tf.train.Example / SequenceExample decoding and the batch parsers on arbitrary bytes: every
//! input must decode, parse or fail with an error, never panic or allocate without bound. An
//! Example (or SequenceExample) that decodes must survive `decode(encode(x))` unchanged.
//!
//! The input is one serialized record; the batch parsers also see it split into several records
//! at each `SEPARATOR`, so that padding and batching across records of different shapes is
//! exercised too.
#![no_main]

use std::sync::OnceLock;

use ferroflow::formats::example::{
    parse_example, parse_sequence_example, parse_single_example, Example, Feature, FeatureSpec,
    Parsed, SequenceExample,
};
use libfuzzer_sys::fuzz_target;

const SEPARATOR: &[u8] = b"\xffREC";

const EXAMPLE_SPEC: &str = "id: FixedLen([],int64); embedding: FixedLen([8],float32); \
    name: FixedLen([],string); tags: VarLen(string); tokens: Ragged(int64); \
    missing: FixedLen([],int64,default=-1)";
const CONTEXT_SPEC: &str = "video_id: FixedLen([],int64,default=0); label: VarLen(string)";
const SEQUENCE_SPEC: &str =
    "frames: FixedLenSequence([2],float32,allow_missing); ids: VarLen(int64); words: Ragged(string)";

struct Specs {
    example: Vec<FeatureSpec>,
    context: Vec<FeatureSpec>,
    sequence: Vec<FeatureSpec>,
}

fn specs() -> &'static Specs {
    static SPECS: OnceLock<Specs> = OnceLock::new();
    SPECS.get_or_init(|| Specs {
        example: FeatureSpec::parse_list(EXAMPLE_SPEC).unwrap(),
        context: FeatureSpec::parse_list(CONTEXT_SPEC).unwrap(),
        sequence: FeatureSpec::parse_list(SEQUENCE_SPEC).unwrap(),
    })
}

fn split_records(data: &[u8]) -> Vec<&[u8]> {
    let mut records = Vec::new();
    let mut rest = data;
    while let Some(at) = rest.windows(SEPARATOR.len()).position(|w| w == SEPARATOR) {
        records.push(&rest[..at]);
        rest = &rest[at + SEPARATOR.len()..];
    }
    records.push(rest);
    records
}

/// Equality that compares floats by their bits, so that a NaN equals itself.
fn same_feature(a: &Feature, b: &Feature) -> bool {
    match (a, b) {
        (Feature::FloatList(x), Feature::FloatList(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| p.to_bits() == q.to_bits())
        }
        _ => a == b,
    }
}

fn same_features(a: &[(String, Feature)], b: &[(String, Feature)]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|((n, f), (m, g))| n == m && same_feature(f, g))
}

fn same_lists(a: &[(String, Vec<Feature>)], b: &[(String, Vec<Feature>)]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|((n, f), (m, g))| {
            n == m && f.len() == g.len() && f.iter().zip(g).all(|(p, q)| same_feature(p, q))
        })
}

/// Shape facts every parsed output must satisfy, whatever the input was.
fn check_parsed(out: &[Parsed], rows: usize) {
    for parsed in out {
        match parsed {
            Parsed::Dense(t) => assert_eq!(t.shape().first(), Some(&rows), "{parsed:?}"),
            Parsed::Sparse {
                indices,
                values,
                dense_shape,
            } => {
                assert_eq!(
                    indices.shape().first(),
                    values.shape().first(),
                    "{parsed:?}"
                );
                assert_eq!(dense_shape.shape().len(), 1, "{parsed:?}");
                let rank = dense_shape.num_elements();
                assert_eq!(indices.shape(), [values.num_elements(), rank], "{parsed:?}");
                assert_eq!(dense_shape.as_slice::<i64>().unwrap()[0], rows as i64);
            }
            Parsed::Ragged {
                values,
                nested_row_splits,
            } => {
                let outer = &nested_row_splits[0];
                assert_eq!(outer.num_elements(), rows + 1, "{parsed:?}");
                let last = nested_row_splits.last().unwrap().as_slice::<i64>().unwrap();
                assert_eq!(*last.last().unwrap(), values.num_elements() as i64);
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let specs = specs();

    if let Ok(ex) = Example::decode(data) {
        let bytes = ex.encode();
        let again = Example::decode(&bytes).expect("an encoded Example must decode");
        assert!(
            same_features(&ex.features, &again.features),
            "Example changed in a round trip:\n{ex:?}\n{again:?}"
        );
        assert_eq!(again.encode(), bytes, "re-encoding is not stable");
    }

    if let Ok(seq) = SequenceExample::decode(data) {
        let bytes = seq.encode();
        let again =
            SequenceExample::decode(&bytes).expect("an encoded SequenceExample must decode");
        assert!(
            same_features(&seq.context, &again.context)
                && same_lists(&seq.feature_lists, &again.feature_lists),
            "SequenceExample changed in a round trip:\n{seq:?}\n{again:?}"
        );
        assert_eq!(again.encode(), bytes, "re-encoding is not stable");
    }

    if let Ok(out) = parse_single_example(&specs.example, data) {
        assert_eq!(out.len(), specs.example.len());
    }
    let records = split_records(data);
    if let Ok(out) = parse_example(&specs.example, &records) {
        assert_eq!(out.len(), specs.example.len());
        check_parsed(&out, records.len());
    }
    if let Ok(batch) = parse_sequence_example(&specs.context, &specs.sequence, &records) {
        assert_eq!(batch.context.len(), specs.context.len());
        assert_eq!(batch.feature_lists.len(), specs.sequence.len());
        assert_eq!(batch.lengths.len(), specs.sequence.len());
        check_parsed(&batch.context, records.len());
        check_parsed(&batch.feature_lists, records.len());
    }
});
