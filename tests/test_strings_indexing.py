"""String splitting and comparison, indexing of traced tensors and argmax/argmin: eagerly,
traced into native maps, and the "load images from class directories" pipeline of the
tf.data image tutorial that needs all of them."""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

import ferroflow as ff
from ferroflow.data import Dataset

# What tf.strings.split (TensorFlow 2.21) returns for each case.
SPLIT_CASES = [
    (b"a/b/c", b"/", -1, [b"a", b"b", b"c"]),
    (b"a//b", b"/", -1, [b"a", b"", b"b"]),
    (b"", b"/", -1, [b""]),
    (b"/a/", b"/", -1, [b"", b"a", b""]),
    (b"a/b/c", b"/", 1, [b"a", b"b/c"]),
    (b"a/b/", b"/", 0, [b"a/b/"]),
    (b"  a b  c ", None, -1, [b"a", b"b", b"c"]),
    (b"  a b  c ", None, 1, [b"a", b"b  c "]),
    (b"  a  b c  ", None, 0, [b"  a  b c  "]),
    (b" a b ", None, 2, [b"a", b"b", b""]),
    (b"  x", None, 1, [b"x", b""]),
    (b"", None, -1, []),
    (b"   ", None, -1, []),
    (b"a<>b<>c", b"<>", 1, [b"a", b"b<>c"]),
    (b"a\tb\nc", None, -1, [b"a", b"b", b"c"]),
    (b"abc", b"", -1, [b"abc"]),
]


def _notes(it):
    return {s["path"]: s["notes"] for s in it.stats()}


@pytest.mark.parametrize(("s", "sep", "maxsplit", "expected"), SPLIT_CASES)
def test_split_a_scalar_as_tensorflow(s, sep, maxsplit, expected):
    pieces = ff.strings.split(s, sep=sep, maxsplit=maxsplit)
    assert list(pieces) == expected
    assert pieces.shape == (len(expected),)


def test_split_a_vector_gives_one_ragged_row_per_string():
    rows = ff.strings.split(["a b", "", "c d e"])
    assert isinstance(rows, ff.RaggedTensor)
    assert [list(r) for r in rows.to_list()] == [[b"a", b"b"], [], [b"c", b"d", b"e"]]
    with pytest.raises(ValueError, match="scalar or a vector"):
        ff.strings.split([["a"]])


def test_split_traces_for_scalars_and_falls_back_for_vectors():
    paths = [b"/data/daisy/1.jpg", b"/data/roses/22.jpg", b"relative/tulips/3.jpg"]
    ds = Dataset.from_tensor_slices(paths).map(lambda p: ff.strings.split(p, "/", maxsplit=2))
    it = iter(ds)
    assert [list(x) for x in it] == [p.split(b"/", 2) for p in paths]
    assert _notes(it)["Prefetch/Map"] == []
    batched = Dataset.from_tensor_slices(paths).batch(3).map(lambda p: ff.strings.split(p, "/"))
    it = iter(batched)
    (rows,) = list(it)
    assert [list(r) for r in rows.to_list()] == [p.split(b"/") for p in paths]
    assert _notes(it)["Prefetch/Map"][0].startswith("runs as Python")


def test_traced_strings_compare_with_numpy_str_arrays_and_bytes():
    class_names = np.array(["daisy", "roses", "tulips"])
    names = [b"roses", b"tulips", b"lilies"]
    ds = Dataset.from_tensor_slices(names).map(
        lambda n: (n == class_names, class_names != n, n == b"lilies", n == "roses")
    )
    it = iter(ds)
    out = list(it)
    assert _notes(it)["Prefetch/Map"] == []
    for name, (eq, ne, lilies, roses) in zip(names, out):
        expected = class_names == name.decode()
        np.testing.assert_array_equal(eq, expected)
        np.testing.assert_array_equal(ne, ~expected)
        assert bool(lilies) == (name == b"lilies") and bool(roses) == (name == b"roses")
    less = Dataset.from_tensor_slices(names).map(lambda n: n < b"m")
    it = iter(less)
    assert [bool(x) for x in it] == [False, False, True]  # numpy's bytes order, as Python
    assert _notes(it)["Prefetch/Map"][0].startswith("runs as Python")


