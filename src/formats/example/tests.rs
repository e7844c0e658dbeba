use super::parse::{parse_example, parse_example_tensor, parse_single_example};
use super::sequence::{parse_sequence_example, parse_single_sequence_example};
use super::spec::{FeatureSpec, Parsed};
use super::*;
use crate::engine::tensor::{StringBuf, Tensor};
use crate::formats::compression::Compression;
use crate::formats::protowire::{put_len_prefix, put_tag, put_varint, WireType};
use crate::formats::testdata::{base64_decode, fixture, json_fixture, Json};
use crate::formats::tfrecord::TfRecordReader;

fn records(name: &str) -> Vec<Vec<u8>> {
    TfRecordReader::open(&fixture(name), Compression::None, None)
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn records_of_sequence() -> Vec<Vec<u8>> {
    records("sequence.tfrecord")
}

fn expected_feature(json: &Json) -> Feature {
    match json.get("kind").str() {
        "int64_list" => Feature::Int64List(json.get("values").i64s()),
        "float_list" => Feature::FloatList(json.get("values").f32s()),
        // Empty byte lists are written as `"values": []`, others base64-encoded.
        "bytes_list" => Feature::BytesList(match json.try_get("values_b64") {
            Some(v) => v.array().iter().map(|b| base64_decode(b.str())).collect(),
            None => {
                assert!(json.get("values").array().is_empty());
                Vec::new()
            }
        }),
        other => panic!("unknown kind {other}"),
    }
}

#[test]
fn examples_decode_like_tensorflow() {
    let expected = json_fixture("examples.json");
    let expected = expected.get("records").array();
    let records = records("examples.tfrecord");
    assert_eq!(records.len(), expected.len());
    for (i, (record, want)) in records.iter().zip(expected).enumerate() {
        let example = Example::decode(record).unwrap();
        assert_eq!(example.features.len(), want.entries().len(), "record {i}");
        for (name, feature) in want.entries() {
            assert_eq!(
                example.get(name),
                Some(&expected_feature(feature)),
                "record {i} feature {name}"
            );
        }
    }
}

#[test]
fn re_encoding_reproduces_tensorflow_bytes() {
    for record in records("examples.tfrecord") {
        let example = Example::decode(&record).unwrap();
        assert_eq!(example.encode(), record);
    }
    for record in records("sequence.tfrecord") {
        let sequence = SequenceExample::decode(&record).unwrap();
        assert_eq!(sequence.encode(), record);
    }
}

#[test]
fn tensorflow_writes_features_in_hash_order() {
    // Documented in the module: the order is not sorted, so only the decoded order round-trips.
    let example = Example::decode(&records("examples.tfrecord")[0]).unwrap();
    let names: Vec<&str> = example.features.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "label",
            "embedding",
            "name",
            "tokens",
            "score",
            "blob",
            "tags",
            "id"
        ]
    );
}

#[test]
fn sequence_examples_decode_like_tensorflow() {
    let expected = json_fixture("sequence.json");
    for (record, want) in records("sequence.tfrecord")
        .iter()
        .zip(expected.get("records").array())
    {
        let s = SequenceExample::decode(record).unwrap();
        assert_eq!(
            s.context,
            vec![(
                "video_id".to_string(),
                Feature::Int64List(vec![want.get("video_id").i64()])
            )]
        );
        let frames: Vec<Feature> = want
            .get("frames")
            .array()
            .iter()
            .map(|step| Feature::FloatList(step.f32s()))
            .collect();
        assert_eq!(s.feature_lists, vec![("frames".to_string(), frames)]);
    }
}

fn strings(t: &Tensor) -> Vec<Vec<u8>> {
    t.as_strings().unwrap().iter().map(<[u8]>::to_vec).collect()
}

fn dense(p: &Parsed) -> &Tensor {
    match p {
        Parsed::Dense(t) => t,
        other => panic!("expected dense, got {other:?}"),
    }
}

