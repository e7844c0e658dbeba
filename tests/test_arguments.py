"""Arguments out of range are refused when the dataset is built, with InvalidArgumentError
naming the argument and the value, as tf.data refuses them."""

from __future__ import annotations

import numpy as np
import pytest

import ferroflow as ff

DS = ff.data.Dataset.range(6)


def identity(x):
    return x


CASES = [
    (lambda: DS.batch(0), "batch_size must be greater than zero, got 0"),
    (lambda: DS.batch(-2), "batch_size must be greater than zero, got -2"),
    (lambda: DS.padded_batch(0), "batch_size must be greater than zero, got 0"),
    (lambda: DS.ragged_batch(-1), "batch_size must be greater than zero, got -1"),
    (lambda: DS.shuffle(0), "buffer_size must be greater than zero, got 0"),
    (lambda: DS.shard(0, 0), "num_shards must be positive, got 0"),
    (lambda: DS.shard(2, 2), r"index must be in \[0, 2\), got 2"),
    (lambda: DS.shard(2, -1), r"index must be in \[0, 2\), got -1"),
    (lambda: DS.prefetch(-2), "buffer_size must be positive or AUTOTUNE, got -2"),
    (lambda: DS.map(identity, num_parallel_calls=0), "num_parallel_calls must be positive or"),
    (lambda: DS.map(identity, num_parallel_calls=-3), "AUTOTUNE, got -3"),
    (lambda: DS.batch(2, num_parallel_calls=0), "num_parallel_calls must be positive or"),
    (
        lambda: DS.interleave(ff.data.Dataset.from_tensors, cycle_length=0),
        "cycle_length must be positive, got 0",
    ),
    (
        lambda: DS.interleave(ff.data.Dataset.from_tensors, cycle_length=2, block_length=-1),
        "block_length must be positive, got -1",
    ),
    (
        lambda: DS.interleave(ff.data.Dataset.from_tensors, num_parallel_calls=0),
        "num_parallel_calls must be positive or AUTOTUNE, got 0",
    ),
    (
        lambda: DS.interleave(ff.data.Dataset.from_tensors, num_parallel_calls=-3),
        "num_parallel_calls must be positive or AUTOTUNE, got -3",
    ),
    (lambda: DS.window(0), "size must be positive, got 0"),
]


@pytest.mark.parametrize("build, message", CASES)
def test_transformations_refuse_counts_out_of_range(build, message):
    with pytest.raises(ff.errors.InvalidArgumentError, match=message):
        build()


@pytest.fixture
def shard(tmp_path):
    path = tmp_path / "a.tfrecord"
    with ff.io.TFRecordWriter(str(path)) as writer:
        writer.write(b"record")
    return str(path)


def test_file_readers_refuse_negative_buffer_sizes_and_parallel_reads_below_one(shard):
    with pytest.raises(
        ff.errors.InvalidArgumentError, match="buffer_size must be non-negative, got -5"
    ):
        ff.data.TFRecordDataset(shard, buffer_size=-5)
    with pytest.raises(ff.errors.InvalidArgumentError, match="num_parallel_reads must be positive"):
        ff.data.TFRecordDataset([shard], num_parallel_reads=0)
    with pytest.raises(ff.errors.InvalidArgumentError, match="only 1 char"):
        ff.data.experimental.CsvDataset(shard, [0], field_delim="||")
    # In range, the same readers read; 0 is tf.data's "no buffering".
    for buffer_size in (0, 1, None):
        ds = ff.data.TFRecordDataset(shard, buffer_size=buffer_size, num_parallel_reads=1)
        assert list(ds) == [b"record"]


def test_a_traced_reader_checks_its_buffer_size_as_the_eager_one_does(shard):
    files = ff.data.Dataset.from_tensor_slices([shard])
    # Refused when traced, the function runs as Python and is refused there, per file.
    bad = files.flat_map(lambda f: ff.data.TFRecordDataset(f, buffer_size=-2))
    with pytest.raises(
        ff.errors.InvalidArgumentError, match="buffer_size must be non-negative, got -2"
    ):
        list(bad)
    records = files.flat_map(lambda f: ff.data.TFRecordDataset(f, buffer_size=0))
    assert list(records) == [b"record"]


def test_functions_and_file_lists_of_the_wrong_type_are_refused_at_construction(shard):
    with pytest.raises(TypeError, match="map_func must be a function, got int"):
        DS.map(5)
    with pytest.raises(TypeError, match="predicate must be a function"):
        DS.filter(None)
    with pytest.raises(TypeError, match="key_func must be a function"):
        DS.group_by_window(1, lambda key, window: window, 2)
    with pytest.raises(TypeError, match="`filenames` must be a path, a list of paths"):
        ff.data.TFRecordDataset(123)
    with pytest.raises(TypeError, match="`filenames` must be a path, a list of paths"):
        ff.data.ParquetDataset([shard, 7])
    with pytest.raises(ff.errors.InvalidArgumentError, match="padded_shapes.*-5 must be >= 0"):
        DS.padded_batch(2, padded_shapes=[-5])


def test_columnar_readers_and_writers_refuse_shards_and_row_groups_out_of_range(tmp_path):
    ds = ff.data.Dataset.from_tensor_slices({"x": np.arange(5, dtype=np.int64)})
    path = str(tmp_path / "t.parquet")
    with pytest.raises(ff.errors.InvalidArgumentError, match="row_group_size must be positive"):
        ff.io.write_parquet(ds, path, row_group_size=-1)
    assert ff.io.write_parquet(ds, path, row_group_size=2) == 5
    with pytest.raises(ff.errors.InvalidArgumentError, match=r"shard index 3 must be in \[0, 2\)"):
        ff.data.ParquetDataset(path, shard=(2, 3))
    with pytest.raises(ff.errors.InvalidArgumentError, match="num_parallel_reads must be positive"):
        ff.data.ParquetDataset(path, num_parallel_reads=-4)
    rows = ff.data.ParquetDataset(path, shard=(2, 1), num_parallel_reads=2)
    assert [r["x"] for r in rows] == [2, 3]
