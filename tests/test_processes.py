"""``map(..., processes=N)``: a Python function in worker processes. Results equal the
threaded map's, in order; arrays come back through shared memory; errors carry the worker's
traceback; a dead worker is an error; the workers stop with the dataset; state resumes."""

import gc
import os

import numpy as np
import pytest

import ferroflow as ff
from helpers import stopped_and_resumed


def _pixels(x):
    # Python work on arrays, with a dict result holding an array, a scalar and bytes.
    image = np.full((64, 48, 3), int(x) % 256, np.uint8)
    return {"image": image, "pid": np.int64(os.getpid()), "name": f"item {int(x)}".encode()}


def test_results_equal_the_threaded_maps_in_order():
    ds = ff.data.Dataset.range(30)
    threaded = list(ds.map(_pixels, num_parallel_calls=2).as_numpy_iterator())
    mapped = ds.map(_pixels, processes=2)
    assert mapped.element_spec["image"] == ff.TensorSpec([64, 48, 3], ff.uint8)
    got = list(mapped.as_numpy_iterator())
    assert [g["name"] for g in got] == [t["name"] for t in threaded]
    for g, t in zip(got, threaded):
        np.testing.assert_array_equal(g["image"], t["image"])
    pids = {int(g["pid"]) for g in got}
    assert os.getpid() not in pids and 1 <= len(pids) <= 2
    it = iter(mapped)
    next(it)
    assert ["runs as Python in 2 worker processes"] in [s["notes"] for s in it.stats()]


def _fails_at_three(x):
    if int(x) == 3:
        raise ValueError(f"cannot use element {int(x)}")
    return x


def test_an_error_in_a_worker_is_raised_with_its_traceback():
    ds = ff.data.Dataset.range(6).map(_fails_at_three, processes=2)
    with pytest.raises(ValueError, match="cannot use element 3") as raised:
        list(ds)
    remote = str(raised.value.__cause__)
    assert "in map worker process" in remote and "_fails_at_three" in remote
    # ignore_errors skips the element, as for a thread.
    assert [int(x) for x in ds.ignore_errors()] == [0, 1, 2, 4, 5]


def _dies(x):
    if int(x) == 2:
        os._exit(7)
    return x


def test_a_worker_that_dies_is_an_error_naming_its_exit_code():
    with pytest.raises(RuntimeError, match="exited with code 7"):
        list(ff.data.Dataset.range(5).map(_dies, processes=1))
    # A new worker takes its place: only the element it held is lost.
    ds = ff.data.Dataset.range(6).map(_dies, processes=2).ignore_errors()
    assert [int(x) for x in ds] == [0, 1, 3, 4, 5]


def _fails_every_fifty(x):
    if int(x) % 50 == 7:
        raise ValueError(f"cannot use element {int(x)}")
    return x * 3


def test_cheap_elements_go_in_runs_and_an_error_fails_only_its_own():
    ds = ff.data.Dataset.range(400).map(_fails_every_fifty, processes=2).ignore_errors()
    assert [int(x) for x in ds] == [3 * i for i in range(400) if i % 50 != 7]
    it = iter(ds)
    for _ in range(300):
        next(it)
    stage = next(s for s in it.stats() if s["name"] == "ParallelMap")
    # Four calls in flight (two workers, two runs each) hold many elements between them.
    assert stage["tuned"] > 4 * 8


def _lock_at_one(x):
    import threading

    return threading.Lock() if int(x) == 1 else x


def test_a_result_that_is_no_value_fails_its_element_only():
    ds = ff.data.Dataset.range(40).map(_lock_at_one, processes=2)
    with pytest.raises(TypeError, match="cannot convert lock"):
        list(ds)
    assert [int(x) for x in ds.ignore_errors()] == [0] + list(range(2, 40))


def _dies_at_57(x):
    if int(x) == 57:
        os._exit(9)
    return x


def test_a_worker_dying_in_a_run_loses_only_the_element_it_dies_on():
    ds = ff.data.Dataset.range(200).map(_dies_at_57, processes=2)
    assert [int(x) for x in ds.ignore_errors()] == [i for i in range(200) if i != 57]
    it = iter(ds)
    assert [int(next(it)) for _ in range(57)] == list(range(57))
    with pytest.raises(RuntimeError, match="exited with code 9"):
        next(it)


class _TwoPartError(Exception):
    """Pickles, but cannot be rebuilt from its message alone."""

    def __init__(self, path, code):
        super().__init__(f"{path}: {code}")


def _raises_two_part(x):
    raise _TwoPartError("a/b", 3)


def test_results_and_errors_of_any_shape_come_back():
    empty = ff.data.Dataset.range(3).map(lambda x: np.zeros((int(x),), np.float32), processes=1)
    assert [e.shape for e in empty.as_numpy_iterator()] == [(0,), (1,), (2,)]
    with pytest.raises(RuntimeError, match="_TwoPartError: a/b: 3") as raised:
        list(ff.data.Dataset.range(2).map(_raises_two_part, processes=1))
    assert "_raises_two_part" in str(raised.value.__cause__)


def test_the_workers_stop_with_the_dataset():
    ds = ff.data.Dataset.range(4).map(lambda x: x * 2, processes=2)
    assert [int(x) for x in ds] == [0, 2, 4, 6]
    pids = set(ds.process_pids)
    assert len(pids) == 2 and pids <= _children()
    del ds
    gc.collect()
    assert _wait_gone(pids)


def _children():
    found = set()
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open(f"/proc/{pid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == os.getpid() and fields[0] != "Z":
                found.add(int(pid))
    return found


def _wait_gone(pids, seconds=5.0):
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not (_children() & pids):
            return True
        time.sleep(0.05)
    return False


def test_a_pass_resumes_from_its_state():
    ds = ff.data.Dataset.range(20).shuffle(20, seed=4).map(lambda x: x * 10, processes=2)
    first, rest, resumed = stopped_and_resumed(ds, 7, int)
    assert resumed == rest
    assert sorted(first + rest) == [10 * i for i in range(20)]


def test_a_pass_in_runs_resumes_from_its_state():
    ds = ff.data.Dataset.range(600).map(lambda x: x * 10, processes=2).batch(7)
    first, rest, resumed = stopped_and_resumed(ds, 40, lambda b: b.tolist())
    assert resumed == rest
    assert [v for b in first + rest for v in b] == [10 * i for i in range(600)]


def test_processes_must_be_a_positive_count():
    with pytest.raises(ValueError, match="positive count or AUTOTUNE"):
        ff.data.Dataset.range(2).map(lambda x: x, processes=0)
    ds = ff.data.Dataset.range(3).map(lambda x: x + 1, processes=ff.data.AUTOTUNE)
    assert [int(x) for x in ds] == [1, 2, 3]


def test_a_free_threaded_interpreter_maps_on_threads(monkeypatch):
    # Without a GIL threads run Python at once: no process is forked.
    monkeypatch.setattr("sys._is_gil_enabled", lambda: False, raising=False)
    mapped = ff.data.Dataset.range(30).map(_pixels, processes=2)
    assert mapped.process_pids == []
    got = list(mapped.as_numpy_iterator())
    assert [g["name"] for g in got] == [f"item {i}".encode() for i in range(30)]
    assert {int(g["pid"]) for g in got} == {os.getpid()}
