"""Transformations, each against tf.data's documented outputs and its edge cases."""

from __future__ import annotations

import numpy as np
import pytest

import ferroflow as ff
from ferroflow.data import Dataset
from helpers import collect


class TestMap:
    def test_documented(self):
        assert collect(Dataset.range(1, 6).map(lambda x: x + 1)) == [2, 3, 4, 5, 6]

    def test_tuple_elements_are_unpacked(self):
        elements = [(1, "foo"), (2, "bar"), (3, "baz")]
        ds = Dataset.from_generator(lambda: elements, (ff.int32, ff.string))
        assert collect(ds.map(lambda x_int, y_str: x_int)) == [1, 2, 3]
        assert collect(ds.map(lambda x, y: y)) == [b"foo", b"bar", b"baz"]
        assert collect(ds.map(lambda x, y: {"a": x, "b": y})) == [
            {"a": 1, "b": b"foo"},
            {"a": 2, "b": b"bar"},
            {"a": 3, "b": b"baz"},
        ]

    def test_dict_element_is_one_argument(self):
        ds = Dataset.from_tensor_slices({"a": [1, 2], "b": [10, 20]})
        assert collect(ds.map(lambda d: d["a"] + d["b"])) == [11, 22]

    def test_functions_receive_tensors_for_arrays_and_numpy_scalars(self, python_maps):
        seen = []
        ds = Dataset.from_tensor_slices((np.arange(4).reshape(2, 2), ["a", "b"], [1, 2]))

        def record(x, s, n):
            seen.append((type(x), x.dtype, x.shape.as_list(), type(s), type(n)))
            return x

        list(ds.map(record))
        assert seen == [(ff.Tensor, ff.int64, [2], bytes, np.int32)] * 2

    def test_list_output_becomes_tuple(self):
        out = list(Dataset.range(2).map(lambda x: [x, x * 2]))
        assert collect(out) == [(0, 0), (1, 2)]

    def test_element_spec_from_the_function(self):
        ds = Dataset.range(3).map(lambda x: (np.float32(x), np.zeros((2, 3), np.uint8)))
        assert ds.element_spec == (ff.TensorSpec([], ff.float32), ff.TensorSpec([2, 3], ff.uint8))

    def test_exception_keeps_its_type_and_traceback(self):
        def bad(x):
            if x == 2:
                raise ZeroDivisionError("element two")
            return x

        it = iter(Dataset.range(5).map(bad))
        assert [next(it), next(it)] == [0, 1]
        with pytest.raises(ZeroDivisionError, match="element two") as info:
            next(it)
        assert any(frame.name == "bad" for frame in info.traceback)

    def test_changing_structure_is_an_error(self):
        ds = Dataset.range(3).map(lambda x: (x, x) if x == 0 else x)
        with pytest.raises(ff.errors.InvalidArgumentError, match="share one structure"):
            list(ds)

    def test_num_parallel_calls_gives_the_same_order(self):
        ds = Dataset.range(50).map(lambda x: x * x, num_parallel_calls=ff.data.AUTOTUNE)
        assert collect(ds) == [i * i for i in range(50)]

    def test_cardinality_preserved(self):
        assert Dataset.range(7).map(lambda x: x).cardinality() == 7


class TestFilter:
    def test_documented(self):
        assert collect(Dataset.from_tensor_slices([1, 2, 3]).filter(lambda x: x < 3)) == [1, 2]

    def test_tuple_unpacked(self):
        ds = Dataset.zip((Dataset.range(6), Dataset.range(6).map(lambda x: x % 2 == 0)))
        assert collect(ds.filter(lambda i, even: even)) == [(0, True), (2, True), (4, True)]

    def test_non_bool_predicate_is_an_error(self):
        with pytest.raises(ff.errors.InvalidArgumentError, match="scalar bool"):
            list(Dataset.range(3).filter(lambda x: x))

    def test_cardinality_unknown(self):
        assert Dataset.range(3).filter(lambda x: True).cardinality() == ff.data.UNKNOWN_CARDINALITY


