"""Stage statistics, AUTOTUNE's budgets as the iterator reports them, and the timeline."""

from __future__ import annotations

import importlib.util
import threading
import time

import numpy as np
import pytest

import ferroflow as ff
from ferroflow.data import Dataset


def _by_name(stats):
    return {s["path"]: s for s in stats}


def _uninjected(ds):
    """``ds`` without the prefetch tf.data (and ferroflow) add at the end by default."""
    options = ff.data.Options()
    options.experimental_optimization.inject_prefetch = False
    return ds.with_options(options)


def test_a_final_prefetch_is_injected_unless_disabled():
    it = iter(Dataset.range(10).map(lambda x: x))
    assert len(list(it)) == 10
    assert [s["path"] for s in it.stats()] == ["Prefetch", "Prefetch/Map", "Prefetch/Map/Range"]
    it = iter(_uninjected(Dataset.range(10)))
    list(it)
    assert [s["path"] for s in it.stats()] == ["Range"]
    options = ff.data.Options()
    options.autotune.enabled = False
    it = iter(Dataset.range(3).with_options(options))
    list(it)
    assert [s["path"] for s in it.stats()] == ["Range"]
    it = iter(Dataset.range(3).prefetch(1))
    list(it)
    assert [s["path"] for s in it.stats()] == ["Prefetch", "Prefetch/Range"]


def test_elements_per_stage():
    it = iter(_uninjected(Dataset.range(100).map(lambda x: x + 1).batch(10)))
    assert len(list(it)) == 10
    stats = _by_name(it.stats())
    assert stats["Batch"]["elements"] == 10
    assert stats["Batch/Map"]["elements"] == 100
    assert stats["Batch/Map/Range"]["elements"] == 100
    assert [s["depth"] for s in it.stats()] == [0, 1, 2]


def test_summary_names_the_slow_stage(python_maps):
    def slow(x):
        time.sleep(0.002)
        return x

    it = iter(Dataset.range(30).map(slow).batch(5).prefetch(2))
    list(it)
    text = it.summary()
    assert "bottleneck: Prefetch/Batch/Map" in text
    busy = _by_name(it.stats())["Prefetch/Batch/Map"]["busy_s"]
    assert 0.05 < busy < 1.0


def test_flat_map_inputs_add_up_in_one_stage():
    ds = Dataset.from_tensor_slices(np.arange(5)).flat_map(lambda x: Dataset.range(x))
    it = iter(_uninjected(ds.repeat(2)))
    assert len(list(it)) == 20
    stats = _by_name(it.stats())
    assert stats["Repeat/FlatMap/FromTensorSlices"]["elements"] == 10
    assert stats["Repeat/FlatMap/Range"]["elements"] == 20
    assert stats["Repeat/FlatMap"]["elements"] == 20


def test_autotuned_prefetch_stays_within_the_ram_budget():
    element = np.ones(1 << 18, np.float32)  # 1 MiB
    options = ff.data.Options()
    options.autotune.ram_budget = 4 << 20
    ds = Dataset.from_tensors(element).repeat(200).prefetch(ff.data.AUTOTUNE)
    it = iter(ds.with_options(options))
    for _ in it:
        time.sleep(0.0005)  # a consumer slower than nothing keeps asking for more buffer
    tuned = _by_name(it.stats())["Prefetch"]["tuned"]
    assert 1 <= tuned <= 5  # the first element plus at most 4 MiB of extra buffer


def test_autotuned_parallelism_stays_within_the_cpu_budget(python_maps):
    threads = set()

    def slow(x):
        threads.add(threading.get_ident())
        time.sleep(0.002)
        return x

    options = ff.data.Options()
    options.autotune.cpu_budget = 2
    ds = Dataset.range(200).map(slow, num_parallel_calls=ff.data.AUTOTUNE).with_options(options)
    it = iter(_uninjected(ds))
    assert len(list(it)) == 200
    tuned = _by_name(it.stats())["ParallelMap"]["tuned"]
    # Grew from 1 because the map was the bottleneck; at most 4 x budget (calls running and
    # results waiting in order), on no more threads than the budget.
    assert 2 <= tuned <= 8
    assert 1 <= len(threads) <= 2


def test_cheap_calls_go_to_the_threads_in_chunks_with_a_deeper_budget():
    options = ff.data.Options()
    options.autotune.cpu_budget = 2
    ds = Dataset.range(20_000).map(lambda x: x * 3, num_parallel_calls=ff.data.AUTOTUNE)
    it = iter(_uninjected(ds.with_options(options)))
    assert list(it) == list(range(0, 60_000, 3))
    # A chunk holds about 50 us of calls, so its elements count in the budget beyond
    # 4 x 2 calls; still a bounded number of scalars.
    tuned = _by_name(it.stats())["ParallelMap"]["tuned"]
    assert 8 < tuned <= 8 * 64


def test_fixed_parallelism_is_reported():
    it = iter(_uninjected(Dataset.range(20).map(lambda x: x, num_parallel_calls=3)))
    list(it)
    assert _by_name(it.stats())["ParallelMap"]["tuned"] == 3


def test_timeline_needs_the_option():
    it = iter(Dataset.range(3))
    list(it)
    with pytest.raises(ff.errors.InvalidArgumentError, match="timeline"):
        it.save_timeline("never.png")


@pytest.mark.skipif(importlib.util.find_spec("matplotlib") is None, reason="needs matplotlib")
def test_timeline_picture(tmp_path):
    options = ff.data.Options()
    options.timeline = True
    ds = Dataset.range(20).map(lambda x: x, num_parallel_calls=2).prefetch(1)
    it = iter(ds.with_options(options))
    for _ in it:
        time.sleep(0.001)
    out = tmp_path / "timeline.png"
    it.save_timeline(out)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    events, elapsed = it._native.timeline()
    assert len(events) >= 20 and elapsed > 0