#[test]
fn batches_parse_like_tensorflow() {
    let expected = json_fixture("parse_example.json");
    let spec = FeatureSpec::parse_list(expected.get("spec").str()).unwrap();
    let batch_size = expected.get("batch_size").i64() as usize;
    let records = records("examples.tfrecord");
    let batches: Vec<Vec<&[u8]>> = records
        .chunks(batch_size)
        .map(|c| c.iter().map(Vec::as_slice).collect())
        .collect();
    assert_eq!(batches.len(), expected.get("batches").array().len());
    for (batch, want) in batches.iter().zip(expected.get("batches").array()) {
        let out = parse_example(&spec, batch).unwrap();
        let n = batch.len();
        for (s, parsed) in spec.iter().zip(&out) {
            let w = want.get(&s.name);
            match s.name.as_str() {
                "id" | "missing" => {
                    let t = dense(parsed);
                    assert_eq!(t.shape(), [n]);
                    assert_eq!(t.as_slice::<i64>().unwrap(), w.i64s(), "{}", s.name);
                }
                "embedding" => {
                    let t = dense(parsed);
                    assert_eq!(t.shape(), [n, 8]);
                    let flat: Vec<f32> = w.array().iter().flat_map(Json::f32s).collect();
                    assert_eq!(t.as_slice::<f32>().unwrap(), flat);
                }
                "name" => {
                    let t = dense(parsed);
                    assert_eq!(t.shape(), [n]);
                    let names: Vec<Vec<u8>> =
                        w.array().iter().map(|b| base64_decode(b.str())).collect();
                    assert_eq!(strings(t), names);
                }
                "tags" => {
                    let Parsed::Sparse {
                        indices,
                        values,
                        dense_shape,
                    } = parsed
                    else {
                        panic!("tags should be sparse")
                    };
                    let want_indices: Vec<i64> = w
                        .get("indices")
                        .array()
                        .iter()
                        .flat_map(Json::i64s)
                        .collect();
                    assert_eq!(indices.shape(), [want_indices.len() / 2, 2]);
                    assert_eq!(indices.as_slice::<i64>().unwrap(), want_indices);
                    // The sparse values are written as plain strings.
                    let want_values: Vec<Vec<u8>> = w
                        .get("values")
                        .array()
                        .iter()
                        .map(|v| v.str().as_bytes().to_vec())
                        .collect();
                    assert_eq!(strings(values), want_values);
                    assert_eq!(
                        dense_shape.as_slice::<i64>().unwrap(),
                        w.get("dense_shape").i64s()
                    );
                }
                "tokens" => {
                    let Parsed::Ragged {
                        values,
                        nested_row_splits,
                    } = parsed
                    else {
                        panic!("tokens should be ragged")
                    };
                    let rows: Vec<Vec<i64>> = w.array().iter().map(Json::i64s).collect();
                    let flat: Vec<i64> = rows.concat();
                    let mut splits = vec![0i64];
                    for r in &rows {
                        splits.push(splits.last().unwrap() + r.len() as i64);
                    }
                    assert_eq!(values.as_slice::<i64>().unwrap(), flat);
                    assert_eq!(nested_row_splits.len(), 1);
                    assert_eq!(nested_row_splits[0].as_slice::<i64>().unwrap(), splits);
                }
                other => panic!("unexpected feature {other}"),
            }
        }
        // The same batch given as a string tensor parses the same.
        let tensor = Tensor::new(vec![n], StringBuf::from_items(batch.iter())).unwrap();
        assert_eq!(parse_example_tensor(&spec, &tensor).unwrap(), out);
    }
}

#[test]
fn single_example_has_no_batch_dimension() {
    let spec = FeatureSpec::parse_list(
        "id: FixedLen([],int64); embedding: FixedLen([8],float32); tags: VarLen(string); \
         tokens: Ragged(int64)",
    )
    .unwrap();
    let record = &records("examples.tfrecord")[3];
    let example = Example::decode(record).unwrap();
    let out = parse_single_example(&spec, record).unwrap();
    assert_eq!(dense(&out[0]).shape(), [] as [usize; 0]);
    assert_eq!(dense(&out[0]).as_slice::<i64>().unwrap(), [3]);
    assert_eq!(dense(&out[1]).shape(), [8]);
    let Parsed::Sparse {
        indices,
        values,
        dense_shape,
    } = &out[2]
    else {
        panic!("tags should be sparse")
    };
    let Some(Feature::BytesList(tags)) = example.get("tags") else {
        panic!("record 3 has tags")
    };
    assert_eq!(indices.shape(), [tags.len(), 1]);
    assert_eq!(
        indices.as_slice::<i64>().unwrap(),
        (0..tags.len() as i64).collect::<Vec<_>>()
    );
    assert_eq!(&strings(values), tags);
    assert_eq!(dense_shape.as_slice::<i64>().unwrap(), [tags.len() as i64]);
    let Some(Feature::Int64List(tokens)) = example.get("tokens") else {
        panic!("record 3 has tokens")
    };
    assert_eq!(dense(&out[3]).as_slice::<i64>().unwrap(), tokens.as_slice());
    let scalar = Tensor::scalar_bytes(record);
    assert_eq!(parse_example_tensor(&spec, &scalar).unwrap(), out);
}