class TestFlatMapAndInterleave:
    def test_flat_map_documented(self):
        ds = Dataset.from_tensor_slices([[1, 2, 3], [4, 5, 6], [7, 8, 9]])
        assert collect(ds.flat_map(Dataset.from_tensor_slices)) == list(range(1, 10))

    def test_flat_map_with_empty_inner(self):
        assert collect(Dataset.range(4).flat_map(lambda x: Dataset.range(x))) == [0, 0, 1, 0, 1, 2]

    def test_flat_map_must_return_dataset(self):
        with pytest.raises(TypeError, match="must return a Dataset"):
            list(Dataset.range(2).flat_map(lambda x: x))

    def test_interleave_documented(self):
        ds = Dataset.range(1, 6).interleave(
            lambda x: Dataset.from_tensors(x).repeat(6), cycle_length=2, block_length=4
        )
        assert collect(ds) == [
            1,
            1,
            1,
            1,
            2,
            2,
            2,
            2,
            1,
            1,
            2,
            2,
            3,
            3,
            3,
            3,
            4,
            4,
            4,
            4,
            3,
            3,
            4,
            4,
            5,
            5,
            5,
            5,
            5,
            5,
        ]

    def test_interleave_uneven_lengths(self):
        # Slots that end are refilled in place from the input (output checked against TF 2.21).
        ds = Dataset.from_tensor_slices([3, 1, 2, 2]).interleave(
            lambda n: Dataset.range(10 * n, 10 * n + n), cycle_length=2, block_length=1
        )
        assert collect(ds) == [30, 10, 31, 32, 20, 21, 20, 21]

    def test_interleave_block_length_larger_than_inputs(self):
        ds = Dataset.range(3).interleave(
            lambda x: Dataset.range(x * 10, x * 10 + 2), cycle_length=3, block_length=5
        )
        assert collect(ds) == [0, 1, 10, 11, 20, 21]

    def test_parallel_interleave_keeps_the_order(self):
        def make(x):
            return Dataset.range(10 * x, 10 * x + x % 4)

        sequential = Dataset.range(12).interleave(make, cycle_length=3, block_length=2)
        parallel = Dataset.range(12).interleave(
            make, cycle_length=3, block_length=2, num_parallel_calls=ff.data.AUTOTUNE
        )
        assert collect(parallel) == collect(sequential)

    def test_interleave_cycle_length_one_is_flat_map(self):
        ds = Dataset.range(3).interleave(lambda x: Dataset.range(x), cycle_length=1)
        assert collect(ds) == collect(Dataset.range(3).flat_map(lambda x: Dataset.range(x)))

    def test_interleave_bad_lengths(self):
        with pytest.raises(ff.errors.InvalidArgumentError):
            Dataset.range(3).interleave(lambda x: Dataset.range(x), cycle_length=0)


