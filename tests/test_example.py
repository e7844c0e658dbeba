"""tf.train.Example protos and tf.io.parse_* against what TensorFlow returned."""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest

import ferroflow as ff
from ferroflow.data import TFRecordDataset


def _examples(fixtures):
    return list(TFRecordDataset(str(fixtures / "tfrecord/examples.tfrecord")).as_numpy_iterator())


def _expected_feature(entry):
    if "values_b64" in entry:
        return [base64.b64decode(v) for v in entry["values_b64"]]
    return entry["values"]


def test_decoded_examples_match_tensorflow(fixtures):
    expected = json.loads((fixtures / "tfrecord/examples.json").read_text())["records"]
    records = _examples(fixtures)
    assert len(records) == len(expected) == 50
    for raw, want in zip(records, expected):
        ex = ff.train.Example.FromString(raw)
        assert set(ex.features.feature) == set(want)
        for key, entry in want.items():
            feature = ex.features.feature[key]
            assert feature.WhichOneof("kind") == entry["kind"]
            got = getattr(feature, entry["kind"]).value
            if entry["kind"] == "float_list":
                np.testing.assert_array_equal(np.float32(got), np.float32(_expected_feature(entry)))
            else:
                assert got == _expected_feature(entry), key


def test_reserialising_gives_tensorflows_bytes(fixtures):
    for raw in _examples(fixtures):
        assert ff.train.Example.FromString(raw).SerializeToString() == raw
    for raw in TFRecordDataset(str(fixtures / "tfrecord/sequence.tfrecord")).as_numpy_iterator():
        assert ff.train.SequenceExample.FromString(raw).SerializeToString() == raw


def test_keyword_construction_round_trips():
    ex = ff.train.Example(
        features=ff.train.Features(
            feature={
                "label": ff.train.Feature(int64_list=ff.train.Int64List(value=[7, -(2**40)])),
                "x": ff.train.Feature(float_list=ff.train.FloatList(value=[0.5, 1.25])),
                "img": ff.train.Feature(bytes_list=ff.train.BytesList(value=[b"\x00\xff", b""])),
                "empty": ff.train.Feature(),
            }
        )
    )
    back = ff.train.Example.FromString(ex.SerializeToString())
    assert back == ex
    assert back.features.feature["label"].int64_list.value == [7, -(2**40)]
    assert back.features.feature["x"].float_list.value == [0.5, 1.25]
    assert back.features.feature["img"].bytes_list.value == [b"\x00\xff", b""]
    assert back.features.feature["empty"].WhichOneof("kind") is None
    assert 'key: "label"' in repr(back) and "value: 7" in repr(back)


def test_sequence_example_round_trip():
    seq = ff.train.SequenceExample(
        context=ff.train.Features(
            feature={"id": ff.train.Feature(int64_list=ff.train.Int64List(value=[3]))}
        ),
        feature_lists=ff.train.FeatureLists(
            feature_list={
                "frames": ff.train.FeatureList(
                    feature=[
                        ff.train.Feature(float_list=ff.train.FloatList(value=[1.0, 2.0])),
                        ff.train.Feature(float_list=ff.train.FloatList(value=[3.0, 4.0])),
                    ]
                )
            }
        ),
    )
    back = ff.train.SequenceExample.FromString(seq.SerializeToString())
    assert back == seq
    assert [f.float_list.value for f in back.feature_lists.feature_list["frames"].feature] == [
        [1.0, 2.0],
        [3.0, 4.0],
    ]


def test_malformed_bytes_are_invalid_argument():
    with pytest.raises(ff.errors.InvalidArgumentError):
        ff.train.Example.FromString(b"\x0a\xff\xff\xff\xff\x0f")


def _parse_spec():
    return {
        "id": ff.io.FixedLenFeature([], ff.int64),
        "embedding": ff.io.FixedLenFeature([8], ff.float32),
        "name": ff.io.FixedLenFeature([], ff.string),
        "tags": ff.io.VarLenFeature(ff.string),
        "tokens": ff.io.RaggedFeature(ff.int64),
        "missing": ff.io.FixedLenFeature([], ff.int64, default_value=-1),
    }


def test_parse_example_matches_tensorflow(fixtures):
    truth = json.loads((fixtures / "tfrecord/parse_example.json").read_text())
    records = _examples(fixtures)
    spec = _parse_spec()
    size = truth["batch_size"]
    for i, want in enumerate(truth["batches"]):
        batch = np.array(records[i * size : (i + 1) * size], dtype=object)
        got = ff.io.parse_example(batch, spec)
        assert got["id"].tolist() == want["id"] and got["id"].dtype == np.int64
        np.testing.assert_array_equal(got["embedding"], np.float32(want["embedding"]))
        assert got["name"].tolist() == [base64.b64decode(n) for n in want["name"]]
        tags = got["tags"]
        assert tags.indices.tolist() == want["tags"]["indices"]
        assert tags.values.tolist() == [t.encode() for t in want["tags"]["values"]]
        assert tags.dense_shape.tolist() == want["tags"]["dense_shape"]
        assert got["tokens"].to_list() == want["tokens"]
        assert got["missing"].tolist() == want["missing"]


