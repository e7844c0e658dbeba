"""TFRecord reading and writing against the files TensorFlow wrote (../shared/fixtures)."""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest

import ferroflow as ff
from ferroflow.data import TFRecordDataset


def _raw_records(fixtures):
    data = json.loads((fixtures / "tfrecord/raw.json").read_text())
    return [base64.b64decode(r) for r in data["records_b64"]]


def test_raw_records_match_tensorflow(fixtures):
    records = list(TFRecordDataset(str(fixtures / "tfrecord/raw.tfrecord")).as_numpy_iterator())
    assert records == _raw_records(fixtures)
    assert [len(r) for r in records] == [0, 1, 1024, 70000]


def test_empty_file_has_no_records(fixtures):
    assert list(TFRecordDataset(str(fixtures / "tfrecord/empty.tfrecord"))) == []


@pytest.mark.parametrize("suffix, compression", [(".gz", "GZIP"), (".zlib", "ZLIB")])
def test_compressed_files_hold_the_same_records(fixtures, suffix, compression):
    plain = list(TFRecordDataset(str(fixtures / "tfrecord/examples.tfrecord")))
    packed = TFRecordDataset(
        str(fixtures / f"tfrecord/examples.tfrecord{suffix}"), compression_type=compression
    )
    assert list(packed) == plain and len(plain) == 50


def test_batched_records_are_a_string_array(fixtures):
    batches = list(TFRecordDataset(str(fixtures / "tfrecord/raw.tfrecord")).batch(3))
    assert [b.shape for b in batches] == [(3,), (1,)]
    assert batches[0].dtype == object and batches[0].tolist() == _raw_records(fixtures)[:3]


def test_filenames_as_list_and_dataset(fixtures):
    raw = str(fixtures / "tfrecord/raw.tfrecord")
    empty = str(fixtures / "tfrecord/empty.tfrecord")
    expected = _raw_records(fixtures) * 2
    assert list(TFRecordDataset([raw, empty, raw])) == expected
    names = ff.data.Dataset.from_tensor_slices([raw, raw])
    assert list(TFRecordDataset(names)) == expected


def test_parallel_reads_interleave_records_in_file_order(fixtures, tmp_path):
    paths = []
    for f in range(3):
        path = tmp_path / f"f{f}.tfrecord"
        with ff.io.TFRecordWriter(str(path)) as w:
            for r in range(f + 2):
                w.write(f"{f}-{r}".encode())
        paths.append(str(path))
    out = [r.numpy().decode() for r in TFRecordDataset(paths, num_parallel_reads=2)]
    # The order TensorFlow 2.21 gives for these files.
    assert out == ["0-0", "1-0", "0-1", "1-1", "1-2", "2-0", "2-1", "2-2", "2-3"]
    auto = TFRecordDataset(paths, num_parallel_reads=ff.data.AUTOTUNE)
    assert sorted(r.decode() for r in auto.as_numpy_iterator()) == sorted(out)


def test_damaged_files_fail_after_tensorflows_records(fixtures):
    expected = json.loads((fixtures / "tfrecord/damaged.json").read_text())
    for name, outcome in expected.items():
        path = fixtures / "tfrecord" / name
        it = iter(TFRecordDataset(str(path)))
        got = []
        with pytest.raises(ff.errors.DataLossError) as info:
            for record in it:
                got.append(record)
        message = str(info.value)
        assert str(path) in message, message
        if outcome.get("tensorflow_crashed"):
            continue  # TensorFlow segfaults on this file; a clean DataLossError is the goal
        assert len(got) == outcome["records_before_error"], name
        assert got == _raw_records(fixtures)[: len(got)]
        offset = "".join(
            ch for ch in outcome["message"].split(" at ")[1].split()[0] if ch.isdigit()
        )
        assert f"at {offset}" in message, (message, offset)


def test_huge_length_is_a_clean_error_naming_the_offset(fixtures):
    with pytest.raises(ff.errors.DataLossError, match=r"at 0"):
        list(TFRecordDataset(str(fixtures / "tfrecord/huge_length_valid_crc.tfrecord")))


