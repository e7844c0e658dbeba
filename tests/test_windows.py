"""``Dataset.window`` and ``group_by_window``: windows as datasets, against what
TensorFlow 2.21 returned and a Python model of windowing."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ferroflow as ff
from ferroflow.data import Dataset


def _windows(ds):
    return [[int(x) for x in w] for w in ds]


def test_window_as_tensorflow():
    r = Dataset.range(7)
    assert _windows(r.window(3, shift=2)) == [[0, 1, 2], [2, 3, 4], [4, 5, 6], [6]]
    assert _windows(r.window(3, shift=2, drop_remainder=True)) == [[0, 1, 2], [2, 3, 4], [4, 5, 6]]
    assert _windows(r.window(3, shift=2, stride=2)) == [[0, 2, 4], [2, 4, 6], [4, 6], [6]]
    assert _windows(r.window(3)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert _windows(r.window(2, shift=4)) == [[0, 1], [4, 5]]
    assert r.window(3, shift=2).cardinality() == 4
    assert r.window(3, shift=2, drop_remainder=True).cardinality() == 3
    spec = r.window(3).element_spec
    assert isinstance(spec, ff.data.DatasetSpec)
    assert spec.element_spec == ff.TensorSpec([], ff.int64)


def test_windows_of_structures_and_flat_map():
    d = Dataset.from_tensor_slices(({"a": [1, 2, 3]}, [4, 5, 6])).window(2)
    assert [([int(v) for v in a["a"]], [int(v) for v in b]) for a, b in d] == [
        ([1, 2], [4, 5]),
        ([3], [6]),
    ]
    zipped = d.flat_map(lambda a, b: Dataset.zip((a["a"].batch(2), b.batch(2))))
    assert [tuple(np.asarray(v).tolist() for v in e) for e in zipped] == [
        ([1, 2], [4, 5]),
        ([3], [6]),
    ]
    # The guide's time-series windows: features and labels from windows of a range.
    windows = (
        Dataset.range(20).window(5, shift=1).flat_map(lambda w: w.batch(5, drop_remainder=True))
    )
    batches = [b.tolist() for b in windows]
    assert batches[0] == [0, 1, 2, 3, 4] and batches[-1] == [15, 16, 17, 18, 19]
    assert len(batches) == 16
    picked = (
        Dataset.range(10).window(3).filter(lambda w: w.reduce(np.int64(0), lambda s, x: s + x) > 5)
    )
    assert _windows(picked) == [[3, 4, 5], [6, 7, 8], [9]]
    assert _windows(Dataset.range(10).window(3).skip(1).take(2)) == [[3, 4, 5], [6, 7, 8]]
    with pytest.raises(ff.errors.UnimplementedError, match="tensor elements"):
        Dataset.range(10).window(3).batch(2)


def _model(n, size, shift, stride, drop):
    out = []
    for start in range(0, n, shift):
        w = [start + j * stride for j in range(size) if start + j * stride < n]
        if drop and len(w) < size:
            break
        out.append(w)
    return out


@settings(max_examples=80, deadline=None)
@given(st.integers(0, 20), st.integers(1, 5), st.integers(1, 6), st.integers(1, 3), st.booleans())
def test_window_matches_a_model(n, size, shift, stride, drop):
    ds = Dataset.range(n).window(size, shift, stride, drop)
    expected = _model(n, size, shift, stride, drop)
    assert _windows(ds) == expected
    assert ds.cardinality() == len(expected)


def test_group_by_window_as_tensorflow():
    ds = Dataset.from_tensor_slices(np.array([5, 1, 7, 3, 9, 2, 8, 4, 6, 10, 11], np.int64))
    by_three = ds.group_by_window(
        key_func=lambda x: x - (x // 3) * 3, reduce_func=lambda k, w: w.batch(3), window_size=3
    )
    assert [b.tolist() for b in by_three] == [[5, 2, 8], [1, 7, 4], [3, 9, 6], [10], [11]]
    sized = ds.group_by_window(
        key_func=lambda x: (10 - x) - ((10 - x) // 4) * 4,
        reduce_func=lambda k, w: w.batch(10).map(lambda b: (k, b)),
        window_size_func=lambda k: k + 1,
    )
    assert [(int(k), b.tolist()) for k, b in sized] == [
        (1, [5, 1]),
        (0, [2]),
        (0, [6]),
        (0, [10]),
        (1, [9]),
        (2, [8, 4]),
        (3, [7, 3, 11]),
    ]
    with pytest.raises(ValueError, match="window_size"):
        ds.group_by_window(lambda x: x, lambda k, w: w, window_size=2, window_size_func=len)
    with pytest.raises(ff.errors.InvalidArgumentError, match="key_func must return"):
        list(ds.group_by_window(lambda x: "a", lambda k, w: w, window_size=2))


def test_window_errors_count_only_for_elements_in_a_window():
    texts = Dataset.from_tensor_slices(["1", "x", "2", "3", "4", "5"])
    numbers = texts.map(lambda t: ff.strings.to_number(t))
    # TensorFlow: the unparsable "x" lies between windows and is never read.
    assert [[float(v) for v in w] for w in numbers.window(1, shift=2)] == [[1.0], [2.0], [4.0]]
    with pytest.raises(ff.errors.InvalidArgumentError, match="x"):
        list(numbers.window(2))
    # A window that cannot be stacked fails once; ignore_errors goes on past it.

    def ragged():
        for n in (1, 2, 1, 1):
            yield np.zeros(n, np.float32)

    spec = ff.TensorSpec([None], ff.float32)
    windows = Dataset.from_generator(ragged, output_signature=spec).window(2)
    batched = windows.flat_map(lambda w: w.batch(2))
    with pytest.raises(ff.errors.InvalidArgumentError, match="one shape per component"):
        list(batched)
    assert [b.shape for b in batched.ignore_errors()] == [(2, 1)]
