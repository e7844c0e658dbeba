"""``Dataset.save`` / ``load`` / ``snapshot`` / ``rebatch`` / ``sparse_batch``,
``serialize_tensor`` / ``parse_tensor`` against TensorFlow's bytes, and the
``tf.data.experimental`` names input code still uses."""

import json
import os
import time

import numpy as np
import pytest

import ferroflow as tf

E = tf.data.experimental

# tf.io.serialize_tensor in TensorFlow 2.21.
SERIALIZED = [
    (lambda: tf.constant(3), "08031200220403000000"),
    (lambda: tf.constant([1.5, 2.0]), "080112041202080222080000c03f00000040"),
    (
        lambda: tf.constant([[1, 2], [3, 4]], tf.int64),
        "08091208120208021202080222200100000000000000020000000000000003000000000000000400000000000000",
    ),
    (lambda: tf.constant(b"ab"), "0807120042026162"),
    (lambda: tf.constant([b"x", b"", b"yz"]), "080712041202080342017842004202797a"),
    (lambda: tf.constant([True, False]), "080a12041202080222020100"),
    (lambda: tf.constant(np.float16(1.5)), "081312002202003e"),
    (lambda: tf.constant(np.array([1, 2], np.uint8)), "080412041202080222020102"),
    (lambda: tf.zeros([0, 2]), "08011206120012020802"),
    (lambda: tf.constant(np.array([7], np.uint64)), "081712041202080122080700000000000000"),
    (lambda: tf.constant(np.array([-9], np.int16)), "08051204120208012202f7ff"),
]


@pytest.mark.parametrize("make,want", SERIALIZED)
def test_serialize_tensor_writes_tensorflows_bytes_and_parse_tensor_reads_them(make, want):
    value = make()
    data = tf.io.serialize_tensor(value)
    assert data.dtype is tf.string and data.numpy().hex() == want
    back = tf.io.parse_tensor(bytes.fromhex(want), value.dtype)
    assert back.shape == value.shape and back.dtype is value.dtype
    np.testing.assert_array_equal(back.numpy(), value.numpy())


def test_parse_tensor_reads_typed_fields_and_refuses_other_types():
    # TensorProto(dtype=DT_FLOAT, shape [2], float_val=[1, 2]), written by TensorFlow.
    floats = bytes.fromhex("08011204120208022a080000803f00000040")
    assert tf.io.parse_tensor(floats, tf.float32).numpy().tolist() == [1.0, 2.0]
    with pytest.raises(tf.errors.InvalidArgumentError, match="Type mismatch"):
        tf.io.parse_tensor(tf.io.serialize_tensor(tf.constant(3)), tf.float32)
    with pytest.raises(tf.errors.InvalidArgumentError, match="TensorProto"):
        tf.io.parse_tensor(b"\xff\xff", tf.float32)
    ds = tf.data.Dataset.range(3).map(
        lambda x: tf.io.parse_tensor(tf.io.serialize_tensor(tf.fill([x], x)), tf.int64)
    )
    assert [v.tolist() for v in ds.as_numpy_iterator()] == [[], [1], [2, 2]]


def _pipeline():
    return tf.data.Dataset.range(10).map(
        lambda x: {
            "id": x,
            "pair": (tf.cast(x, tf.float32) * 1.5, tf.strings.as_string(x)),
            "ragged": tf.fill([x % 3], x),
        }
    )


def _plain(elements):
    return [
        (int(e["id"]), float(e["pair"][0]), e["pair"][1], e["ragged"].tolist()) for e in elements
    ]


@pytest.mark.parametrize("compression", [None, "GZIP", "ZLIB"])
def test_save_and_load_round_trip(tmp_path, compression):
    ds = _pipeline()
    ds.save(str(tmp_path / "saved"), compression=compression)
    description = json.loads((tmp_path / "saved" / "dataset_spec.json").read_text())
    assert description["elements"] == 10 and description["compression"] == compression
    loaded = tf.data.Dataset.load(str(tmp_path / "saved"))
    assert loaded.element_spec == ds.element_spec and len(loaded) == 10
    assert _plain(loaded.as_numpy_iterator()) == _plain(ds.as_numpy_iterator())
    it = iter(loaded)
    next(it)
    assert not any("Python" in n for stage in it.stats() for n in stage["notes"])
    again = E.load(str(tmp_path / "saved"), element_spec=ds.element_spec)
    assert len(list(again)) == 10