#[test]
fn sequences_parse_like_tensorflow() {
    let expected = json_fixture("sequence.json");
    let expected = expected.get("records").array();
    let context = FeatureSpec::parse_list("video_id: FixedLen([],int64)").unwrap();
    let lists = FeatureSpec::parse_list("frames: FixedLenSequence([2],float32)").unwrap();
    let records = records("sequence.tfrecord");
    for (record, want) in records.iter().zip(expected) {
        let (c, s) = parse_single_sequence_example(&context, &lists, record).unwrap();
        assert_eq!(
            dense(&c[0]).as_slice::<i64>().unwrap(),
            [want.get("video_id").i64()]
        );
        let frames: Vec<Vec<f32>> = want.get("frames").array().iter().map(Json::f32s).collect();
        let t = dense(&s[0]);
        assert_eq!(t.shape(), [frames.len(), 2]);
        assert_eq!(t.as_slice::<f32>().unwrap(), frames.concat());
    }

    // As a batch, shorter lists are padded with zeros to the longest and lengths report them.
    let batch: Vec<&[u8]> = records.iter().map(Vec::as_slice).collect();
    let out = parse_sequence_example(&context, &lists, &batch).unwrap();
    assert_eq!(
        dense(&out.context[0]).as_slice::<i64>().unwrap(),
        [0, 1, 2, 3, 4]
    );
    let t = dense(&out.feature_lists[0]);
    assert_eq!(t.shape(), [5, 5, 2]);
    assert_eq!(out.lengths[0].as_slice::<i64>().unwrap(), [1, 2, 3, 4, 5]);
    let values = t.as_slice::<f32>().unwrap();
    assert_eq!(
        &values[..10],
        [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    );
    assert_eq!(&values[10..16], [1.0, 0.0, 2.0, -1.0, 0.0, 0.0]);
}

#[test]
fn sequence_varlen_and_ragged_lists() {
    let record = &records("sequence.tfrecord")[2];
    let lists = FeatureSpec::parse_list("frames: VarLen(float32)").unwrap();
    let (_, s) = parse_single_sequence_example(&[], &lists, record).unwrap();
    let Parsed::Sparse {
        indices,
        values,
        dense_shape,
    } = &s[0]
    else {
        panic!("sparse expected")
    };
    assert_eq!(indices.shape(), [6, 2]);
    assert_eq!(
        indices.as_slice::<i64>().unwrap(),
        [0, 0, 0, 1, 1, 0, 1, 1, 2, 0, 2, 1]
    );
    assert_eq!(
        values.as_slice::<f32>().unwrap(),
        [2.0, 0.0, 3.0, -1.0, 4.0, -2.0]
    );
    assert_eq!(dense_shape.as_slice::<i64>().unwrap(), [3, 2]);

    let records = records("sequence.tfrecord");
    let batch: Vec<&[u8]> = records[..2].iter().map(Vec::as_slice).collect();
    let out = parse_sequence_example(&[], &lists, &batch).unwrap();
    let Parsed::Sparse {
        indices,
        dense_shape,
        ..
    } = &out.feature_lists[0]
    else {
        panic!("sparse expected")
    };
    assert_eq!(indices.shape(), [6, 3]);
    assert_eq!(
        indices.as_slice::<i64>().unwrap(),
        [0, 0, 0, 0, 0, 1, 1, 0, 0, 1, 0, 1, 1, 1, 0, 1, 1, 1]
    );
    assert_eq!(dense_shape.as_slice::<i64>().unwrap(), [2, 2, 2]);

    let ragged = FeatureSpec::parse_list("frames: Ragged(float32)").unwrap();
    let out = parse_sequence_example(&[], &ragged, &batch).unwrap();
    let Parsed::Ragged {
        values,
        nested_row_splits,
    } = &out.feature_lists[0]
    else {
        panic!("ragged expected")
    };
    assert_eq!(
        values.as_slice::<f32>().unwrap(),
        [0.0, 0.0, 1.0, 0.0, 2.0, -1.0]
    );
    assert_eq!(nested_row_splits[0].as_slice::<i64>().unwrap(), [0, 1, 3]);
    assert_eq!(
        nested_row_splits[1].as_slice::<i64>().unwrap(),
        [0, 2, 4, 6]
    );
}

/// Builds a Features map entry by hand, for encodings TensorFlow's writer never produces.
fn entry(name: &str, feature: &[u8]) -> Vec<u8> {
    let mut e = Vec::new();
    put_len_prefix(&mut e, 1, name.len());
    e.extend_from_slice(name.as_bytes());
    put_len_prefix(&mut e, 2, feature.len());
    e.extend_from_slice(feature);
    e
}

fn example_of(entries: &[Vec<u8>]) -> Vec<u8> {
    let features: Vec<u8> = entries
        .iter()
        .flat_map(|e| {
            let mut out = Vec::new();
            put_len_prefix(&mut out, 1, e.len());
            out.extend_from_slice(e);
            out
        })
        .collect();
    let mut out = Vec::new();
    put_len_prefix(&mut out, 1, features.len());
    out.extend_from_slice(&features);
    out
}

fn wrap(field: u32, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    put_len_prefix(&mut out, field, payload.len());
    out.extend_from_slice(payload);
    out
}

#[test]
fn unpacked_numbers_and_unknown_fields_are_accepted() {
    // Int64List with each value as its own varint field, plus an unknown fixed64 field 9.
    let mut ints = Vec::new();
    for v in [5i64, -3] {
        put_tag(&mut ints, 1, WireType::Varint);
        put_varint(&mut ints, v as u64);
    }
    put_tag(&mut ints, 9, WireType::Fixed64);
    ints.extend_from_slice(&[0; 8]);
    // FloatList with fixed32 fields.
    let mut floats = Vec::new();
    for v in [1.5f32, -2.0] {
        put_tag(&mut floats, 1, WireType::Fixed32);
        floats.extend_from_slice(&v.to_le_bytes());
    }
    let mut record = example_of(&[entry("i", &wrap(3, &ints)), entry("f", &wrap(2, &floats))]);
    // An unknown top-level varint field 7.
    put_tag(&mut record, 7, WireType::Varint);
    put_varint(&mut record, 300);
    let example = Example::decode(&record).unwrap();
    assert_eq!(example.get("i"), Some(&Feature::Int64List(vec![5, -3])));
    assert_eq!(example.get("f"), Some(&Feature::FloatList(vec![1.5, -2.0])));
    let spec = FeatureSpec::parse_list("i: FixedLen([2],int64); f: VarLen(float32)").unwrap();
    let out = parse_example(&spec, &[&record]).unwrap();
    assert_eq!(dense(&out[0]).as_slice::<i64>().unwrap(), [5, -3]);
}

#[test]
fn repeated_keys_keep_the_last_value() {
    let one = Feature::Int64List(vec![1]).encode();
    let two = Feature::Int64List(vec![2]).encode();
    let record = example_of(&[entry("x", &one), entry("y", &one), entry("x", &two)]);
    let example = Example::decode(&record).unwrap();
    assert_eq!(
        example.features,
        vec![
            ("x".to_string(), Feature::Int64List(vec![2])),
            ("y".to_string(), Feature::Int64List(vec![1]))
        ]
    );
    let spec = FeatureSpec::parse_list("x: FixedLen([],int64)").unwrap();
    let out = parse_example(&spec, &[&record]).unwrap();
    assert_eq!(dense(&out[0]).as_slice::<i64>().unwrap(), [2]);
}

fn invalid(result: Result<impl std::fmt::Debug>) -> String {
    match result {
        Err(Error::InvalidArgument(m)) => m,
        other => panic!("expected InvalidArgument, got {other:?}"),
    }
}

#[test]
fn spec_errors_name_the_feature_and_record() {
    let records = records("examples.tfrecord");
    let batch: Vec<&[u8]> = records[..3].iter().map(Vec::as_slice).collect();

    let spec = FeatureSpec::parse_list("nope: FixedLen([],int64)").unwrap();
    let m = invalid(parse_example(&spec, &batch));
    assert!(
        m.contains("\"nope\"") && m.contains("record 0") && m.contains("missing"),
        "{m}"
    );

    let spec = FeatureSpec::parse_list("score: FixedLen([],int64)").unwrap();
    let m = invalid(parse_example(&spec, &batch));
    assert!(
        m.contains("\"score\"") && m.contains("int64") && m.contains("float_list"),
        "{m}"
    );

    let spec = FeatureSpec::parse_list("tags: FixedLen([1],string)").unwrap();
    let m = invalid(parse_example(&spec, &batch));
    assert!(
        m.contains("\"tags\"") && m.contains("record 0") && m.contains("0 values"),
        "{m}"
    );

    let spec = FeatureSpec::parse_list("x: VarLen(int64); x: Ragged(int64)").unwrap();
    assert!(invalid(parse_example(&spec, &batch)).contains("twice"));

    let sequence = records_of_sequence();
    let spec = FeatureSpec::parse_list("nope: FixedLenSequence([2],float32)").unwrap();
    let m = invalid(parse_single_sequence_example(&[], &spec, &sequence[0]));
    assert!(
        m.contains("\"nope\"") && m.contains("required feature list"),
        "{m}"
    );
    let spec = FeatureSpec::parse_list("frames: FixedLenSequence([3],float32)").unwrap();
    let m = invalid(parse_sequence_example(
        &[],
        &spec,
        &[&sequence[0], &sequence[1]],
    ));
    assert!(
        m.contains("\"frames\" in record 0: step 0 holds 2 values"),
        "{m}"
    );
    let spec = FeatureSpec::parse_list("frames: FixedLen([2],float32)").unwrap();
    assert!(
        invalid(parse_single_sequence_example(&[], &spec, &sequence[0]))
            .contains("sequence feature")
    );

    let spec = FeatureSpec::parse_list("x: FixedLenSequence([2],float32)").unwrap();
    let m = invalid(parse_single_sequence_example(&spec, &[], &records[0]));
    assert!(m.contains("context"), "{m}");
}

#[test]
fn malformed_records_are_invalid_argument() {
    let spec = FeatureSpec::parse_list("id: FixedLen([],int64); tags: VarLen(string)").unwrap();
    let good = Feature::Int64List(vec![1]).encode();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("truncated varint", vec![0x0a, 0x80]),
        ("length past end", vec![0x0a, 0x05, 0x0a, 0x01]),
        ("huge length", {
            let mut r = vec![0x0a];
            put_varint(&mut r, u64::MAX);
            r
        }),
        ("features as a varint", vec![0x08, 0x01]),
        (
            "map entry key as fixed32",
            example_of(&[vec![0x0d, 0, 0, 0, 0]]),
        ),
        (
            "feature kind as a varint",
            example_of(&[entry("id", &[0x18, 0x01])]),
        ),
        (
            "packed floats of 3 bytes",
            example_of(&[entry("id", &wrap(2, &[0x0a, 3, 1, 2, 3]))]),
        ),
        (
            "int64 as fixed32",
            example_of(&[entry("id", &wrap(3, &[0x0d, 1, 2, 3, 4]))]),
        ),
        (
            "truncated packed varint",
            example_of(&[entry("id", &wrap(3, &[0x0a, 1, 0x80]))]),
        ),
        ("end group", vec![0x0c]),
    ];
    for (what, record) in cases {
        let m = invalid(Example::decode(&record));
        assert!(m.contains("malformed protobuf"), "{what}: {m}");
        let m = invalid(parse_example(
            &spec,
            &[&example_of(&[entry("id", &good)]), &record],
        ));
        assert!(m.contains("record 1"), "{what}: {m}");
    }
}

