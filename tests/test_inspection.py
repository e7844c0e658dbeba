"""element_spec, cardinality, len, iteration output types, reduce, get_single_element."""

from __future__ import annotations

import collections

import numpy as np
import pytest

import ferroflow as ff
from ferroflow.data import Dataset
from helpers import as_lists, collect


def test_aliases():
    assert ff.Dataset is ff.data.Dataset
    assert ff.AUTOTUNE == ff.data.AUTOTUNE == ff.data.experimental.AUTOTUNE == -1
    assert ff.data.INFINITE_CARDINALITY == -1 and ff.data.UNKNOWN_CARDINALITY == -2


def test_dtype_names():
    assert ff.int64 == np.int64 and ff.int64 == "int64" and ff.as_dtype(np.float32) is ff.float32
    assert ff.string.as_numpy_dtype is np.object_
    assert ff.float16.is_floating and ff.uint8.is_integer and not ff.string.is_integer
    assert ff.as_dtype("double") is ff.float64 and ff.bool.name == "bool"


def test_tensor_spec_and_shape():
    spec = ff.TensorSpec([None, 3], ff.float32)
    assert spec.shape.as_list() == [None, 3] and spec.shape.rank == 2
    assert spec.shape == (None, 3) and spec.shape[1] == 3
    assert spec.is_compatible_with(np.zeros((7, 3), np.float32))
    assert not spec.is_compatible_with(np.zeros((7, 4), np.float32))
    assert ff.TensorSpec(None, ff.int64).shape.rank is None


def test_element_spec_nested():
    ds = Dataset.from_tensor_slices(
        {"img": np.zeros((4, 8, 8, 3), np.uint8), "label": [1, 2, 3, 4]}
    )
    assert ds.element_spec == {
        "img": ff.TensorSpec([8, 8, 3], ff.uint8),
        "label": ff.TensorSpec([], ff.int32),
    }


def test_namedtuple_structure_survives():
    Point = collections.namedtuple("Point", "x y")
    ds = Dataset.from_tensor_slices(Point([1, 2], [3, 4]))
    out = list(ds)
    assert isinstance(out[0], Point) and collect(out) == [Point(1, 3), Point(2, 4)]
    assert collect(ds.map(lambda p: p.x + p.y)) == [4, 6]


def test_documented_cardinality():
    ds = Dataset.range(42)
    assert ds.cardinality() == 42 and ds.cardinality().numpy() == 42
    assert ds.repeat().cardinality() == ff.data.INFINITE_CARDINALITY
    assert ds.filter(lambda x: True).cardinality() == ff.data.UNKNOWN_CARDINALITY
    assert ff.data.experimental.cardinality(ds) == 42


def test_len():
    assert len(Dataset.range(10).batch(3)) == 4
    with pytest.raises(TypeError, match="infinite"):
        len(Dataset.range(2).repeat())
    with pytest.raises(TypeError, match="unknown"):
        len(Dataset.range(2).filter(lambda x: True))


def test_as_numpy_iterator_types():
    ds = Dataset.from_tensor_slices(
        (np.arange(6, dtype=np.float64).reshape(3, 2), [b"a", b"b", b"c"], [True, False, True])
    )
    x, s, b = next(ds.as_numpy_iterator())
    assert isinstance(x, np.ndarray) and x.dtype == np.float64 and x.flags.c_contiguous
    assert s == b"a" and isinstance(s, bytes)
    assert isinstance(b, np.bool_) and b


def test_iterator_get_next_and_out_of_range():
    it = iter(Dataset.range(1))
    assert it.get_next() == 0
    with pytest.raises(ff.errors.OutOfRangeError):
        it.get_next()
    assert it.element_spec == ff.TensorSpec([], ff.int64)


def test_documented_reduce():
    assert Dataset.range(5).reduce(np.int64(0), lambda x, _: x + 1) == 5
    assert Dataset.range(5).reduce(np.int64(0), lambda x, y: x + y) == 10


def test_reduce_structured_state():
    ds = Dataset.from_tensor_slices(([1, 2, 3], [10, 20, 30]))
    total = ds.reduce((0, 0), lambda state, elem: (state[0] + elem[0], state[1] + elem[1]))
    assert as_lists(total) == (6, 60)


def test_get_single_element():
    assert as_lists(Dataset.from_tensors(([1, 2], "x")).get_single_element()) == ([1, 2], b"x")
    with pytest.raises(ff.errors.InvalidArgumentError, match="empty"):
        Dataset.range(0).get_single_element()
    with pytest.raises(ff.errors.InvalidArgumentError, match="more than one"):
        Dataset.range(2).get_single_element()
    assert ff.data.experimental.get_single_element(Dataset.range(1)) == 0


def test_empty_datasets():
    empty = Dataset.range(0)
    assert list(empty) == [] and list(empty.batch(4)) == [] and list(empty.shuffle(3)) == []
    assert list(empty.map(lambda x: x)) == [] and list(empty.cache()) == []
    assert list(empty.prefetch(2)) == [] and list(empty.unbatch()) == []
    assert list(Dataset.range(5).take(0).repeat(3)) == []
    assert list(empty.interleave(lambda x: Dataset.range(x), cycle_length=2)) == []


def test_errors_subclass_builtins():
    assert issubclass(ff.errors.InvalidArgumentError, ValueError)
    assert issubclass(ff.errors.DataLossError, OSError)
    assert issubclass(ff.errors.OutOfRangeError, IndexError)
    assert issubclass(ff.errors.NotFoundError, FileNotFoundError)
    assert issubclass(ff.errors.InvalidArgumentError, ff.errors.OpError)


def test_dataset_is_reusable_and_iterators_independent():
    ds = Dataset.range(4)
    a, b = iter(ds), iter(ds)
    assert [next(a), next(a), next(b), next(a), next(b)] == [0, 1, 0, 2, 1]