def test_save_shards_by_shard_func_and_records_are_tensorprotos(tmp_path):
    ds = tf.data.Dataset.range(9)
    ds.save(str(tmp_path), shard_func=lambda x: x % 3)
    shards = sorted(f for f in os.listdir(tmp_path) if f.endswith(".tfrecord"))
    assert shards == ["shard-00000.tfrecord", "shard-00001.tfrecord", "shard-00002.tfrecord"]
    loaded = list(tf.data.Dataset.load(str(tmp_path)).as_numpy_iterator())
    assert loaded == [0, 3, 6, 1, 4, 7, 2, 5, 8]
    record = next(tf.data.TFRecordDataset(str(tmp_path / shards[1])).as_numpy_iterator())
    parts = tf.io.parse_tensor(record, tf.string)
    assert int(tf.io.parse_tensor(parts[0], tf.int64)) == 1


def test_load_hands_reader_func_the_shards_as_datasets(tmp_path):
    ds = tf.data.Dataset.range(12).map(lambda x: (x, x * 2))
    ds.save(str(tmp_path), shard_func=lambda a, b: a % 3)
    seen = []

    def reader(shards):
        seen.append(shards.element_spec)
        return shards.interleave(lambda s: s, cycle_length=3)

    loaded = tf.data.Dataset.load(str(tmp_path), reader_func=reader)
    assert seen == [tf.data.DatasetSpec(ds.element_spec)]
    # Round robin over the three shards gives back the saved order.
    assert [(int(a), int(b)) for a, b in loaded.as_numpy_iterator()] == [
        (i, 2 * i) for i in range(12)
    ]
    first_shard = tf.data.Dataset.load(
        str(tmp_path), reader_func=lambda s: s.take(1).flat_map(lambda d: d)
    )
    assert [int(a) for a, _ in first_shard.as_numpy_iterator()] == [0, 3, 6, 9]
    with pytest.raises(TypeError, match="must return a Dataset"):
        tf.data.Dataset.load(str(tmp_path), reader_func=lambda s: 3)


def test_a_save_cut_short_resumes_from_its_last_checkpoint(tmp_path):
    calls, failing = [], [True]

    def work(x):
        calls.append(int(x))
        if failing[0] and int(x) == 37:
            raise ValueError("interrupted")
        return x

    ds = tf.data.Dataset.range(50).map(lambda x: tf.py_function(work, [x], tf.int64))
    args = {"checkpoint_interval": 10, "directory": str(tmp_path / "ckpt"), "max_to_keep": 1}
    with pytest.raises(ValueError, match="interrupted"):
        ds.save(str(tmp_path / "out"), shard_func=lambda x: x % 2, checkpoint_args=args)
    assert (tmp_path / "ckpt" / "save-checkpoint.json").exists()
    with pytest.raises(tf.errors.NotFoundError):
        tf.data.Dataset.load(str(tmp_path / "out"))
    failing[0], calls[:] = False, []
    ds.save(str(tmp_path / "out"), shard_func=lambda x: x % 2, checkpoint_args=args)
    # Only the elements after the last checkpoint (30) were computed again.
    assert min(calls) == 30 and len(calls) == 20
    loaded = tf.data.Dataset.load(str(tmp_path / "out"))
    assert loaded.cardinality() == 50
    assert [int(x) for x in loaded.as_numpy_iterator()] == list(range(0, 50, 2)) + list(
        range(1, 50, 2)
    )
    assert not (tmp_path / "ckpt").exists()
    # A save without checkpoints after an interrupted one replaces what that one left.
    failing[0] = True
    default = {"checkpoint_interval": 10}
    with pytest.raises(ValueError, match="interrupted"):
        ds.save(str(tmp_path / "again"), checkpoint_args=default)
    failing[0] = False
    ds.save(str(tmp_path / "again"))
    ds.save(str(tmp_path / "again"), checkpoint_args=default)
    assert sorted(int(x) for x in tf.data.Dataset.load(str(tmp_path / "again"))) == list(range(50))
    with pytest.raises(TypeError, match="unknown checkpoint_args"):
        ds.save(str(tmp_path / "other"), checkpoint_args={"interval": 3})