#[test]
fn damaged_records_never_panic() {
    let spec = FeatureSpec::parse_list(
        "id: FixedLen([],int64,default=0); tags: VarLen(string); tokens: Ragged(int64)",
    )
    .unwrap();
    let sequence_spec = FeatureSpec::parse_list("frames: VarLen(float32)").unwrap();
    let mut inputs = records("examples.tfrecord")[..4].to_vec();
    inputs.extend(records("sequence.tfrecord")[..2].iter().cloned());
    for record in inputs {
        for cut in 0..record.len() {
            let prefix = &record[..cut];
            let _ = Example::decode(prefix);
            let _ = SequenceExample::decode(prefix);
            let _ = parse_example(&spec, &[prefix]);
            let _ = parse_single_sequence_example(&[], &sequence_spec, prefix);
        }
        for i in 0..record.len() {
            for flip in [0x80u8, 0x07, 0xff] {
                let mut damaged = record.clone();
                damaged[i] ^= flip;
                let _ = Example::decode(&damaged);
                let _ = SequenceExample::decode(&damaged);
                let _ = parse_example(&spec, &[&damaged]);
                let _ = parse_single_sequence_example(&[], &sequence_spec, &damaged);
            }
        }
    }
}

#[test]
fn empty_lists_and_unset_kinds_encode_as_tensorflow_does() {
    assert_eq!(Feature::None.encode(), b"");
    assert_eq!(Feature::Int64List(vec![]).encode(), [0x1a, 0x00]);
    assert_eq!(Feature::FloatList(vec![]).encode(), [0x12, 0x00]);
    assert_eq!(
        Feature::BytesList(vec![vec![]]).encode(),
        [0x0a, 0x02, 0x0a, 0x00]
    );
    assert_eq!(Example::default().encode(), b"");
    for f in [
        Feature::None,
        Feature::Int64List(vec![i64::MIN, -1, 0, i64::MAX]),
        Feature::FloatList(vec![f32::MIN, 0.0, -0.0]),
        Feature::BytesList(vec![b"a".to_vec(), vec![], vec![0xff; 300]]),
    ] {
        assert_eq!(Feature::decode(&f.encode()).unwrap(), f);
    }
}
