"""Dataset sources, with tf.data's documented examples as the expected values."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import ferroflow as ff
from ferroflow.data import Dataset
from helpers import collect


class TestRange:
    @pytest.mark.parametrize(
        "args, expected",
        [
            ((5,), [0, 1, 2, 3, 4]),
            ((2, 5), [2, 3, 4]),
            ((1, 5, 2), [1, 3]),
            ((1, 5, -2), []),
            ((5, 1), []),
            ((5, 1, -2), [5, 3]),
            ((0,), []),
            ((-3, 3, 3), [-3, 0]),
        ],
    )
    def test_documented_ranges(self, args, expected):
        assert collect(Dataset.range(*args)) == expected

    def test_output_types(self):
        ints = list(Dataset.range(2, 5, output_type=ff.int32))
        assert [x.dtype for x in ints] == [np.int32] * 3
        floats = list(Dataset.range(1, 5, 2, output_type=ff.float32))
        assert floats == [1.0, 3.0] and all(x.dtype == np.float32 for x in floats)

    def test_elements_are_int64_scalars(self):
        first = next(iter(Dataset.range(3)))
        assert isinstance(first, ff.Tensor) and first.shape == () and first.dtype == ff.int64
        assert isinstance(first.numpy(), np.int64)
        assert isinstance(next(Dataset.range(3).as_numpy_iterator()), np.int64)

    def test_zero_step_is_an_error(self):
        with pytest.raises(ff.errors.InvalidArgumentError):
            Dataset.range(0, 5, 0)

    def test_element_spec_and_cardinality(self):
        ds = Dataset.range(1, 10, 3)
        assert ds.element_spec == ff.TensorSpec([], ff.int64)
        assert ds.cardinality() == 3 and len(ds) == 3


class TestFromTensorSlices:
    def test_list(self):
        values = list(Dataset.from_tensor_slices([1, 2, 3]))
        assert values == [1, 2, 3]
        assert values[0].dtype == np.int32  # Python ints become int32, as in TensorFlow

    def test_tuples_slice_componentwise(self):
        ds = Dataset.from_tensor_slices(([1, 2], [3, 4], [5, 6]))
        assert collect(ds) == [(1, 3, 5), (2, 4, 6)]

    def test_dict(self):
        ds = Dataset.from_tensor_slices({"a": [1, 2], "b": [3, 4]})
        assert collect(ds) == [{"a": 1, "b": 3}, {"a": 2, "b": 4}]

    def test_features_and_labels(self):
        features = np.array([[1, 3], [2, 1], [3, 3]], dtype=np.int32)
        labels = ["A", "B", "A"]
        out = list(Dataset.from_tensor_slices((features, labels)))
        assert [(f.tolist(), lab) for f, lab in out] == [
            ([1, 3], b"A"),
            ([2, 1], b"B"),
            ([3, 3], b"A"),
        ]
        assert out[0][0].dtype == np.int32

    def test_numpy_dtypes_are_kept(self):
        for dtype in (np.uint8, np.int16, np.float16, np.float64, np.bool_, np.uint64):
            arr = np.arange(4).astype(dtype)
            out = list(Dataset.from_tensor_slices(arr))
            assert [x.dtype for x in out] == [np.dtype(dtype)] * 4
            assert np.array_equal(np.array(out), arr)

    def test_python_floats_are_float32(self):
        assert Dataset.from_tensor_slices([1.5, 2.5]).element_spec.dtype == ff.float32

    def test_non_contiguous_input(self):
        arr = np.arange(12).reshape(3, 4)[:, ::2]
        out = collect(Dataset.from_tensor_slices(arr))
        assert out == [[0, 2], [4, 6], [8, 10]]

    def test_mismatched_lengths_name_the_components(self):
        with pytest.raises(
            ff.errors.InvalidArgumentError, match="component 0 has 2 and component 1 has 3"
        ):
            Dataset.from_tensor_slices(([1, 2], [1, 2, 3]))

    def test_scalar_is_rejected(self):
        with pytest.raises(ff.errors.InvalidArgumentError):
            Dataset.from_tensor_slices(5)

    def test_strings_and_element_spec(self):
        ds = Dataset.from_tensor_slices(np.array([["a", "bc"], ["", "d"]]))
        assert ds.element_spec == ff.TensorSpec([2], ff.string)
        out = list(ds)
        assert out[0].dtype == object and out[0].tolist() == [b"a", b"bc"]
        assert out[1].tolist() == [b"", b"d"]

    def test_empty_slices(self):
        ds = Dataset.from_tensor_slices(np.zeros((0, 3), np.float32))
        assert list(ds) == [] and ds.cardinality() == 0


class TestFromTensors:
    def test_one_element(self):
        out = list(Dataset.from_tensors([1, 2, 3]))
        assert len(out) == 1 and out[0].tolist() == [1, 2, 3] and out[0].dtype == np.int32

    def test_tuple(self):
        assert collect(Dataset.from_tensors(([1, 2, 3], "A"))) == [([1, 2, 3], b"A")]

    def test_scalar_string_is_bytes(self):
        assert list(Dataset.from_tensors("héllo")) == ["héllo".encode()]

    def test_cardinality(self):
        assert Dataset.from_tensors(np.zeros((2, 2))).cardinality() == 1


class TestFromGenerator:
    def test_documented_count_generator(self):
        def gen():
            for i in itertools.count(1):
                yield (i, [1] * i)

        ds = Dataset.from_generator(
            gen, (ff.int64, ff.int64), (ff.TensorShape([]), ff.TensorShape([None]))
        )
        assert collect(ds.take(3)) == [(1, [1]), (2, [1, 1]), (3, [1, 1, 1])]

    def test_output_signature(self):
        def gen():
            yield 1, "a"
            yield 2, "bb"

        sig = (ff.TensorSpec(shape=(), dtype=ff.int32), ff.TensorSpec(shape=(), dtype=ff.string))
        ds = Dataset.from_generator(gen, output_signature=sig)
        assert ds.element_spec == sig
        out = list(ds)
        assert collect(out) == [(1, b"a"), (2, b"bb")]
        assert out[0][0].dtype == np.int32

    def test_generator_called_anew_each_iteration(self):
        calls = []

        def gen():
            calls.append(1)
            yield from range(3)

        ds = Dataset.from_generator(gen, output_signature=ff.TensorSpec([], ff.int64))
        assert list(ds) == [0, 1, 2] and list(ds) == [0, 1, 2]
        assert len(calls) == 2

    def test_args_are_passed_as_numpy_values(self):
        seen = []

        def gen(n, name):
            seen.append((type(n), name))
            yield from range(n)

        ds = Dataset.from_generator(
            gen, args=(3, "x"), output_signature=ff.TensorSpec([], ff.int64)
        )
        assert list(ds) == [0, 1, 2]
        assert seen == [(np.int32, b"x")]

    def test_shape_mismatch_is_reported(self):
        def gen():
            yield [1, 2, 3]

        ds = Dataset.from_generator(gen, output_signature=ff.TensorSpec([2], ff.int64))
        with pytest.raises(
            ff.errors.InvalidArgumentError, match=r"shape \(3,\) where an element of shape \(2,\)"
        ):
            list(ds)

    def test_type_mismatch_is_reported(self):
        def gen():
            yield "not a number"

        ds = Dataset.from_generator(gen, output_signature=ff.TensorSpec([], ff.int64))
        with pytest.raises(TypeError, match="expected type was int64"):
            list(ds)

    def test_dict_signature(self):
        def gen():
            yield {"x": 1.0, "y": [1, 2]}

        sig = {"x": ff.TensorSpec([], ff.float32), "y": ff.TensorSpec([None], ff.int64)}
        assert collect(Dataset.from_generator(gen, output_signature=sig)) == [
            {"x": 1.0, "y": [1, 2]}
        ]

    def test_exception_in_generator_reaches_caller(self):
        def gen():
            yield 1
            raise KeyError("boom")

        ds = Dataset.from_generator(gen, output_signature=ff.TensorSpec([], ff.int64))
        it = iter(ds)
        assert next(it) == 1
        with pytest.raises(KeyError, match="boom"):
            next(it)

    def test_requires_types(self):
        with pytest.raises(TypeError):
            Dataset.from_generator(lambda: iter([1]))

    def test_cardinality_unknown(self):
        ds = Dataset.from_generator(lambda: iter([1]), output_types=ff.int64)
        assert ds.cardinality() == ff.data.UNKNOWN_CARDINALITY


class TestListFiles:
    def test_sorted_without_shuffle_and_permuted_with(self, tmp_path):
        names = [tmp_path / f"part-{i}.txt" for i in range(6)]
        for n in names:
            n.write_text("x")
        (tmp_path / "other.csv").write_text("x")
        pattern = str(tmp_path / "part-*.txt")
        ordered = list(Dataset.list_files(pattern, shuffle=False))
        assert ordered == [str(n).encode() for n in names]
        shuffled = list(Dataset.list_files(pattern, seed=3))
        assert sorted(shuffled) == ordered

    def test_several_patterns(self, tmp_path):
        for n in ("a.x", "b.y", "c.z"):
            (tmp_path / n).write_text("")
        ds = Dataset.list_files([str(tmp_path / "*.x"), str(tmp_path / "*.y")], shuffle=False)
        assert [p.numpy().rsplit(b"/", 1)[1] for p in ds] == [b"a.x", b"b.y"]

    def test_no_match_is_an_error(self, tmp_path):
        with pytest.raises(ff.errors.InvalidArgumentError, match="match at least one file"):
            Dataset.list_files(str(tmp_path / "*.none"))


class TestZipAndConcatenate:
    def test_documented_zip(self):
        a, b = Dataset.range(1, 4), Dataset.range(4, 7)
        assert collect(Dataset.zip((a, b))) == [(1, 4), (2, 5), (3, 6)]
        assert collect(Dataset.zip(b, a)) == [(4, 1), (5, 2), (6, 3)]
        c = Dataset.range(7, 13).batch(2)
        assert collect(Dataset.zip((a, b, c))) == [
            (1, 4, [7, 8]),
            (2, 5, [9, 10]),
            (3, 6, [11, 12]),
        ]
        d = Dataset.range(13, 15)
        assert collect(Dataset.zip((a, d))) == [(1, 13), (2, 14)]

    def test_zip_dict_and_nested(self):
        ds = Dataset.zip(
            {"x": Dataset.range(2), "y": Dataset.zip((Dataset.range(2), Dataset.range(5, 7)))}
        )
        assert collect(ds) == [{"x": 0, "y": (0, 5)}, {"x": 1, "y": (1, 6)}]
        assert ds.cardinality() == 2

    def test_documented_concatenate(self):
        a, b = Dataset.range(1, 4), Dataset.range(4, 8)
        ds = a.concatenate(b)
        assert collect(ds) == [1, 2, 3, 4, 5, 6, 7]
        assert ds.cardinality() == 7

    def test_concatenate_incompatible_types(self):
        with pytest.raises(TypeError):
            Dataset.range(3).concatenate(Dataset.from_tensor_slices(["a"]))

    def test_concatenate_generalises_shapes(self):
        ds = Dataset.from_tensors([1, 2]).concatenate(Dataset.from_tensors([1, 2, 3]))
        assert ds.element_spec == ff.TensorSpec([None], ff.int32)


def test_generator_tuple_for_a_single_component_is_one_array():
    def gen():
        for i in range(3):
            yield (i,)

    ds = Dataset.from_generator(gen, output_signature=ff.TensorSpec(shape=(1,), dtype=ff.int64))
    assert collect(ds) == [[0], [1], [2]]