def test_missing_file_is_not_found(tmp_path):
    with pytest.raises(ff.errors.NotFoundError, match="nope.tfrecord"):
        list(TFRecordDataset(str(tmp_path / "nope.tfrecord")))


def test_ignore_errors_skips_the_rest_of_a_damaged_file(fixtures):
    bad = str(fixtures / "tfrecord/bad_data_crc.tfrecord")
    raw = str(fixtures / "tfrecord/raw.tfrecord")
    ds = TFRecordDataset([bad, raw, bad]).ignore_errors()
    it = iter(ds)
    records = list(it)
    good = _raw_records(fixtures)
    assert records == good[:2] + good + good[:2]
    assert len(it.ignored_errors) == 2 and all(bad in e for e in it.ignored_errors)
    applied = TFRecordDataset([bad, raw]).apply(ff.data.experimental.ignore_errors())
    assert list(applied) == good[:2] + good


def test_writer_rewrites_raw_byte_for_byte(fixtures, tmp_path):
    out = tmp_path / "raw.tfrecord"
    with ff.io.TFRecordWriter(str(out)) as w:
        for r in _raw_records(fixtures):
            w.write(r)
    assert out.read_bytes() == (fixtures / "tfrecord/raw.tfrecord").read_bytes()


@pytest.mark.parametrize(
    "options", ["GZIP", "ZLIB", ff.io.TFRecordOptions("GZIP"), ff.io.TFRecordOptions("ZLIB")]
)
def test_compressed_writes_round_trip(fixtures, tmp_path, options):
    name = options if isinstance(options, str) else options.compression_type
    out = tmp_path / f"x.{name}"
    records = _raw_records(fixtures) * 3
    w = ff.io.TFRecordWriter(out, options)
    for r in records:
        w.write(r)
    w.flush()
    w.close()
    assert list(TFRecordDataset(str(out), compression_type=name)) == records
    magic = out.read_bytes()[:2]
    assert magic == (b"\x1f\x8b" if name == "GZIP" else b"\x78\x9c")


def test_writer_after_close_fails(tmp_path):
    w = ff.io.TFRecordWriter(tmp_path / "c.tfrecord")
    w.close()
    with pytest.raises(ff.errors.FailedPreconditionError):
        w.write(b"late")


def test_bad_compression_name():
    with pytest.raises(ValueError):
        TFRecordDataset("x", compression_type="LZ4")


def test_records_arrive_without_python_objects_per_record(fixtures):
    # batch(256) over raw records is sliced in Rust: the batch is one object array.
    ds = TFRecordDataset(str(fixtures / "tfrecord/examples.tfrecord")).batch(256)
    (batch,) = list(ds.as_numpy_iterator())
    assert batch.shape == (50,) and all(isinstance(b, bytes) for b in batch)
    records = TFRecordDataset(str(fixtures / "tfrecord/examples.tfrecord")).as_numpy_iterator()
    assert np.array_equal(batch, np.array(list(records), dtype=object))


@pytest.mark.parametrize("suffix, compression", [(".gz", "GZIP"), (".zlib", "ZLIB")])
@pytest.mark.parametrize("damage", ["header", "stream", "cut"])
def test_a_damaged_compressed_stream_is_data_loss_naming_the_file(
    fixtures, tmp_path, suffix, compression, damage
):
    data = bytearray((fixtures / "tfrecord" / f"examples.tfrecord{suffix}").read_bytes())
    if damage == "header":
        data[0] ^= 0xFF
    elif damage == "stream":
        for i in range(len(data) // 2, len(data) // 2 + 16):
            data[i] ^= 0x5A
    else:
        data = data[: len(data) // 2]
    path = tmp_path / f"damaged{suffix}"
    path.write_bytes(bytes(data))
    with pytest.raises(ff.errors.DataLossError, match="damaged"):
        list(TFRecordDataset(str(path), compression_type=compression))
    with pytest.raises(ff.errors.DataLossError, match="damaged"):
        list(ff.data.TextLineDataset(str(path), compression_type=compression))