def test_load_errors_name_the_problem(tmp_path):
    with pytest.raises(tf.errors.NotFoundError, match="no dataset_spec.json"):
        tf.data.Dataset.load(str(tmp_path))
    tf.data.Dataset.range(3).save(str(tmp_path))
    with pytest.raises(tf.errors.InvalidArgumentError, match="element_spec"):
        tf.data.Dataset.load(str(tmp_path), element_spec=tf.TensorSpec([], tf.float32))
    with pytest.raises(tf.errors.InvalidArgumentError, match="compression"):
        tf.data.Dataset.load(str(tmp_path), compression="GZIP")
    with pytest.raises(tf.errors.InvalidArgumentError, match="compression must be"):
        tf.data.Dataset.range(3).save(str(tmp_path / "x"), compression="LZ4")


def test_snapshot_persists_the_first_pass_for_later_pipelines(tmp_path):
    calls = []

    def gen():
        calls.append(1)
        yield from range(4)

    def build():
        source = tf.data.Dataset.from_generator(gen, output_signature=tf.TensorSpec([], tf.int64))
        return source.map(lambda x: x * 10).snapshot(str(tmp_path))

    assert list(build().as_numpy_iterator()) == [0, 10, 20, 30] and len(calls) == 1
    assert list(build().as_numpy_iterator()) == [0, 10, 20, 30] and len(calls) == 1
    assert len(os.listdir(tmp_path)) == 1


def test_snapshot_with_shards_compression_and_a_reader(tmp_path):
    calls = []

    def gen():
        calls.append(1)
        yield from range(10)

    def build(**options):
        source = tf.data.Dataset.from_generator(gen, output_signature=tf.TensorSpec([], tf.int64))
        pairs = source.map(lambda x: (x * 10, tf.strings.as_string(x)))
        return pairs.snapshot(str(tmp_path), **options)

    options = {
        "compression": "GZIP",
        "shard_func": lambda a, b: a % 3,
        # Shard after shard: the order tells which shard each element went to.
        "reader_func": lambda shards: shards.flat_map(lambda shard: shard),
    }
    first = [(int(a), bytes(b)) for a, b in build(**options).as_numpy_iterator()]
    assert first == [(x * 10, str(x).encode()) for x in range(10)] and len(calls) == 1
    # A pass stopped early publishes nothing and leaves no files: the next one writes again.
    (snapshot,) = os.listdir(tmp_path)
    [run] = [n for n in os.listdir(tmp_path / snapshot) if n.startswith("run-")]
    shards = sorted(os.listdir(tmp_path / snapshot / run))
    assert shards == ["shard-00000.tfrecord", "shard-00001.tfrecord", "shard-00002.tfrecord"]
    with open(tmp_path / snapshot / run / shards[0], "rb") as f:
        assert f.read(2) == b"\x1f\x8b", "GZIP-compressed records"
    again = [(int(a), bytes(b)) for a, b in build(**options).as_numpy_iterator()]
    by_shard = [x for s in range(3) for x in range(10) if (x * 10) % 3 == s]
    assert again == [(x * 10, str(x).encode()) for x in by_shard] and len(calls) == 1


