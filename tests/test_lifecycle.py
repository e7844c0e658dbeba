"""Threads, interrupts and waits: the engine's behaviour at the Python edge."""

from __future__ import annotations

import gc
import os
import signal
import threading
import time

import numpy as np
import pytest

import ferroflow as ff
from ferroflow.data import Dataset
from helpers import quiet_baseline, settle


def _rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


pytestmark = pytest.mark.skipif(not os.path.exists("/proc/self/task"), reason="needs Linux /proc")


def test_abandoned_prefetching_iterators_release_threads_and_memory():
    big = Dataset.from_tensors(np.ones((256, 1024), np.float32)).repeat().prefetch(4)
    for _ in range(20):  # warm up allocator pools before measuring
        it = iter(big)
        next(it)
        del it
    gc.collect()
    threads, rss = quiet_baseline(), _rss_mb()
    for _ in range(300):
        it = iter(big.map(lambda x: x).prefetch(2))
        next(it)
        del it
    gc.collect()
    assert settle(threads) <= threads
    # 300 pipelines each held up to 7 buffers of 1 MiB; none of it may remain.
    assert _rss_mb() - rss < 64


def test_iterator_close_joins_threads_while_a_python_worker_runs():
    baseline = quiet_baseline()
    started = threading.Event()

    def slow(x):
        started.set()
        time.sleep(0.05)
        return x

    it = iter(Dataset.range(10**6).map(slow).prefetch(8))
    next(it)
    started.wait()
    it.close()
    assert settle(baseline) <= baseline
    with pytest.raises(StopIteration):
        next(it)


def test_finished_iterators_stop_theirthread_count():
    baseline = quiet_baseline()
    iterators = [iter(Dataset.range(3).prefetch(1).prefetch(1)) for _ in range(50)]
    for it in iterators:
        assert list(it) == [0, 1, 2]
    assert settle(baseline) <= baseline


def test_wait_releases_the_gil(python_maps):
    # The producer is Python (it needs the GIL); the consumer waits in Rust. A wait that held
    # the GIL would deadlock here.
    ticks = []
    stop = threading.Event()

    def ticker():
        while not stop.is_set():
            ticks.append(1)
            time.sleep(0.001)

    t = threading.Thread(target=ticker)
    t.start()
    try:
        ds = Dataset.range(20).map(lambda x: (time.sleep(0.01), x)[1]).prefetch(1)
        assert list(ds) == list(range(20))
    finally:
        stop.set()
        t.join()
    assert len(ticks) > 20


def test_ctrl_c_interrupts_a_blocked_iteration():
    release = threading.Event()

    def gen():
        release.wait(30)
        yield 1

    ds = Dataset.from_generator(gen, output_signature=ff.TensorSpec([], ff.int64)).prefetch(1)
    it = iter(ds)
    # Python's own Ctrl-C handler, whatever the runner left: a process started in the
    # background by a shell inherits SIGINT ignored, and then Python installs none.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    timer = threading.Timer(0.3, lambda: os.kill(os.getpid(), signal.SIGINT))
    start = time.monotonic()
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            next(it)
        assert time.monotonic() - start < 0.3 + 0.5
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, previous)
        release.set()
        it.close()


def test_exception_in_prefetched_map_shuts_down_cleanly():
    baseline = quiet_baseline()

    def bad(x):
        if x == 5:
            raise RuntimeError("worker failure")
        return x

    with pytest.raises(RuntimeError, match="worker failure"):
        list(Dataset.range(100).map(bad).prefetch(3))
    gc.collect()
    assert settle(baseline) <= baseline
