"""``Dataset.scan`` and ``Dataset.unique``: against what TensorFlow 2.21 returned and a
Python model of each."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ferroflow as ff
from ferroflow.data import Dataset


def _notes(it):
    return [s["notes"] for s in it.stats()]


def test_scan_as_tensorflow_traced_and_as_python():
    running = Dataset.range(5).scan(np.int64(0), lambda s, x: (s + x, s * 10))
    it = iter(running)
    assert [int(x) for x in it] == [0, 0, 10, 30, 60]  # TensorFlow's values
    assert all(n == [] for n in _notes(it))
    pairs = Dataset.range(4).scan(
        (np.int64(0), np.int64(1)), lambda s, x: ((s[0] + x, s[1] * 2), (s[0], s[1]))
    )
    assert [tuple(map(int, e)) for e in pairs] == [(0, 1), (0, 2), (1, 4), (3, 8)]
    as_python = Dataset.range(4).scan(np.int64(0), lambda s, x: (s + int(x), float(s)))
    assert [float(x) for x in as_python] == [0.0, 0.0, 1.0, 3.0]
    assert as_python.element_spec == ff.TensorSpec([], ff.float32)
    # Every pass starts again from the initial state.
    assert [int(x) for x in running] == [0, 0, 10, 30, 60]


def test_scan_state_may_change_shape_not_dtype():
    grow = Dataset.range(3).scan(
        np.zeros(0, np.int64),
        lambda s, x: (ff.concat([s, ff.reshape(x, [1])], 0), ff.shape(s)[0]),
    )
    it = iter(grow)
    assert [int(x) for x in it] == [0, 1, 2]
    assert all(n == [] for n in _notes(it))
    with pytest.raises(TypeError, match="does not match the initial state"):
        Dataset.range(3).scan(np.int64(0), lambda s, x: (ff.cast(s, ff.float32), s))
    with pytest.raises(TypeError, match="pair"):
        Dataset.range(3).scan(np.int64(0), lambda s, x: s + x)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(-1000, 1000), max_size=20))
def test_scan_is_a_running_sum(values):
    ds = Dataset.from_tensor_slices(np.array(values, np.int64)).scan(
        np.int64(0), lambda s, x: (s + x, s + x)
    )
    assert [int(x) for x in ds] == list(itertools.accumulate(values))


def test_unique_as_tensorflow():
    assert [int(x) for x in Dataset.from_tensor_slices([1, 37, 2, 37, 2, 1]).unique()] == [1, 37, 2]
    assert list(Dataset.from_tensor_slices(["b", "a", "b"]).unique()) == [b"b", b"a"]
    rows = Dataset.from_tensor_slices([[1, 2], [1, 2], [2, 1]]).unique()
    assert [r.tolist() for r in rows] == [[1, 2], [2, 1]]
    # Strings are told apart by their items, not their joined bytes.
    split = Dataset.from_tensor_slices(np.array([[b"ab", b"c"], [b"a", b"bc"]], object))
    assert len(list(split.unique())) == 2
    with pytest.raises(TypeError, match="does not support type float32"):
        Dataset.from_tensor_slices([1.0]).unique()
    with pytest.raises(TypeError, match="single component"):
        Dataset.from_tensor_slices(([1], [2])).unique()


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 6), max_size=30))
def test_unique_keeps_first_appearances(values):
    ds = Dataset.from_tensor_slices(np.array(values, np.int64)).unique()
    assert [int(x) for x in ds] == list(dict.fromkeys(values))


def test_unique_tells_shapes_apart():
    def values():
        yield np.int64(0)
        yield np.zeros(0, np.int64)
        yield np.zeros(1, np.int64)
        yield np.zeros((1, 0), np.int64)
        yield np.zeros(1, np.int64)

    ds = Dataset.from_generator(values, output_signature=ff.TensorSpec(None, ff.int64))
    assert [np.shape(x) for x in ds.unique()] == [(), (0,), (1,), (1, 0)]
