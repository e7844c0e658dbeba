"""py_function and numpy_function, as the tf.data guides call them inside map functions."""

from __future__ import annotations

import numpy as np
import pytest

import ferroflow as ff
from ferroflow.data import Dataset
from helpers import collect


def test_py_function_in_map_receives_values_with_numpy():
    def upper(s):
        return s.numpy().decode().upper()

    ds = Dataset.from_tensor_slices(["ab", "cd"]).map(
        lambda s: ff.py_function(upper, [s], ff.string)
    )
    assert collect(ds) == [b"AB", b"CD"]


def test_py_function_several_outputs_are_cast_to_tout():
    def split(x):
        return x.numpy() * 2, float(x.numpy()) / 2

    ds = Dataset.range(3).map(lambda x: tuple(ff.py_function(split, [x], [ff.int32, ff.float32])))
    out = list(ds)
    assert collect(out) == [(0, 0.0), (2, 0.5), (4, 1.0)]
    assert out[1][0].dtype == np.int32 and out[1][1].dtype == np.float32


def test_numpy_function_receives_plain_numpy():
    seen = []

    def f(x):
        seen.append(type(x))
        return np.asarray(x) + 1

    ds = Dataset.from_tensor_slices(np.ones((2, 3), np.float32)).map(
        lambda x: ff.numpy_function(f, [x], ff.float32)
    )
    assert collect(ds) == [[2.0, 2.0, 2.0]] * 2
    assert seen == [np.ndarray, np.ndarray]


def test_py_function_wrong_output_count():
    with pytest.raises(ValueError, match="returned 1 values"):
        ff.py_function(lambda x: x, [1], [ff.int32, ff.int32])


def test_py_function_eager_outside_a_pipeline():
    assert ff.py_function(lambda a, b: a.numpy() + b.numpy(), [2, 3], ff.int64) == 5