class TestBatching:
    def test_batch_documented(self):
        assert collect(Dataset.range(8).batch(3)) == [[0, 1, 2], [3, 4, 5], [6, 7]]
        assert collect(Dataset.range(8).batch(3, drop_remainder=True)) == [[0, 1, 2], [3, 4, 5]]

    def test_batch_larger_than_dataset(self):
        assert collect(Dataset.range(3).batch(10)) == [[0, 1, 2]]
        assert collect(Dataset.range(3).batch(10, drop_remainder=True)) == []

    def test_batch_of_structures_and_strings(self):
        ds = Dataset.from_tensor_slices({"s": ["a", "bb", "c"], "v": [[1.0, 2.0]] * 3}).batch(2)
        out = list(ds)
        assert out[0]["s"].tolist() == [b"a", b"bb"] and out[0]["s"].dtype == object
        assert out[0]["v"].shape == (2, 2) and out[0]["v"].dtype == np.float32
        assert out[1]["s"].tolist() == [b"c"]

    def test_batch_output_is_c_contiguous(self):
        batch = next(iter(Dataset.from_tensor_slices(np.ones((4, 3, 2), np.float32)).batch(4)))
        assert batch.flags.c_contiguous and batch.shape == (4, 3, 2)

    def test_batch_element_spec(self):
        assert Dataset.range(5).batch(2).element_spec == ff.TensorSpec([None], ff.int64)
        assert Dataset.range(5).batch(2, True).element_spec == ff.TensorSpec([2], ff.int64)

    def test_batch_cardinality(self):
        assert Dataset.range(10).batch(3).cardinality() == 4
        assert Dataset.range(10).batch(3, drop_remainder=True).cardinality() == 3

    @pytest.mark.parametrize("size", [0, -1])
    def test_bad_batch_size(self, size):
        with pytest.raises(ff.errors.InvalidArgumentError, match="batch_size"):
            Dataset.range(3).batch(size)

    def test_different_shapes_in_a_batch(self):
        ds = Dataset.range(1, 4).map(lambda x: np.zeros(x))
        with pytest.raises(ff.errors.InvalidArgumentError, match="different shapes"):
            list(ds.batch(2))

    def test_padded_batch_documented(self):
        a = Dataset.range(1, 5, output_type=ff.int32).map(lambda x: np.full([x], x, np.int32))
        assert collect(a.padded_batch(2)) == [[[1, 0], [2, 2]], [[3, 3, 3, 0], [4, 4, 4, 4]]]
        assert collect(a.padded_batch(2, padded_shapes=5)) == [
            [[1, 0, 0, 0, 0], [2, 2, 0, 0, 0]],
            [[3, 3, 3, 0, 0], [4, 4, 4, 4, 0]],
        ]
        assert collect(a.padded_batch(2, padded_shapes=5, padding_values=-1)) == [
            [[1, -1, -1, -1, -1], [2, 2, -1, -1, -1]],
            [[3, 3, 3, -1, -1], [4, 4, 4, 4, -1]],
        ]
        e = Dataset.zip((a, a)).padded_batch(2, padding_values=-1)
        assert collect(e) == [
            ([[1, -1], [2, 2]], [[1, -1], [2, 2]]),
            ([[3, 3, 3, -1], [4, 4, 4, 4]], [[3, 3, 3, -1], [4, 4, 4, 4]]),
        ]

    def test_padded_batch_nested_components(self):
        elements = [([1, 2, 3], [10]), ([4, 5], [11, 12])]
        ds = Dataset.from_generator(lambda: iter(elements), (ff.int32, ff.int32))
        ds = ds.padded_batch(2, padded_shapes=([4], [None]), padding_values=(-1, 100))
        out = list(ds)
        assert collect(out) == [([[1, 2, 3, -1], [4, 5, -1, -1]], [[10, 100], [11, 12]])]
        assert out[0][0].dtype == np.int32

    def test_padded_batch_strings(self):
        ds = Dataset.range(1, 4).map(lambda x: np.array([b"ab"] * x, dtype=object))
        assert collect(ds.padded_batch(3)) == [
            [[b"ab", b"", b""], [b"ab", b"ab", b""], [b"ab", b"ab", b"ab"]]
        ]

    def test_padded_batch_too_small_shape(self):
        ds = Dataset.range(1, 4).map(lambda x: np.zeros(x, np.int64))
        with pytest.raises(ff.errors.InvalidArgumentError, match="larger"):
            list(ds.padded_batch(3, padded_shapes=[2]))

    def test_unbatch_documented(self):
        elements = [[1, 2, 3], [1, 2], [1, 2, 3, 4]]
        ds = Dataset.from_generator(lambda: elements, ff.int64).unbatch()
        assert collect(ds) == [1, 2, 3, 1, 2, 1, 2, 3, 4]

    def test_unbatch_then_batch_reslices(self):
        ds = Dataset.range(10).batch(3).unbatch().batch(4)
        assert collect(ds) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]

    def test_unbatch_structures(self):
        ds = Dataset.from_tensors(({"a": [1, 2]}, ["x", "y"])).unbatch()
        assert collect(ds) == [({"a": 1}, b"x"), ({"a": 2}, b"y")]
        assert ds.element_spec == ({"a": ff.TensorSpec([], ff.int32)}, ff.TensorSpec([], ff.string))

    def test_unbatch_mismatched_rows(self):
        with pytest.raises(ff.errors.InvalidArgumentError, match="first dimension"):
            list(Dataset.from_tensors(([1, 2], [1, 2, 3])).unbatch())


