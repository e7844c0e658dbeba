"""``choose_from_datasets``, ``sample_from_datasets`` and ``Dataset.random``: against a
Python model of tf.data's directed interleave and what TensorFlow 2.21 returned."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ferroflow as ff
from ferroflow.data import Dataset


def _choices(values):
    return Dataset.from_tensor_slices(np.array(values, np.int64))


def _model(sizes, choices, stop_on_empty):
    """tf.data's DirectedInterleave over range datasets of ``sizes`` (dataset i holds
    i * 100 + 0, 1, ...)."""
    taken, out = [0] * len(sizes), []
    exhausted = set()
    for c in choices:
        if len(exhausted) == len(sizes):
            break
        if c in exhausted:
            continue
        if taken[c] < sizes[c]:
            out.append(c * 100 + taken[c])
            taken[c] += 1
        elif stop_on_empty:
            break
        else:
            exhausted.add(c)
    return out


@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.integers(0, 5), min_size=1, max_size=4),
    st.data(),
    st.booleans(),
)
def test_choose_from_datasets_follows_the_choices(sizes, data, stop_on_empty):
    choices = data.draw(st.lists(st.integers(0, len(sizes) - 1), max_size=30))
    datasets = [Dataset.range(i * 100, i * 100 + n) for i, n in enumerate(sizes)]
    ds = Dataset.choose_from_datasets(datasets, _choices(choices), stop_on_empty)
    assert [int(x) for x in ds] == _model(sizes, choices, stop_on_empty)


def test_choose_from_datasets_as_tensorflow():
    two = [Dataset.range(2), Dataset.range(10, 13)]
    ds = ff.data.experimental.choose_from_datasets(two, _choices([0, 0, 0, 1, 0, 1]))
    assert [int(x) for x in ds] == [0, 1]  # TensorFlow's output: stops at the empty input
    go_on = Dataset.choose_from_datasets(two, _choices([0, 0, 0, 1, 0, 1]), False)
    assert [int(x) for x in go_on] == [0, 1, 10, 11]
    with pytest.raises(ff.errors.InvalidArgumentError, match="index 3 is out of range"):
        list(Dataset.choose_from_datasets([Dataset.range(2)], _choices([0, 3])))
    with pytest.raises(TypeError, match="scalar of type"):
        Dataset.choose_from_datasets(
            [Dataset.range(2)], Dataset.range(2).map(lambda x: ff.cast(x, ff.int32))
        )
    with pytest.raises(TypeError, match="Incompatible"):
        Dataset.sample_from_datasets([Dataset.range(3), Dataset.from_tensor_slices(["a"])])


def test_sample_from_datasets_uses_every_element_and_the_weights():
    ds = Dataset.sample_from_datasets([Dataset.range(5), Dataset.range(100, 103)], seed=3)
    assert sorted(int(x) for x in ds) == [0, 1, 2, 3, 4, 100, 101, 102]
    # Each input keeps its own order.
    out = [int(x) for x in ds]
    assert [x for x in out if x < 100] == [0, 1, 2, 3, 4]
    # Reproducible under a seed; another seed gives another order.
    assert out == [int(x) for x in ds]
    ones = Dataset.from_tensors(np.int64(1)).repeat()
    zeros = Dataset.from_tensors(np.int64(0)).repeat()
    mixed = Dataset.sample_from_datasets([zeros, ones], weights=[0.2, 0.8], seed=1)
    share = np.mean([int(x) for x in mixed.take(20_000)])
    assert abs(share - 0.8) < 0.015
    only_first = Dataset.sample_from_datasets(
        [Dataset.range(3), Dataset.range(100, 103)], weights=[1.0, 0.0], stop_on_empty_dataset=True
    )
    assert [int(x) for x in only_first] == [0, 1, 2]
    # Weights from a dataset: each pick its own; the picks end with the weights.
    switching = Dataset.from_tensor_slices(
        np.array([[1.0, 0.0]] * 3 + [[0.0, 1.0]] * 3, np.float32)
    )
    picked = Dataset.sample_from_datasets(
        [Dataset.range(10), Dataset.range(100, 110)], weights=switching, seed=1
    )
    assert [int(x) for x in picked] == [0, 1, 2, 100, 101, 102]
    with pytest.raises(TypeError, match="vectors of 2 floats"):
        Dataset.sample_from_datasets([Dataset.range(3)] * 2, weights=Dataset.range(3))
    with pytest.raises(ValueError, match="weights"):
        Dataset.sample_from_datasets([Dataset.range(3), Dataset.range(3)], weights=[1.0])
    # As TensorFlow: listed weights of zero or less leave their dataset out.
    assert list(Dataset.sample_from_datasets([Dataset.range(3)] * 2, weights=[0.0, 0.0])) == []
    only_second = Dataset.sample_from_datasets(
        [Dataset.range(3), Dataset.range(5, 7)], weights=[-1.0, 1.0]
    )
    assert [int(x) for x in only_second] == [5, 6]
    endless = Dataset.sample_from_datasets([Dataset.range(3).repeat(), Dataset.range(5)])
    assert endless.cardinality() == ff.data.INFINITE_CARDINALITY


def test_the_guides_class_rebalancing():
    labels = np.array([0] * 95 + [1] * 5, np.int64)
    ds = Dataset.from_tensor_slices(labels)
    negative = ds.filter(lambda label: label == 0).repeat()
    positive = ds.filter(lambda label: label == 1).repeat()
    balanced = Dataset.sample_from_datasets([negative, positive], [0.5, 0.5], seed=7).batch(10)
    counts = np.bincount(np.concatenate(list(balanced.take(200))), minlength=2)
    assert abs(counts[1] / counts.sum() - 0.5) < 0.03


def test_random_dataset_is_endless_and_seeded():
    a = [int(x) for x in Dataset.random(seed=4).take(5)]
    assert a == [int(x) for x in Dataset.random(seed=4).take(5)]
    assert len(set(a)) == 5
    assert Dataset.random(seed=4).cardinality() == ff.data.INFINITE_CARDINALITY
    fixed = Dataset.random(seed=4).take(3)
    assert list(fixed) == list(fixed)
    again = Dataset.random(seed=4, rerandomize_each_iteration=True).take(3)
    assert list(again) != list(again)


def test_rejection_resample_balances_classes_as_tensorflow_does():
    labels = np.array([0] * 950 + [1] * 50, np.int64)
    np.random.default_rng(0).shuffle(labels)
    ds = Dataset.from_tensor_slices((np.arange(1000, dtype=np.float32), labels))
    for initial in ([0.95, 0.05], None):
        resampled = ds.rejection_resample(
            lambda f, label: label, target_dist=[0.5, 0.5], initial_dist=initial, seed=4
        )
        out = [(int(c), float(f), int(label)) for c, (f, label) in resampled]
        assert out == [(int(c), float(f), int(label)) for c, (f, label) in resampled]
        assert all(c == label == labels[int(f)] for c, f, label in out)
        share = np.mean([c for c, _, _ in out])
        # TensorFlow gave 93-130 elements, 42-76 of class 0, for seeds 0-2.
        assert 80 <= len(out) <= 160 and 0.35 <= share <= 0.65, (len(out), share)
    spec = ds.rejection_resample(lambda f, label: label, [0.5, 0.5], [0.9, 0.1]).element_spec
    assert spec[0] == ff.TensorSpec([], ff.int64)