def _index_strategy(rank: int):
    at = st.integers(-5, 5)
    bound = st.one_of(st.none(), st.integers(-6, 6))
    step = st.one_of(st.none(), st.sampled_from([-3, -2, -1, 1, 2, 3]))
    piece = st.one_of(at, st.builds(slice, bound, bound, step), st.none())
    return st.lists(piece, max_size=rank + 1).flatmap(
        lambda items: (
            st.integers(0, len(items)).map(
                lambda i: tuple(items[:i]) + (Ellipsis,) + tuple(items[i:])
            )
            | st.just(tuple(items))
        )
    )


@settings(max_examples=80, deadline=None)
@given(
    data=st.data(),
    shape=st.lists(st.integers(0, 4), min_size=0, max_size=3),
)
def test_traced_indexing_matches_numpy(data, shape):
    value = np.arange(int(np.prod(shape)), dtype=np.int32).reshape(shape)
    key = data.draw(_index_strategy(len(shape)))
    try:
        expected = value[key]
    except IndexError:
        return  # numpy rejects it; tracing falls back to Python, which raises the same
    ds = Dataset.from_tensors(value).map(lambda x: x[key])
    it = iter(ds)
    (out,) = list(it)
    np.testing.assert_array_equal(out, expected)
    assert np.shape(out) == expected.shape
    assert _notes(it)["Prefetch/Map"] == []
    assert ds.element_spec.shape.as_list() == list(expected.shape)


def test_indexing_a_tensor_of_unknown_length_checks_bounds_when_it_runs():
    ds = Dataset.from_tensor_slices([b"a/b/c", b"d"]).map(lambda p: ff.strings.split(p, "/")[-2])
    it = iter(ds)
    assert next(it) == b"b"
    with pytest.raises(ff.errors.InvalidArgumentError, match="slice index -2 of dimension 0"):
        next(it)


@pytest.mark.parametrize("dtype", [np.int32, np.float32, np.uint8, np.bool_])
def test_argmax_and_argmin_match_numpy_along_each_axis(dtype):
    rng = np.random.default_rng(3)
    value = rng.integers(0, 4, (3, 4, 5)).astype(dtype)  # small range: ties pick the first
    for axis in (None, 0, 1, 2, -1):
        np_axis = 0 if axis is None else axis
        np.testing.assert_array_equal(ff.argmax(value, axis), np.argmax(value, np_axis))
        np.testing.assert_array_equal(ff.argmin(value, axis), np.argmin(value, np_axis))
    assert ff.argmax(value).dtype == np.int64
    assert ff.argmax(value, 1, output_type=ff.int32).dtype == np.int32
    ds = Dataset.from_tensor_slices(value).map(lambda x: (ff.argmax(x, 1), ff.argmin(x)))
    it = iter(ds)
    for row, (big, small) in zip(value, it):
        np.testing.assert_array_equal(big, np.argmax(row, 1))
        np.testing.assert_array_equal(small, np.argmin(row, 0))
    assert _notes(it)["Prefetch/Map"] == []


def test_argmax_edge_cases_as_tensorflow():
    assert ff.argmax([3.0, float("nan"), 1.0]) == 0  # tf.argmax: NaN is never the largest
    assert ff.argmax([False, True, True]) == 1
    with pytest.raises(ff.errors.InvalidArgumentError, match="empty"):
        ff.argmax(np.zeros((0,), np.float32))
    with pytest.raises(ff.errors.InvalidArgumentError, match="out of range"):
        ff.argmax(np.zeros((2,), np.float32), axis=1)