def test_an_unfinished_snapshot_pass_leaves_nothing(tmp_path):
    def build():
        ds = tf.data.Dataset.range(6).map(lambda x: x + 1)
        return ds.snapshot(str(tmp_path), shard_func=lambda x: x % 2)

    # No prefetch after the snapshot: it would run the pass to its end (which publishes it).
    options = tf.data.Options()
    options.experimental_optimization.inject_prefetch = False
    it = iter(build().with_options(options))
    assert [int(next(it)) for _ in range(3)] == [1, 2, 3]
    del it
    (snapshot,) = os.listdir(tmp_path)
    # The pipeline's threads let go of the pass as they stop, on their own time.
    deadline = time.monotonic() + 10
    while os.listdir(tmp_path / snapshot) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert os.listdir(tmp_path / snapshot) == []
    assert [int(x) for x in build()] == [1, 2, 3, 4, 5, 6]
    assert "dataset_spec.json" in os.listdir(tmp_path / snapshot)
    with pytest.raises(tf.errors.InvalidArgumentError, match="compression must be"):
        tf.data.Dataset.range(3).snapshot(str(tmp_path), compression="SNAPPY")


def test_rebatch_and_sparse_batch():
    ds = tf.data.Dataset.range(10).batch(4)
    assert [b.tolist() for b in ds.rebatch(3).as_numpy_iterator()] == [
        [0, 1, 2],
        [3, 4, 5],
        [6, 7, 8],
        [9],
    ]
    assert len(list(ds.rebatch(3, drop_remainder=True))) == 3
    # A list of sizes is cycled through; what TensorFlow 2.21 gives for each case.
    for n, size, sizes, drop, want in [
        (13, 4, [2, 3], False, [[0, 1], [2, 3, 4], [5, 6], [7, 8, 9], [10, 11], [12]]),
        (13, 4, [2, 3], True, [[0, 1], [2, 3, 4], [5, 6], [7, 8, 9], [10, 11]]),
        (7, 3, [1, 2, 4], False, [[0], [1, 2], [3, 4, 5, 6]]),
        (5, 5, [3], False, [[0, 1, 2], [3, 4]]),
    ]:
        cycled = tf.data.Dataset.range(n).batch(size).rebatch(sizes, drop_remainder=drop)
        assert [b.tolist() for b in cycled.as_numpy_iterator()] == want
    pairs = tf.data.Dataset.from_tensor_slices((np.arange(6), np.arange(6) * 10)).batch(3)
    got = [(a.tolist(), b.tolist()) for a, b in pairs.rebatch([1, 2]).as_numpy_iterator()]
    assert got == [([0], [0]), ([1, 2], [10, 20]), ([3], [30]), ([4, 5], [40, 50])]
    with pytest.raises(tf.errors.InvalidArgumentError, match="must be positive"):
        ds.rebatch([2, 0])
    # The example of tf.data.experimental.dense_to_sparse_batch's documentation.
    words = tf.data.Dataset.from_generator(
        lambda: iter([[b"a", b"b", b"c"], [b"a", b"b"], [b"a", b"b", b"c", b"d"]]),
        output_signature=tf.TensorSpec([None], tf.string),
    )
    first, second = list(words.apply(E.dense_to_sparse_batch(batch_size=2, row_shape=[6])))
    assert first.indices.numpy().tolist() == [[0, 0], [0, 1], [0, 2], [1, 0], [1, 1]]
    assert first.values.numpy().tolist() == [b"a", b"b", b"c", b"a", b"b"]
    assert first.dense_shape.numpy().tolist() == [2, 6]
    assert second.indices.numpy().tolist() == [[0, 0], [0, 1], [0, 2], [0, 3]]
    assert second.dense_shape.numpy().tolist() == [1, 6]
    too_long = tf.data.Dataset.range(4).map(lambda x: tf.fill([x], x)).sparse_batch(4, [2])
    refused = r"cannot pad a tensor of shape \[3\] to shape \[2\]"
    with pytest.raises(tf.errors.InvalidArgumentError, match=refused):
        list(too_long)


