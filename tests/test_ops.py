"""Tensor operations: one Rust kernel eagerly on numpy values and inside traced functions,
checked against numpy and TensorFlow's documented results."""

from __future__ import annotations

import numpy as np
import pytest

import ferroflow as ff
from ferroflow.data import Dataset
from helpers import as_lists, collect


def test_cast():
    x = np.array([-1.7, 0.2, 2.9], np.float32)
    assert ff.cast(x, ff.int32).tolist() == [-1, 0, 2]
    assert ff.cast(np.array([0, 3]), ff.bool).tolist() == [False, True]
    five = ff.cast(5, ff.float64)
    assert five == 5.0 and five.dtype == ff.float64 and isinstance(five.numpy(), np.float64)
    with pytest.raises(TypeError):
        ff.cast(b"1", ff.int64)


def test_reshape_concat_stack_match_numpy():
    a = np.arange(6, dtype=np.int32).reshape(2, 3)
    b = np.arange(6, 12, dtype=np.int32).reshape(2, 3)
    np.testing.assert_array_equal(ff.reshape(a, [3, -1]), a.reshape(3, -1))
    np.testing.assert_array_equal(ff.concat([a, b], 0), np.concatenate([a, b], 0))
    np.testing.assert_array_equal(ff.concat([a, b], axis=-1), np.concatenate([a, b], -1))
    np.testing.assert_array_equal(ff.stack([a, b]), np.stack([a, b]))
    np.testing.assert_array_equal(ff.stack([a, b], axis=2), np.stack([a, b], 2))
    with pytest.raises(ff.errors.InvalidArgumentError):
        ff.reshape(a, [4, -1])


def test_one_hot_documented():
    assert ff.one_hot([0, 1, 2], 3).tolist() == [[1, 0, 0], [0, 1, 0], [0, 0, 1]]
    out = ff.one_hot([0, 2, -1, 1], 3, on_value=5.0, off_value=0.0, axis=-1)
    assert out.tolist() == [[5, 0, 0], [0, 0, 5], [0, 0, 0], [0, 5, 0]]
    assert ff.one_hot([[0, 2], [1, -1]], 3).shape == (2, 2, 3)
    assert ff.one_hot([0, 1], 2, axis=0).tolist() == [[1, 0], [0, 1]]
    assert ff.one_hot([1], 2).dtype == np.float32


def test_clip_strings_and_raw_bytes(tmp_path):
    assert ff.clip_by_value(np.array([-2, 0, 9]), 0, 5).tolist() == [0, 0, 5]
    assert ff.strings.to_number(["1.5", "-2"]).tolist() == [1.5, -2.0]
    assert ff.strings.to_number("7", out_type=ff.int64) == 7
    with pytest.raises(ff.errors.InvalidArgumentError, match="convert string"):
        ff.strings.to_number(["x"])
    raw = np.arange(4, dtype="<u2").tobytes()
    assert ff.io.decode_raw(raw, ff.uint16).tolist() == [0, 1, 2, 3]
    path = tmp_path / "blob.bin"
    path.write_bytes(b"\x00\x01data")
    assert ff.io.read_file(str(path)) == b"\x00\x01data"
    with pytest.raises(ff.errors.NotFoundError):
        ff.io.read_file(str(tmp_path / "missing"))


def test_ops_trace_into_native_maps(tmp_path):
    paths = []
    for i in range(3):
        p = tmp_path / f"{i}.bin"
        p.write_bytes(np.arange(i, i + 4, dtype="<i4").tobytes())
        paths.append(str(p))

    def load(path):
        values = ff.io.decode_raw(ff.io.read_file(path), ff.int32)
        label = ff.one_hot(1, 3)  # from constants only: still one node of the graph
        stacked = ff.stack([values, values * 2])
        return ff.reshape(stacked, [-1]), ff.clip_by_value(values, 1, 3), label

    ds = Dataset.from_tensor_slices(paths).map(load)
    it = iter(ds)
    out = [as_lists(e) for e in it]
    assert out[1] == ([1, 2, 3, 4, 2, 4, 6, 8], [1, 2, 3, 3], [0.0, 1.0, 0.0])
    assert {s["path"]: s["notes"] for s in it.stats()}["Prefetch/Map"] == []
    assert ds.element_spec[1] == ff.TensorSpec([None], ff.int32)