def test_parse_single_example_matches_the_batch(fixtures):
    records = _examples(fixtures)
    spec = _parse_spec()
    batch = ff.io.parse_example(records[:16], spec)
    for row, raw in enumerate(records[:16]):
        one = ff.io.parse_single_example(raw, spec)
        assert one["id"] == batch["id"][row] and one["id"].shape == ()
        np.testing.assert_array_equal(one["embedding"], batch["embedding"][row])
        assert one["name"] == batch["name"][row]
        assert one["tokens"].tolist() == batch["tokens"].to_list()[row]
        mine = batch["tags"].indices[:, 0] == row
        assert one["tags"].values.tolist() == batch["tags"].values[mine].tolist()
        assert one["tags"].indices.shape[1] == 1


def test_parse_sequence_examples_match_tensorflow(fixtures):
    truth = json.loads((fixtures / "tfrecord/sequence.json").read_text())["records"]
    records = list(TFRecordDataset(str(fixtures / "tfrecord/sequence.tfrecord")))
    context_spec = {"video_id": ff.io.FixedLenFeature([], ff.int64)}
    sequence_spec = {"frames": ff.io.FixedLenSequenceFeature([2], ff.float32)}
    for raw, want in zip(records, truth):
        ctx, seq = ff.io.parse_single_sequence_example(raw, context_spec, sequence_spec)
        assert ctx["video_id"] == want["video_id"]
        np.testing.assert_array_equal(seq["frames"], np.float32(want["frames"]))
    ctx, seq, lengths = ff.io.parse_sequence_example(
        np.array(records, dtype=object), context_spec, sequence_spec
    )
    assert ctx["video_id"].tolist() == [r["video_id"] for r in truth]
    assert seq["frames"].shape == (5, 5, 2) and lengths["frames"].tolist() == [1, 2, 3, 4, 5]
    np.testing.assert_array_equal(seq["frames"][2, :3], np.float32(truth[2]["frames"]))
    assert not seq["frames"][2, 3:].any()


def test_missing_required_feature_names_feature_and_record(fixtures):
    records = _examples(fixtures)[:4]
    with pytest.raises(ff.errors.InvalidArgumentError, match=r"nope.*record|record.*nope"):
        ff.io.parse_example(records, {"nope": ff.io.FixedLenFeature([], ff.int64)})


def test_wrong_kind_and_length_are_reported(fixtures):
    records = _examples(fixtures)[:4]
    with pytest.raises(ff.errors.InvalidArgumentError, match="name"):
        ff.io.parse_example(records, {"name": ff.io.FixedLenFeature([], ff.int64)})
    with pytest.raises(ff.errors.InvalidArgumentError, match="embedding"):
        ff.io.parse_example(records, {"embedding": ff.io.FixedLenFeature([3], ff.float32)})


def test_parsing_in_a_pipeline_per_record_and_per_batch(fixtures):
    spec = {
        "id": ff.io.FixedLenFeature([], ff.int64),
        "embedding": ff.io.FixedLenFeature([8], ff.float32),
        "name": ff.io.FixedLenFeature([], ff.string),
        "missing": ff.io.FixedLenFeature([], ff.int64, default_value=-1),
    }
    path = str(fixtures / "tfrecord/examples.tfrecord")
    per_record = TFRecordDataset(path).map(lambda s: ff.io.parse_single_example(s, spec))
    per_batch = TFRecordDataset(path).batch(256).map(lambda s: ff.io.parse_example(s, spec))
    rows = list(per_record)
    (batch,) = list(per_batch)
    assert per_record.element_spec["embedding"] == ff.TensorSpec([8], ff.float32)
    for key in spec:
        np.testing.assert_array_equal(np.stack([r[key] for r in rows]), batch[key])
    rebatched = next(iter(per_record.batch(256)))
    for key in spec:
        np.testing.assert_array_equal(rebatched[key], batch[key])


def test_sparse_values_in_a_pipeline(fixtures):
    spec = {"tags": ff.io.VarLenFeature(ff.string)}
    path = str(fixtures / "tfrecord/examples.tfrecord")
    ds = TFRecordDataset(path).batch(16).map(lambda s: ff.io.parse_example(s, spec))
    first = next(iter(ds))["tags"]
    assert isinstance(first, ff.SparseTensor) and first.dense_shape.tolist()[0] == 16
    assert isinstance(ds.element_spec["tags"], ff.SparseTensorSpec)
    with pytest.raises(ff.errors.UnimplementedError):
        list(ds.unbatch())