def test_image_tutorial_labels_from_class_directories(tmp_path):
    rng = np.random.default_rng(0)
    classes = ["daisy", "roses", "tulips"]
    for label, name in enumerate(classes):
        (tmp_path / name).mkdir()
        for i in range(label + 2):
            pixels = rng.integers(0, 255, (20 + i, 24, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(tmp_path / name / f"{i}.jpg")
    class_names = np.array(sorted(item.name for item in tmp_path.glob("*")))

    def get_label(file_path):
        parts = ff.strings.split(file_path, os.path.sep)
        one_hot = parts[-2] == class_names
        return ff.argmax(one_hot)

    def process_path(file_path):
        label = get_label(file_path)
        img = ff.io.decode_jpeg(ff.io.read_file(file_path), channels=3)
        return ff.image.resize(img, [16, 16]), label, file_path

    ds = Dataset.list_files(str(tmp_path / "*/*"), shuffle=False).map(
        process_path, num_parallel_calls=ff.data.AUTOTUNE
    )
    it = iter(ds.batch(4))
    seen = []
    for images, labels, paths in it:
        assert images.shape[1:] == (16, 16, 3) and images.dtype == np.float32
        seen += [
            (int(lb), os.path.basename(os.path.dirname(p.numpy().decode())))
            for lb, p in zip(labels, paths)
        ]
    assert len(seen) == 9
    assert all(classes[label] == directory for label, directory in seen)
    assert _notes(it)["Prefetch/Batch/ParallelMap"] == []


def test_argmax_passes_over_nans_and_takes_narrow_output_types():
    # tf.argmax / tf.argmin of [nan, 3, 1] are 1 and 2; all NaN gives 0.
    assert ff.argmax([float("nan"), 3.0, 1.0]) == 1
    assert ff.argmin([float("nan"), 3.0, 1.0]) == 2
    assert ff.argmax([float("nan"), float("nan")]) == 0
    assert ff.argmax([1, 2], output_type=ff.int16).dtype == np.int16


def test_slices_with_huge_steps_end_instead_of_wrapping():
    value = np.arange(6, dtype=np.int32)
    for key in (slice(1, None, 2**63 - 1), slice(-1, None, -(2**63) + 1)):
        (out,) = list(Dataset.from_tensors(value).map(lambda x, key=key: x[key]))
        np.testing.assert_array_equal(out, value[key])


def test_string_operations_as_tensorflow_eagerly_and_traced():
    # Expected values printed by tf.strings (TensorFlow 2.21).
    words = [b"  AbC \t", "ÀÉ x".encode()]
    assert list(ff.strings.lower(words)) == [b"  abc \t", "ÀÉ x".encode()]
    assert list(ff.strings.lower(words, encoding="utf-8")) == [b"  abc \t", "àé x".encode()]
    assert ff.strings.upper(b"ab\xc3\xa7") == b"AB\xc3\xa7"
    assert list(ff.strings.strip([b" a b \t\n", b"", b"\x0bx\x0c"])) == [b"a b", b"", b"x"]
    assert ff.strings.length(["abc", "é", ""]).tolist() == [3, 2, 0]
    assert ff.strings.length(["abc", "é"], unit="UTF8_CHAR").tolist() == [3, 1]
    assert ff.strings.substr(b"hello", -3, 2) == b"ll"
    assert ff.strings.substr("héllo", 1, 2, unit="UTF8_CHAR") == "él".encode()
    with pytest.raises(ff.errors.InvalidArgumentError, match="substr"):
        ff.strings.substr(b"hello", 6, 1)
    assert list(ff.strings.join(["a", ["x", "y"]], separator="-")) == [b"a-x", b"a-y"]
    assert list(ff.strings.as_string([1.5, -0.25])) == [b"1.500000", b"-0.250000"]
    assert list(ff.strings.as_string([True, False])) == [b"true", b"false"]
    assert ff.strings.as_string(np.float64(1 / 3), precision=2) == b"0.33"

    def features(text, number):
        key = ff.strings.lower(ff.strings.strip(text))
        return ff.strings.join(
            [key, ff.strings.as_string(number)], separator=":"
        ), ff.strings.length(key)

    ds = Dataset.from_tensor_slices(([b" Cat ", b"DOG\n"], [3, 14])).map(features)
    it = iter(ds)
    assert [(bytes(k), int(n)) for k, n in it] == [(b"cat:3", 3), (b"dog:14", 3)]
    assert _notes(it)["Prefetch/Map"] == []