class TestShuffle:
    def test_each_epoch_is_a_permutation_and_reshuffles(self):
        ds = Dataset.range(100).shuffle(100, seed=7)
        first, second = collect(ds), collect(ds)
        assert sorted(first) == list(range(100)) and sorted(second) == list(range(100))
        assert first != second

    def test_documented_repeat_reshuffles(self):
        out = collect(Dataset.range(3).shuffle(3, reshuffle_each_iteration=True).repeat(2))
        assert sorted(out[:3]) == [0, 1, 2] and sorted(out[3:]) == [0, 1, 2]

    def test_same_seed_same_orders(self):
        a = Dataset.range(50).shuffle(20, seed=42)
        b = Dataset.range(50).shuffle(20, seed=42)
        assert [collect(a) for _ in range(3)] == [collect(b) for _ in range(3)]

    def test_no_reshuffle_repeats_the_order(self):
        ds = Dataset.range(30).shuffle(30, seed=1, reshuffle_each_iteration=False)
        assert collect(ds) == collect(ds) != list(range(30))
        out = collect(ds.repeat(2))
        assert out[:30] == out[30:]

    def test_buffer_one_keeps_order(self):
        assert collect(Dataset.range(20).shuffle(1)) == list(range(20))

    def test_small_buffer_moves_elements_only_locally(self):
        out = collect(Dataset.range(100).shuffle(5, seed=3))
        assert sorted(out) == list(range(100))
        # An element can only leave the buffer after it entered: position >= value - 4.
        assert all(pos >= value - 4 for pos, value in enumerate(out))

    def test_global_seed(self):
        ff.random.set_seed(5)
        a = collect(Dataset.range(40).shuffle(40))
        ff.random.set_seed(5)
        b = collect(Dataset.range(40).shuffle(40))
        ff.random.set_seed(None)
        assert a == b

    def test_bad_buffer(self):
        with pytest.raises(ff.errors.InvalidArgumentError, match="buffer_size"):
            Dataset.range(3).shuffle(0)


class TestCounting:
    def test_repeat_documented(self):
        assert collect(Dataset.from_tensor_slices([1, 2, 3]).repeat(3)) == [1, 2, 3] * 3

    def test_repeat_forever_and_cardinality(self):
        ds = Dataset.range(2).repeat()
        assert collect(ds.take(5)) == [0, 1, 0, 1, 0]
        assert ds.cardinality() == ff.data.INFINITE_CARDINALITY
        assert (
            Dataset.range(2).repeat(0).cardinality() == 0 and list(Dataset.range(2).repeat(0)) == []
        )

    def test_repeat_of_empty_ends(self):
        assert list(Dataset.range(0).repeat()) == []

    def test_take_skip_documented(self):
        assert collect(Dataset.range(10).take(3)) == [0, 1, 2]
        assert collect(Dataset.range(10).skip(7)) == [7, 8, 9]

    def test_take_and_skip_edges(self):
        assert list(Dataset.range(5).take(0)) == []
        assert collect(Dataset.range(5).take(-1)) == [0, 1, 2, 3, 4]
        assert list(Dataset.range(5).skip(-1)) == []
        assert list(Dataset.range(5).skip(10)) == []
        assert Dataset.range(5).skip(-1).cardinality() == 0
        assert Dataset.range(5).take(10).cardinality() == 5
        assert Dataset.range(5).repeat().take(7).cardinality() == 7

    def test_take_from_mapped_infinite(self, python_maps):
        calls = []
        ds = Dataset.range(10**9).map(lambda x: calls.append(x) or x).take(3)
        assert collect(ds) == [0, 1, 2] and calls == [0, 1, 2]

    def test_take_while_documented(self):
        assert collect(Dataset.range(10).take_while(lambda x: x < 5)) == [0, 1, 2, 3, 4]

    def test_take_while_stops_at_first_false(self):
        ds = Dataset.from_tensor_slices([1, 2, 9, 1]).take_while(lambda x: x < 5)
        assert collect(ds) == [1, 2]

    @pytest.mark.parametrize("index, expected", [(0, [0, 3, 6, 9]), (1, [1, 4, 7]), (2, [2, 5, 8])])
    def test_shard_documented(self, index, expected):
        ds = Dataset.range(10).shard(num_shards=3, index=index)
        assert collect(ds) == expected and ds.cardinality() == len(expected)

    def test_shard_bad_arguments(self):
        with pytest.raises(ff.errors.InvalidArgumentError, match="index"):
            Dataset.range(10).shard(3, 3)
        with pytest.raises(ff.errors.InvalidArgumentError, match="num_shards"):
            Dataset.range(10).shard(0, 0)

    def test_enumerate_documented(self):
        ds = Dataset.from_tensor_slices([1, 2, 3]).enumerate(start=5)
        assert collect(ds) == [(5, 1), (6, 2), (7, 3)]
        nested = Dataset.from_tensor_slices([(7, 8), (9, 10)]).enumerate()
        assert collect(nested) == [(0, [7, 8]), (1, [9, 10])]