def test_traced_and_eager_agree():
    labels = np.array([3, 0, 1, 2, 1], np.int64)
    ds = Dataset.from_tensor_slices(labels).batch(2)
    traced = collect(ds.map(lambda y: (ff.one_hot(y, 4), ff.cast(y, ff.float32) / 2.0)))
    eager = [as_lists((ff.one_hot(b, 4), ff.cast(b, ff.float32) / 2.0)) for b in ds]
    assert traced == eager


def test_fill_zeros_ones_and_shape_eagerly():
    np.testing.assert_array_equal(ff.fill([2, 3], 7), np.full((2, 3), 7, np.int32))
    assert ff.fill([2], 1.5).dtype == np.float32
    assert list(ff.fill([2], "ab")) == [b"ab", b"ab"]
    np.testing.assert_array_equal(ff.zeros([2, 1]), np.zeros((2, 1), np.float32))
    np.testing.assert_array_equal(ff.ones([3], ff.int64), np.ones(3, np.int64))
    assert list(ff.zeros([2], ff.string)) == [b"", b""]
    value = np.arange(6, dtype=np.uint8).reshape(2, 3)
    np.testing.assert_array_equal(ff.ones_like(value), np.ones_like(value))
    assert ff.zeros_like(value, ff.float64).dtype == np.float64
    np.testing.assert_array_equal(ff.shape(value), [2, 3])
    assert ff.shape(value, out_type=ff.int64).dtype == np.int64
    with pytest.raises(ff.errors.InvalidArgumentError, match="fill: dims .* negative"):
        ff.fill([-1], 0)


def test_fill_and_shape_trace_with_sizes_from_the_element():
    # The tf.data guide's padded_batch example; TensorFlow prints these two batches.
    ds = Dataset.range(100).map(lambda x: ff.fill([ff.cast(x, ff.int32)], x))
    it = iter(ds.padded_batch(4, padded_shapes=(None,)))
    assert next(it).tolist() == [[0, 0, 0], [1, 0, 0], [2, 2, 0], [3, 3, 3]]
    assert next(it).tolist() == [
        [4, 4, 4, 4, 0, 0, 0],
        [5, 5, 5, 5, 5, 0, 0],
        [6, 6, 6, 6, 6, 6, 0],
        [7, 7, 7, 7, 7, 7, 7],
    ]
    assert [s["notes"] for s in it.stats() if "Map" in s["name"]] == [[]]
    assert ds.element_spec == ff.TensorSpec([None], ff.int64)
    rows = Dataset.from_tensor_slices(np.zeros((3, 4, 5), np.float32)).map(
        lambda x: (ff.shape(x), ff.zeros_like(x[0]), ff.ones(ff.shape(x), ff.uint8))
    )
    shape, zeros, ones = next(iter(rows))
    assert shape.tolist() == [4, 5] and zeros.tolist() == [0.0] * 5
    assert ones.shape == (4, 5) and ones.dtype == np.uint8
    assert rows.element_spec[0] == ff.TensorSpec([2], ff.int32)


def test_fill_and_likes_edge_cases():
    with pytest.raises(ff.errors.ResourceExhaustedError, match="fill: cannot allocate"):
        ff.fill([2**40, 2**30], 1.0)
    with pytest.raises(ff.errors.InvalidArgumentError, match="no one"):
        ff.ones_like(np.array([b"a"], dtype=object))
    traced = Dataset.from_tensors(np.zeros((2, 3), np.float32)).map(
        lambda x: (ff.zeros_like(x), ff.ones_like(x, ff.int32))
    )
    assert traced.element_spec == (
        ff.TensorSpec([2, 3], ff.float32),
        ff.TensorSpec([2, 3], ff.int32),
    )
    zeros, ones = next(iter(traced))
    assert zeros.tolist() == [[0.0] * 3] * 2 and ones.dtype == np.int32


