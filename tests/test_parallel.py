"""Parallel map and interleave: order, completeness, errors, shutdown and Options."""

from __future__ import annotations

import os
import threading
import time

import numpy as np
import pytest

import ferroflow as ff
from ferroflow.data import Dataset
from helpers import collect, quiet_baseline, settle, thread_count


def _jittery(x):
    time.sleep(0.0005 * (int(x) * 7 % 5))
    return x * 3


@pytest.mark.parametrize("calls", [1, 2, 7, ff.data.AUTOTUNE])
def test_deterministic_parallel_map_equals_sequential(calls):
    ds = Dataset.range(200)
    assert collect(ds.map(_jittery, num_parallel_calls=calls)) == collect(ds.map(_jittery))


def test_nondeterministic_map_yields_the_same_multiset():
    out = collect(Dataset.range(300).map(_jittery, num_parallel_calls=6, deterministic=False))
    assert sorted(out) == [3 * i for i in range(300)]


def test_options_deterministic_false_applies_to_the_pipeline():
    options = ff.data.Options()
    options.deterministic = False
    ds = Dataset.range(100).map(_jittery, num_parallel_calls=4).with_options(options)
    assert sorted(collect(ds)) == [3 * i for i in range(100)]
    assert ds.options().deterministic is False
    explicit = Dataset.range(100).map(_jittery, num_parallel_calls=4, deterministic=True)
    assert collect(explicit.with_options(options)) == [3 * i for i in range(100)]


def test_calls_overlap_when_the_function_releases_the_gil():
    def sleepy(x):
        time.sleep(0.02)
        return x

    start = time.perf_counter()
    assert collect(Dataset.range(40).map(sleepy, num_parallel_calls=8)) == list(range(40))
    # 40 sleeps of 20 ms, 8 at a time: about 0.1 s; one at a time would be 0.8 s.
    assert time.perf_counter() - start < 0.5


def test_exception_from_a_worker_reaches_the_caller():
    def bad(x):
        if x == 17:
            raise KeyError("seventeen")
        return x

    it = iter(Dataset.range(50).map(bad, num_parallel_calls=4))
    assert [next(it) for _ in range(17)] == list(range(17))
    with pytest.raises(KeyError, match="seventeen"):
        next(it)


def test_abandoning_a_parallel_map_stops_its_threads():
    if not os.path.exists("/proc/self/task"):
        pytest.skip("needs Linux /proc")
    baseline = quiet_baseline()
    started = threading.Event()

    def slow(x):
        started.set()
        time.sleep(0.01)
        return x

    for _ in range(20):
        it = iter(Dataset.range(10**6).map(slow, num_parallel_calls=4).prefetch(2))
        next(it)
        started.wait()
        del it
    assert settle(baseline) <= baseline


def test_options_object():
    o = ff.data.Options()
    assert o.deterministic is None and o.autotune.cpu_budget is None
    o.autotune.cpu_budget = 2
    o.threading.private_threadpool_size = 3
    o.experimental_deterministic = True
    assert o.deterministic is True
    o.experimental_optimization.map_parallelization = True  # accepted, no effect
    other = ff.data.Options()
    other.autotune.ram_budget = 1 << 20
    merged = o.merge(other)
    assert merged.autotune.cpu_budget == 2 and merged.autotune.ram_budget == 1 << 20
    with pytest.raises(AttributeError):
        o.no_such_option = 1
    ds = Dataset.range(3).with_options(o)
    assert ds.options().autotune.cpu_budget == 2 and collect(ds) == [0, 1, 2]
    with pytest.raises(TypeError):
        Dataset.range(3).with_options({"deterministic": False})


def test_bad_parallelism():
    with pytest.raises(ff.errors.InvalidArgumentError):
        Dataset.range(3).map(lambda x: x, num_parallel_calls=0)


@pytest.mark.parametrize("calls", [2, ff.data.AUTOTUNE])
def test_parallel_batch_equals_sequential(calls):
    ds = Dataset.range(1000).map(lambda x: (x, x * 2))
    for drop in (False, True):
        seq = collect(ds.batch(64, drop_remainder=drop))
        par = collect(ds.batch(64, drop_remainder=drop, num_parallel_calls=calls))
        assert par == seq


def test_autotuned_prefetch_keeps_every_element():
    ds = Dataset.range(5000).map(lambda x: x + 1).prefetch(ff.data.AUTOTUNE)
    assert collect(ds) == list(range(1, 5001))


def test_nondeterministic_interleave_yields_every_element():
    def make(x):
        def gen():
            for i in range(5):
                time.sleep(0.001 * (int(x) % 3))
                yield int(x) * 10 + i

        return Dataset.from_generator(gen, output_signature=ff.TensorSpec([], ff.int64))

    ds = Dataset.range(6).interleave(
        make, cycle_length=3, num_parallel_calls=3, deterministic=False
    )
    out = collect(ds)
    assert sorted(out) == sorted(x * 10 + i for x in range(6) for i in range(5))
    for x in range(6):
        mine = [v for v in out if v // 10 == x]
        assert mine == sorted(mine)  # each input's own order is kept


def test_many_parallel_reads_share_a_bounded_set_of_threads(tmp_path):
    paths = []
    for f in range(48):
        path = tmp_path / f"part-{f:02d}.tfrecord"
        with ff.io.TFRecordWriter(path) as w:
            for r in range(50):
                w.write(f"{f}:{r}".encode())
        paths.append(str(path))
    baseline = quiet_baseline()
    peak = baseline
    it = iter(ff.data.TFRecordDataset(paths, num_parallel_reads=48))
    records = []
    for i, record in enumerate(it):
        records.append(record)
        if i % 50 == 0:
            peak = max(peak, thread_count())
    assert len(records) == 48 * 50
    assert records == list(ff.data.TFRecordDataset(paths, num_parallel_reads=48))
    # 48 files read at once: the shared I/O runtime (at most 16 threads), one prefetch stage
    # and the worker pool, not a thread per file.
    assert peak - baseline <= 24


def test_nested_parallel_interleaves_do_not_starve_the_reader_pool():
    def inner(i):
        return Dataset.range(4).interleave(
            lambda j: Dataset.range(3), cycle_length=4, num_parallel_calls=4
        )

    ds = Dataset.range(32).interleave(inner, cycle_length=32, num_parallel_calls=32)
    assert len(collect(ds)) == 32 * 4 * 3


def test_stages_dropped_mid_pass_release_their_threads():
    baseline = quiet_baseline()
    peak = baseline
    ds = Dataset.range(100).map(lambda x: np.asarray(x), num_parallel_calls=2).take(3).repeat(40)
    for i, _ in enumerate(ds):
        if i % 10 == 0:
            peak = max(peak, thread_count())
    # Each epoch's parallel map is dropped after 3 elements; its dispatcher must exit then,
    # not pile up until the pass ends.
    assert peak - baseline <= 12