class TestCache:
    def test_memory_cache_documented(self):
        ds = Dataset.range(5).map(lambda x: x**2).cache()
        assert collect(ds) == [0, 1, 4, 9, 16] and collect(ds) == [0, 1, 4, 9, 16]

    def test_memory_cache_skips_recomputation(self):
        calls = []
        ds = Dataset.range(4).map(lambda x: calls.append(int(x)) or x).cache()
        list(ds)
        list(ds)
        assert calls == [0, 1, 2, 3]

    def test_partial_pass_keeps_nothing(self):
        calls = []
        ds = Dataset.range(4).map(lambda x: calls.append(int(x)) or x).cache()
        list(ds.take(2))
        assert collect(ds) == [0, 1, 2, 3]
        assert collect(ds) == [0, 1, 2, 3]
        assert calls == [0, 1, 0, 1, 2, 3]

    def test_file_cache_survives_a_new_dataset(self, tmp_path, python_maps):
        calls = []
        prefix = str(tmp_path / "cache")

        def make():
            return (
                Dataset.from_tensor_slices((np.arange(6).reshape(3, 2), ["a", "b", "c"]))
                .map(lambda x, s: (calls.append(1) or x, s))
                .cache(prefix)
            )

        first = collect(make())
        assert (tmp_path / "cache.ffcache").exists()
        second = collect(make())
        assert first == second == [([0, 1], b"a"), ([2, 3], b"b"), ([4, 5], b"c")]
        # Three calls fill the cache; the new dataset calls its function once more, only to
        # learn its element structure (as tracing would), and reads every element from disk.
        assert len(calls) == 4

    def test_corrupt_cache_file_is_data_loss(self, tmp_path):
        prefix = str(tmp_path / "c")
        list(Dataset.range(100).cache(prefix))
        path = tmp_path / "c.ffcache"
        path.write_bytes(path.read_bytes()[:-5])
        with pytest.raises(ff.errors.DataLossError, match="c.ffcache"):
            list(Dataset.range(100).cache(prefix))

    def test_file_cache_partial_pass_leaves_no_file(self, tmp_path):
        prefix = str(tmp_path / "p")
        list(Dataset.range(10).cache(prefix).take(3))
        assert list(tmp_path.iterdir()) == []


class TestPrefetchAndApply:
    def test_prefetch_preserves_elements(self):
        for size in (1, 3, ff.data.AUTOTUNE):
            assert collect(Dataset.range(100).prefetch(size)) == list(range(100))

    def test_prefetch_zero_is_a_no_op(self):
        assert collect(Dataset.range(3).prefetch(0)) == [0, 1, 2]

    def test_prefetch_bad_buffer(self):
        with pytest.raises(ff.errors.InvalidArgumentError, match="buffer_size"):
            Dataset.range(3).prefetch(-5)

    def test_prefetch_forwards_errors(self):
        def bad(x):
            if x == 3:
                raise ValueError("three")
            return x

        it = iter(Dataset.range(10).map(bad).prefetch(2))
        assert [next(it) for _ in range(3)] == [0, 1, 2]
        with pytest.raises(ValueError, match="three"):
            next(it)

    def test_apply(self):
        def double_then_batch(ds):
            return ds.map(lambda x: x * 2).batch(2)

        assert collect(Dataset.range(4).apply(double_then_batch)) == [[0, 2], [4, 6]]


def test_ragged_batch_makes_ragged_tensors_of_varying_components():
    ds = ff.data.Dataset.from_generator(
        lambda: ((np.full([i], i), i) for i in range(5)),
        output_signature=(ff.TensorSpec([None], ff.int64), ff.TensorSpec([], ff.int64)),
    )
    ragged = ds.ragged_batch(2, drop_remainder=True)
    spec = ragged.element_spec
    assert isinstance(spec[0], ff.RaggedTensorSpec) and spec[1] == ff.TensorSpec([2], ff.int64)
    out = [(r.to_list(), list(d)) for r, d in ragged]
    assert out == [([[], [1]], [0, 1]), ([[2, 2], [3, 3, 3]], [2, 3])]
