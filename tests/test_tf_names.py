"""Smaller TensorFlow names met in input code: strings, ragged and sparse helpers,
``InputContext``, ``set_shape`` in traced functions, spec ``value_type``, and a bare
``tf.train.Feature`` on the wire."""

import numpy as np
import pytest

import ferroflow as tf


def test_string_functions_as_tensorflow_documents_them():
    joined = tf.strings.reduce_join([["abc", "123"], ["def", "456"]], axis=-1, separator=" ")
    assert joined.numpy().tolist() == [b"abc 123", b"def 456"]
    assert tf.strings.reduce_join([["a", "b"], ["c", "d"]]).numpy() == b"abcd"
    kept = tf.strings.reduce_join([["a", "b"], ["c", "d"]], axis=0, keepdims=True)
    assert kept.numpy().tolist() == [[b"ac", b"bd"]]
    text = tf.strings.format("tensor: {}, suffix", tf.constant([1, 2, 3]))
    assert text.numpy() == b"tensor: [1 2 3], suffix"
    assert tf.strings.unicode_split("abc", "UTF-8").numpy().tolist() == [b"a", b"b", b"c"]
    split = tf.strings.unicode_split(["hello", "héllo"], "UTF-8")
    assert split.to_list()[1] == [b"h", "é".encode(), b"l", b"l", b"o"]
    broken = tf.strings.unicode_split(b"a\xffb", "UTF-8")
    assert broken.numpy().tolist() == [b"a", "\ufffd".encode(), b"b"]
    with pytest.raises(ValueError, match="placeholders"):
        tf.strings.format("{} {}", [1])
    ds = tf.data.Dataset.from_tensor_slices(["ab", "c", "héé"]).map(
        lambda s: tf.strings.reduce_join(tf.strings.unicode_split(s, "UTF-8"), separator="|")
    )
    assert list(ds.as_numpy_iterator()) == [b"a|b", b"c", "h|é|é".encode()]
    _assert_native(ds)
    grid = tf.data.Dataset.from_tensors(np.array([["a", "b"], ["c", "d"]], dtype=object))
    joined = grid.map(lambda t: tf.strings.reduce_join(t, axis=0, keepdims=True, separator="+"))
    assert joined.element_spec == tf.TensorSpec([1, 2], tf.string)
    assert next(joined.as_numpy_iterator()).tolist() == [[b"a+c", b"b+d"]]
    _assert_native(joined)
    formatted = tf.data.Dataset.range(2).map(lambda x: tf.strings.format("x={}, {}", (x, "y")))
    assert formatted.element_spec == tf.TensorSpec([], tf.string)
    assert list(formatted.as_numpy_iterator()) == [b"x=0, y", b"x=1, y"]
    _assert_native(formatted)


def _assert_native(ds):
    it = iter(ds)
    next(it)
    assert not any("runs as Python" in n for stage in it.stats() for n in stage["notes"])


def test_ragged_constant_and_sparse_conversions():
    rt = tf.ragged.constant([[1, 2], [], [3]])
    assert rt.to_list() == [[1, 2], [], [3]] and rt.values.dtype == np.int32
    assert tf.ragged.constant([[[1], [2, 3]], []]).to_list() == [[[1], [2, 3]], []]
    assert tf.ragged.constant([["a"], ["b", "c"]]).to_list() == [[b"a"], [b"b", b"c"]]
    sp = tf.sparse.from_dense(tf.constant([[0, 1], [2, 0]]))
    assert sp.indices.tolist() == [[0, 1], [1, 0]] and sp.values.tolist() == [1, 2]
    dense = tf.sparse.to_dense(sp)
    assert isinstance(dense, tf.Tensor) and dense.numpy().tolist() == [[0, 1], [2, 0]]
    assert tf.SparseTensorSpec([None], tf.int64).value_type is tf.SparseTensor
    assert tf.RaggedTensorSpec([None, None], tf.int64).value_type is tf.RaggedTensor


def test_input_context():
    context = tf.distribute.InputContext(
        num_input_pipelines=2, input_pipeline_id=1, num_replicas_in_sync=4
    )
    assert context.get_per_replica_batch_size(64) == 16
    ds = tf.data.Dataset.range(10).shard(context.num_input_pipelines, context.input_pipeline_id)
    assert list(ds.as_numpy_iterator()) == [1, 3, 5, 7, 9]
    with pytest.raises(ValueError, match="not divisible"):
        context.get_per_replica_batch_size(10)