def test_experimental_transformations():
    ds = tf.data.Dataset.range(6)
    assert [
        b.tolist() for b in ds.apply(E.map_and_batch(lambda x: x * 2, 4)).as_numpy_iterator()
    ] == [
        [0, 2, 4, 6],
        [8, 10],
    ]
    files = tf.data.Dataset.from_tensor_slices([b"a", b"b"])
    woven = files.apply(
        E.parallel_interleave(lambda f: tf.data.Dataset.from_tensors(f).repeat(2), 2)
    )
    assert list(woven.as_numpy_iterator()) == [b"a", b"b", b"a", b"b"]
    ragged = ds.map(lambda x: tf.fill([x % 3], x)).apply(E.dense_to_ragged_batch(3))
    assert [r.to_list() for r in ragged][0] == [[], [1], [2, 2]]
    assert list(ds.apply(E.prefetch_to_device("/gpu:0")).as_numpy_iterator()) == list(range(6))
    assert sorted(ds.apply(E.shuffle_and_repeat(6, 2, seed=1)).as_numpy_iterator()) == sorted(
        list(range(6)) * 2
    )
    assert list(E.from_list([(1, "a"), (2, "b")]).as_numpy_iterator()) == [(1, b"a"), (2, b"b")]
    uneven = E.from_list([[1, 2], [3]])
    assert uneven.element_spec == tf.TensorSpec([None], tf.int32)
    assert [v.tolist() for v in uneven.as_numpy_iterator()] == [[1, 2], [3]]


def test_get_next_as_optional_and_options():
    it = iter(tf.data.Dataset.range(1))
    present = E.get_next_as_optional(it)
    assert bool(present.has_value()) and int(present.get_value()) == 0
    absent = it.get_next_as_optional()
    assert not bool(absent.has_value()) and absent.element_spec == tf.TensorSpec([], tf.int64)
    with pytest.raises(tf.errors.InvalidArgumentError, match="no value"):
        absent.get_value()
    assert int(E.Optional.from_value(tf.constant(5)).get_value()) == 5
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = E.AutoShardPolicy.DATA
    options.experimental_threading.private_threadpool_size = 2
    assert options.threading.private_threadpool_size == 2
    ds = tf.data.Dataset.range(3).with_options(options)
    assert ds.options().experimental_distribute.auto_shard_policy == E.AutoShardPolicy.DATA
    assert list(ds.as_numpy_iterator()) == [0, 1, 2]


def test_assert_cardinality_gives_the_count_and_checks_it():
    ds = tf.data.Dataset.range(5).filter(lambda x: x < 3)
    assert ds.cardinality() == tf.data.UNKNOWN_CARDINALITY
    exact = ds.apply(E.assert_cardinality(3))
    assert exact.cardinality() == 3 and len(exact) == 3
    assert list(exact.as_numpy_iterator()) == [0, 1, 2]
    with pytest.raises(
        tf.errors.FailedPreconditionError,
        match="expected to contain 2 elements but contained at least 3 elements",
    ):
        list(ds.assert_cardinality(2))
    with pytest.raises(tf.errors.FailedPreconditionError, match="contained only 3 elements"):
        list(ds.assert_cardinality(4))
    endless = tf.data.Dataset.range(2).repeat().assert_cardinality(tf.data.INFINITE_CARDINALITY)
    assert endless.cardinality() == tf.data.INFINITE_CARDINALITY
    it = iter(exact)
    next(it)
    state = it.get_state()
    again = iter(exact)
    again.set_state(state)
    assert list(again.as_numpy_iterator() if hasattr(again, "as_numpy_iterator") else again) == [
        1,
        2,
    ]


def test_group_by_reducer_folds_each_group():
    # The even and odd numbers below 10, summed and counted per group.
    reducer = E.Reducer(
        init_func=lambda key: (np.int64(0), np.int64(0)),
        reduce_func=lambda state, x: (state[0] + x, state[1] + 1),
        finalize_func=lambda total, count: (total, count),
    )
    ds = tf.data.Dataset.range(10).apply(E.group_by_reducer(lambda x: x % 2, reducer))
    assert [(int(a), int(b)) for a, b in ds.as_numpy_iterator()] == [(20, 5), (25, 5)]
    words = tf.data.Dataset.from_tensor_slices(["a", "bb", "c", "dd", "e"])
    joined = words.apply(
        E.group_by_reducer(
            lambda w: tf.strings.length(w),
            E.Reducer(
                lambda key: b"",
                lambda state, w: state + w.numpy(),
                lambda state: state,
            ),
        )
    )
    assert list(joined.as_numpy_iterator()) == [b"ace", b"bbdd"]