def test_function_forms_of_the_operators_convert_python_numbers_as_tensorflow():
    x = np.array([1, 2, 3], np.int64)
    assert ff.equal(x, 2).tolist() == [False, True, False]
    assert ff.add(x, 1).dtype == np.int64
    assert ff.math.divide(x, 2).tolist() == [0.5, 1.0, 1.5]
    assert ff.maximum(1.5, np.float64(2.0)) == 2.0
    assert ff.not_equal(np.array([b"a", b"b"], object), "a").tolist() == [False, True]
    with pytest.raises(ff.errors.InvalidArgumentError, match="one dtype"):
        ff.add(x, 1.5)
    t, f = np.array([True, True, False, False]), np.array([True, False, True, False])
    assert ff.logical_and(t, f).tolist() == [True, False, False, False]
    assert ff.logical_or(t, f).tolist() == [True, True, True, False]
    assert ff.math.logical_xor(t, f).tolist() == [False, True, True, False]
    assert ff.logical_not(f).tolist() == [False, True, False, True]
    with pytest.raises(ff.errors.InvalidArgumentError, match="not defined for int64"):
        ff.logical_and(x, x)


def test_logical_operations_trace_natively():
    ds = Dataset.range(6)
    picked = ds.filter(lambda x: ff.logical_and(x > 1, ff.less(x, 5)))
    it = iter(picked)
    assert list(it) == [2, 3, 4]
    assert all(n == [] for n in (s["notes"] for s in it.stats()))
    flags = ds.map(
        lambda x: (~(x > 2), (x < 1) | (x > 4), (x > 1) ^ (x > 3), ff.logical_not(x > 2))
    )
    it = iter(flags)
    assert [tuple(map(bool, e)) for e in it] == [
        (x <= 2, x < 1 or x > 4, (x > 1) != (x > 3), x <= 2) for x in range(6)
    ]
    assert all(n == [] for n in (s["notes"] for s in it.stats()))


def test_floor_division_powers_and_signs_as_tensorflow():
    x = np.array([-7, -1, 0, 5, 7], np.int32)
    y = np.array([2, -3, 4, -2, 3], np.int32)
    # TensorFlow's values for x % y, x // y, x ** 2, -x, abs(x).
    assert ff.math.floormod(x, y).tolist() == [1, -1, 0, -1, 1]
    assert ff.math.floordiv(x, y).tolist() == [-4, 0, 0, -3, 2]
    assert ff.pow(x, 2).tolist() == [49, 1, 0, 25, 49]
    assert ff.negative(x).tolist() == [7, 1, 0, -5, -7]
    assert ff.abs(x).tolist() == [7, 1, 0, 5, 7]
    xf = np.array([-7.5, 1.0, 5.5], np.float32)
    yf = np.array([2.0, -3.0, 0.0], np.float32)
    np.testing.assert_array_equal(ff.math.floormod(xf, yf), [0.5, -2.0, np.nan])
    np.testing.assert_array_equal(ff.math.floordiv(xf, yf), [-4.0, -1.0, np.inf])
    assert ff.math.floordiv(np.int32(-(2**31)), np.int32(-1)) == -(2**31)
    with pytest.raises(ff.errors.InvalidArgumentError, match="Integer division by zero"):
        ff.math.floormod(x, np.int32(0))
    with pytest.raises(ff.errors.InvalidArgumentError, match="negative integer powers"):
        ff.pow(x, np.int32(-1))


def test_python_operators_trace_natively():
    ds = Dataset.range(10).filter(lambda x: x % 2 == 0)
    ds = ds.map(lambda x: (x // 3, x**2, -x, abs(x - 5), 2**x))
    it = iter(ds)
    assert [tuple(int(v) for v in e) for e in it] == [
        (x // 3, x**2, -x, abs(x - 5), 2**x) for x in range(0, 10, 2)
    ]
    assert all(s["notes"] == [] for s in it.stats())
    with pytest.raises(ff.errors.InvalidArgumentError, match="Integer division by zero"):
        list(Dataset.range(3).map(lambda x: x // 0))


def test_negative_and_abs_keep_signed_zeros_and_refuse_unsigned():
    zeros = np.array([0.0, -0.0], np.float32)
    assert np.signbit(ff.negative(zeros)).tolist() == [True, False]
    assert np.signbit(ff.abs(zeros)).tolist() == [False, False]
    assert ff.abs(np.int32(-(2**31))) == -(2**31)
    with pytest.raises(ff.errors.InvalidArgumentError, match="uint8"):
        ff.abs(np.uint8(5))
    assert np.isnan(ff.strings.to_number("nan(123)"))
