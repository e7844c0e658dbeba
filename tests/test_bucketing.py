"""``bucket_by_sequence_length``: batches of similar lengths, padded per batch, to the
bucket boundary, or not at all; checked against what TensorFlow 2.21 returned for the same
pipeline, and against a Python model for random lengths."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ferroflow as ff
from ferroflow.data import Dataset

LENGTHS = [1, 5, 3, 7, 2, 9, 4, 4, 6, 1, 8, 3]


def _sequences(lengths):
    def gen():
        for i, n in enumerate(lengths):
            yield np.full(n, i, np.int32), np.int64(i)

    spec = (ff.TensorSpec([None], ff.int32), ff.TensorSpec([], ff.int64))
    return Dataset.from_generator(gen, output_signature=spec)


def _length(x, i):
    return ff.shape(x)[0]


def _plain(ds):
    return [tuple(np.asarray(v).tolist() for v in e) for e in ds]


def _full(i, n, width):
    return [i] * n + [0] * (width - n)


# What TensorFlow returned: full buckets as they fill, then the rest in bucket order.
TF_BASIC = [
    ([[1, 1, 1, 1, 1], [2, 2, 2, 0, 0]], [1, 2]),
    ([[0, 0], [4, 4]], [0, 4]),
    ([[6, 6, 6, 6], [7, 7, 7, 7]], [6, 7]),
    ([[3, 3, 3, 3, 3, 3, 3, 0, 0], [5] * 9, [8, 8, 8, 8, 8, 8, 0, 0, 0]], [3, 5, 8]),
    ([[9]], [9]),
    ([[11, 11, 11]], [11]),
    ([[10] * 8], [10]),
]


def test_buckets_as_tensorflow():
    ds = _sequences(LENGTHS).bucket_by_sequence_length(_length, [3, 6], [2, 2, 3])
    it = iter(ds)
    assert [tuple(np.asarray(v).tolist() for v in e) for e in it] == TF_BASIC
    assert all(s["notes"] == [] for s in it.stats())  # the length function traced
    dropped = _sequences(LENGTHS).bucket_by_sequence_length(
        _length, [3, 6], [2, 2, 3], drop_remainder=True
    )
    assert _plain(dropped) == TF_BASIC[:4]


def test_pad_to_bucket_boundary_as_tensorflow():
    short = _sequences(LENGTHS).filter(lambda x, i: ff.shape(x)[0] < 10)
    ds = short.bucket_by_sequence_length(
        _length, [3, 6, 10], [2, 2, 3, 1], pad_to_bucket_boundary=True
    )
    widths = [len(rows[0]) for rows, _ in _plain(ds)]
    assert widths == [5, 2, 5, 9, 2, 5, 9]
    too_long = _sequences(LENGTHS).bucket_by_sequence_length(
        _length, [3, 6], [2, 2, 3], pad_to_bucket_boundary=True
    )
    with pytest.raises(ff.errors.InvalidArgumentError, match="pad_to_bucket_boundary"):
        list(too_long)


def test_padding_options():
    values = _sequences(LENGTHS).bucket_by_sequence_length(
        _length, [5], [3, 3], padding_values=(np.int32(-1), np.int64(0))
    )
    rows, labels = _plain(values)[0]
    assert labels == [0, 2, 4] and rows[0] == [0, -1, -1]
    fixed = _sequences(LENGTHS).bucket_by_sequence_length(
        _length, [5], [3, 3], padded_shapes=([12], [])
    )
    assert all(len(rows[0]) == 12 for rows, _ in _plain(fixed))
    plain = Dataset.range(10).bucket_by_sequence_length(
        lambda x: x - (x // 3) * 3, [1, 2], [2, 2, 2], no_padding=True
    )
    assert [np.asarray(b).tolist() for b in plain] == [[0, 3], [1, 4], [2, 5], [6, 9], [7], [8]]
    with pytest.raises(ValueError, match="bucket_batch_sizes"):
        _sequences(LENGTHS).bucket_by_sequence_length(_length, [3, 6], [2, 2])
    with pytest.raises(ff.errors.InvalidArgumentError, match="scalar integer"):
        list(Dataset.range(3).bucket_by_sequence_length(lambda x: "a", [1], [1, 1]))


def _model(lengths, boundaries, sizes):
    pending = [[] for _ in sizes]
    out = []
    for i, n in enumerate(lengths):
        b = sum(1 for x in boundaries if x <= n)
        pending[b].append(i)
        if len(pending[b]) == sizes[b]:
            out.append(pending[b])
            pending[b] = []
    return out + [p for p in pending if p]


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.integers(0, 12), max_size=25),
    st.lists(st.integers(1, 12), min_size=1, max_size=3, unique=True).map(sorted),
    st.data(),
)
def test_bucketing_matches_a_model(lengths, boundaries, data):
    sizes = data.draw(
        st.lists(st.integers(1, 4), min_size=len(boundaries) + 1, max_size=len(boundaries) + 1)
    )
    ds = _sequences(lengths).bucket_by_sequence_length(_length, boundaries, sizes)
    batches = _plain(ds)
    assert [labels for _, labels in batches] == _model(lengths, boundaries, sizes)
    for rows, labels in batches:
        width = max(lengths[i] for i in labels)
        assert rows == [_full(i, lengths[i], width) for i in labels]