def test_set_shape_and_get_shape_in_traced_functions():
    def fn(x):
        image = tf.reshape(x, [-1])
        image.set_shape([4])
        assert image.get_shape().as_list() == [4]
        return image

    ds = tf.data.Dataset.from_tensors(np.arange(4)).map(fn)
    assert ds.element_spec == tf.TensorSpec([4], tf.int64)

    def wrong(x):
        x.set_shape([3])
        return x

    with pytest.raises(ValueError, match="not compatible|incompatible"):
        tf.data.Dataset.from_tensors(np.arange(4)).map(wrong).element_spec  # noqa: B018


def test_bare_feature_serializes_as_tensorflow():
    # Feature.SerializeToString() in TensorFlow 2.21.
    cases = [
        (tf.train.Feature(bytes_list=tf.train.BytesList(value=[b"ab", b""])), "0a060a0261620a00"),
        (
            tf.train.Feature(float_list=tf.train.FloatList(value=[1.5, -2])),
            "120a0a080000c03f000000c0",
        ),
        (
            tf.train.Feature(int64_list=tf.train.Int64List(value=[1, -1, 300])),
            "1a0f0a0d01ffffffffffffffffff01ac02",
        ),
        (tf.train.Feature(), ""),
        (tf.train.Feature(float_list=tf.train.FloatList()), "1200"),
    ]
    for feature, want in cases:
        assert feature.SerializeToString().hex() == want
        assert tf.train.Feature.FromString(bytes.fromhex(want)) == feature


def test_random_fold_in_categorical_shuffle():
    seed = tf.random.fold_in([1, 2], 3)
    assert (
        seed.shape == (2,)
        and seed.numpy().tolist() == tf.random.fold_in([1, 2], 3).numpy().tolist()
    )
    assert seed.numpy().tolist() != tf.random.fold_in([1, 2], 4).numpy().tolist()
    draws = tf.random.categorical(tf.math.log([[0.1, 0.9], [0.99, 0.01]]), 4000, seed=1)
    assert draws.shape == (2, 4000) and draws.dtype is tf.int64
    assert abs(float(np.mean(draws.numpy()[0])) - 0.9) < 0.03
    assert float(np.mean(draws.numpy()[1])) < 0.03
    assert set(np.unique(draws.numpy()).tolist()) <= {0, 1}
    shuffled = tf.random.shuffle(tf.range(50), seed=3).numpy()
    assert sorted(shuffled.tolist()) == list(range(50)) and shuffled.tolist() != list(range(50))
    ds = tf.data.Dataset.range(3).map(lambda x: tf.random.categorical([[0.0, 0.0, 0.0]], 4, seed=2))
    it = iter(ds)
    assert next(it).shape == (1, 4)
    assert not any("runs as Python" in n for stage in it.stats() for n in stage["notes"])


def test_random_generator_draws_a_repeatable_sequence():
    g = tf.random.Generator.from_seed(1)
    first, second = g.normal([3]), g.normal([3])
    assert not np.array_equal(first, second)
    again = tf.random.Generator.from_seed(1)
    np.testing.assert_array_equal(again.normal([3]), first)
    assert g.state.tolist() == [1, 2] and g.make_seeds(4).shape == (2, 4)
    children = g.split(2)
    assert not np.array_equal(children[0].uniform([4]), children[1].uniform([4]))
    ints = g.uniform([100], 0, 10, dtype=tf.int32).numpy()
    assert ints.min() >= 0 and ints.max() < 10
    per_element = list(tf.data.Dataset.range(4).map(lambda x: g.uniform([])).as_numpy_iterator())
    assert len(set(per_element)) == 4  # each element draws anew

    # Traced: each element draws from its call's seed and its position, so a generator from
    # the same seed gives the same draws again, whichever worker computes an element.
    def draws(generator):
        ds = tf.data.Dataset.range(6).map(
            lambda x: generator.normal([2]), num_parallel_calls=tf.data.AUTOTUNE
        )
        _assert_native(ds)
        return np.stack(list(ds.as_numpy_iterator()))

    first, again = draws(tf.random.Generator.from_seed(7)), draws(tf.random.Generator.from_seed(7))
    np.testing.assert_array_equal(first, again)
    assert len(np.unique(first[:, 0])) == 6
    assert not np.array_equal(first, draws(tf.random.Generator.from_seed(8)))
    assert isinstance(tf.random.get_global_generator(), tf.random.Generator)
