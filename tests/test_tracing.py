"""Traced map functions: what traces, what falls back to Python, and that both paths agree."""

from __future__ import annotations

import numpy as np
import pytest

import ferroflow as ff
from ferroflow.data import Dataset
from helpers import collect


def _notes(it):
    return {s["path"]: s["notes"] for s in it.stats()}


def _both_paths(make):
    """The elements of ``make()`` traced and run as Python."""
    traced = collect(make())
    ff.data.experimental.set_map_tracing("python")
    try:
        python = collect(make())
    finally:
        ff.data.experimental.set_map_tracing("auto")
    return traced, python


def test_arithmetic_traces_and_matches_python():
    def make():
        return Dataset.range(10).map(lambda x: ((x + 1) * 2 - 3, x / 4, x < 5, 7 - x))

    traced, python = _both_paths(make)
    assert traced == python
    it = iter(make())
    out = next(it)
    assert out[1].dtype == np.float64 and out[2].dtype == np.bool_ and out[0].dtype == np.int64
    assert _notes(it)["Prefetch/Map"] == []


def test_cast_and_float_constants():
    def make():
        images = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
        return Dataset.from_tensor_slices(images).map(lambda im: ff.cast(im, ff.float32) / 255.0)

    traced, python = _both_paths(make)
    np.testing.assert_allclose(np.array(traced), np.array(python), rtol=1e-6)
    assert next(iter(make())).dtype == np.float32
    assert make().element_spec == ff.TensorSpec([3, 4], ff.float32)


def test_broadcasting_between_components():
    ds = Dataset.from_tensors((np.ones((2, 3), np.float32), np.arange(3, dtype=np.float32)))
    (out,) = collect(ds.map(lambda a, b: a * b + b))
    assert out == [[0.0, 2.0, 4.0], [0.0, 2.0, 4.0]]


def test_arithmetic_reusing_buffers_never_changes_values_read_again():
    # Float arithmetic may write over a value nothing reads later; a cached element, the
    # input read again, and an intermediate used twice must all keep their values.
    base = np.arange(12, dtype=np.float32).reshape(3, 4)
    ds = Dataset.from_tensor_slices(base).cache()
    fn = lambda x: (x / 2.0, (x * 3.0 + 1.0) - x, ((x - 1.0) * (x - 1.0)) / 4.0)  # noqa: E731
    for _ in range(2):
        for row, (half, affine, square) in zip(base, ds.map(fn)):
            np.testing.assert_array_equal(half, row / 2.0)
            np.testing.assert_array_equal(affine, (row * 3.0 + 1.0) - row)
            np.testing.assert_array_equal(square, ((row - 1.0) * (row - 1.0)) / 4.0)
    np.testing.assert_array_equal(collect(ds), list(base))


def test_a_traced_function_is_called_once():
    calls = []

    def f(x):
        calls.append(type(x).__name__)
        return x * 3

    ds = Dataset.range(100).map(f)
    assert collect(ds) == [3 * i for i in range(100)]
    assert collect(ds) == [3 * i for i in range(100)]
    assert len(calls) == 1  # once, with a symbolic tensor, as tf.function traces


def test_numpy_falls_back_to_python_and_says_so():
    ds = Dataset.range(5).map(lambda x: np.sqrt(x))
    it = iter(ds)
    assert [round(float(v), 4) for v in it] == [round(float(np.sqrt(i)), 4) for i in range(5)]
    notes = _notes(it)["Prefetch/Map"]
    assert len(notes) == 1 and notes[0].startswith("runs as Python")


def test_mixed_dtypes_fall_back_to_numpy_semantics():
    ds = Dataset.range(3).map(lambda x: x + 0.5)
    assert collect(ds) == [0.5, 1.5, 2.5]


def test_forcing_native_rejects_untraceable_functions():
    ff.data.experimental.set_map_tracing("native")
    try:
        with pytest.raises(TypeError, match="cannot run natively"):
            Dataset.range(3).map(lambda x: np.sqrt(x))
        assert collect(Dataset.range(3).map(lambda x: x + 1)) == [1, 2, 3]
    finally:
        ff.data.experimental.set_map_tracing("auto")
    with pytest.raises(ValueError):
        ff.data.experimental.set_map_tracing("sometimes")


def test_parse_example_traces_per_record_and_per_batch(fixtures):
    path = str(fixtures / "tfrecord/examples.tfrecord")
    spec = {
        "id": ff.io.FixedLenFeature([], ff.int64),
        "embedding": ff.io.FixedLenFeature([8], ff.float32),
        "tags": ff.io.VarLenFeature(ff.string),
        "tokens": ff.io.RaggedFeature(ff.int64),
    }

    def batched():
        return ff.data.TFRecordDataset(path).batch(16).map(lambda s: ff.io.parse_example(s, spec))

    traced, python = _both_paths(batched)
    assert [b["id"] for b in traced] == [b["id"] for b in python]
    it = iter(batched())
    first = next(it)
    assert _notes(it)["Prefetch/Map"] == []
    assert (
        isinstance(first["tags"], ff.SparseTensor) and first["tags"].dense_shape.tolist()[0] == 16
    )
    assert isinstance(first["tokens"], ff.RaggedTensor)
    assert (
        first["tokens"].to_list()
        == ff.io.parse_example(list(ff.data.TFRecordDataset(path).take(16)), spec)[
            "tokens"
        ].to_list()
    )

    dense = {k: v for k, v in spec.items() if k in ("id", "embedding")}
    single = ff.data.TFRecordDataset(path).map(lambda s: ff.io.parse_single_example(s, dense))
    rows = list(single)
    assert [int(r["id"]) for r in rows] == list(range(50))
    assert single.element_spec["embedding"] == ff.TensorSpec([8], ff.float32)


def test_traced_errors_carry_the_record(fixtures):
    path = str(fixtures / "tfrecord/examples.tfrecord")
    spec = {"nope": ff.io.FixedLenFeature([], ff.int64)}
    ds = ff.data.TFRecordDataset(path).batch(4).map(lambda s: ff.io.parse_example(s, spec))
    with pytest.raises(ff.errors.InvalidArgumentError, match="nope"):
        list(ds)


def test_py_function_inside_a_traced_function_runs_per_element():
    calls = []

    def upper(s):
        calls.append(1)
        return s.numpy().upper()

    ds = Dataset.from_tensor_slices(["ab", "cd", "ef"]).map(
        lambda s: (ff.py_function(upper, [s], ff.string), s)
    )
    assert collect(ds) == [(b"AB", b"ab"), (b"CD", b"cd"), (b"EF", b"ef")]
    assert len(calls) == 3  # at run time, once per element; tracing records it without a call
    it = iter(ds)
    list(it)
    assert _notes(it)["Prefetch/Map"] == []


def test_numpy_function_with_traced_arithmetic_around_it():
    ds = Dataset.range(4).map(
        lambda x: ff.numpy_function(lambda v: np.int64(v) * 10, [x + 1], ff.int64) - 1
    )
    assert collect(ds) == [9, 19, 29, 39]


def test_filter_and_take_while_predicates_trace():
    calls = []

    def small(x):
        calls.append(1)
        return x < 5

    assert collect(Dataset.range(10).filter(small)) == [0, 1, 2, 3, 4]
    assert collect(Dataset.range(10).take_while(small)) == [0, 1, 2, 3, 4]
    assert len(calls) == 2  # one trace each, then native
    odd = Dataset.range(10).filter(lambda x: x % 2 == 1)  # % is not traced: Python
    assert collect(odd) == [1, 3, 5, 7, 9]


def test_flat_map_and_interleave_functions_that_build_sources_trace():
    calls = []

    def slices(x):
        calls.append(type(x).__name__)
        return Dataset.from_tensor_slices(ff.stack([x, x * 10, x * 100]))

    ds = Dataset.range(4).flat_map(slices)
    traced, python = _both_paths(lambda: ds)
    assert traced == python == [v for i in range(4) for v in (i, 10 * i, 100 * i)]
    assert calls[0] == "Symbol" and calls.count("Symbol") == 1
    assert ds.element_spec == ff.TensorSpec([], ff.int64)
    it = iter(ds)
    list(it)
    assert all(not n for n in _notes(it).values()), "the flat_map runs natively"

    pairs = Dataset.range(5).interleave(
        lambda x: Dataset.from_tensors({"v": x, "sq": x * x}), cycle_length=2
    )
    assert pairs.element_spec == {
        "sq": ff.TensorSpec([], ff.int64),
        "v": ff.TensorSpec([], ff.int64),
    }
    traced, python = _both_paths(lambda: pairs)
    assert traced == python == [{"sq": i * i, "v": i} for i in range(5)]


def test_interleaved_tfrecord_files_open_natively(fixtures):
    names = [str(fixtures / "tfrecord" / "raw.tfrecord")] * 3
    files = Dataset.from_tensor_slices(names)
    ds = files.interleave(
        lambda f: ff.data.TFRecordDataset(f), cycle_length=3, num_parallel_calls=ff.AUTOTUNE
    )
    expected = collect(ff.data.TFRecordDataset(names, num_parallel_reads=3))
    it = iter(ds)
    assert [bytes(r) for r in it] == [bytes(r) for r in expected]
    assert all(not n for n in _notes(it).values())
    gzipped = Dataset.from_tensor_slices([str(fixtures / "tfrecord" / "examples.tfrecord.gz")] * 2)
    compressed = gzipped.flat_map(lambda f: ff.data.TFRecordDataset(f, compression_type="GZIP"))
    it = iter(compressed)
    assert len(list(it)) == 100 and all(not n for n in _notes(it).values())


def test_dataset_functions_that_do_more_fall_back_and_say_why():
    ds = Dataset.range(3).flat_map(lambda x: Dataset.from_tensors(x).repeat(2))
    it = iter(ds)
    assert list(it) == [0, 0, 1, 1, 2, 2]
    notes = [n for n in _notes(it).values() if n]
    assert notes == [["runs as Python: it uses .repeat of a dataset made from its input"]]
    ff.data.experimental.set_map_tracing("native")
    try:
        with pytest.raises(TypeError, match="cannot run natively"):
            Dataset.range(3).flat_map(lambda x: Dataset.range(x))
    finally:
        ff.data.experimental.set_map_tracing("auto")
