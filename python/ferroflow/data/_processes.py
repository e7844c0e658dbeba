"""``map(..., processes=N)``: a Python function run in N worker processes, for functions that
hold the GIL (Pillow decoding, pure-Python augmentation), which threads cannot run at once.

The workers are forked when the map is made, so the function needs no pickling. The engine
calls the map from its threads as for any Python function; each call takes an idle worker,
sends it the element's components and waits (without the GIL) for the result. Results come
back through a shared-memory block the worker owns and grows as needed, not as pickled
arrays; only their dtypes and shapes, and any non-array values, are pickled. An exception
in a worker is raised again in the pipeline with the worker's traceback as its cause; a
worker that dies is an error naming its exit code. The workers stop when the dataset is
garbage-collected or the interpreter exits."""

from __future__ import annotations

import multiprocessing
import os
import pickle
import queue
import traceback
import weakref
from collections.abc import Callable
from multiprocessing import resource_tracker, shared_memory
from typing import Any

import numpy as np

from .. import _nest
from ._functions import flat_result

_STOP = None


class RemoteTraceback(Exception):
    """The traceback of an exception raised in a map worker process."""

    def __str__(self) -> str:
        return str(self.args[0])


def _shared(value: Any) -> bool:
    """Whether a result value goes back through shared memory (a non-empty numeric array)
    rather than pickled."""
    return isinstance(value, np.ndarray) and value.dtype != object and value.nbytes > 0


def _flat(value: Any) -> tuple[Any, list[Any]]:
    """``flat_result``, with the structure's leaves dropped, so it pickles small."""
    template, flat = flat_result(value)
    return (None if template is None else _nest.map_structure(lambda _: None, template)), flat


def _serve(call: Callable[[tuple], Any], conn: Any) -> None:
    """A worker's loop: runs ``call`` on each element the parent sends."""
    block: shared_memory.SharedMemory | None = None
    try:
        while True:
            task = conn.recv()
            if task is _STOP:
                return
            try:
                skeleton, flat = _flat(call(task))
                arrays = [v for v in flat if _shared(v)]
                needed = sum(a.nbytes for a in arrays)
                grown = None
                if needed and (block is None or block.size < needed):
                    if block is not None:
                        block.close()
                        block.unlink()
                    block = shared_memory.SharedMemory(create=True, size=max(needed, 1 << 20))
                    grown = block.name
                layout, at = [], 0
                for v in flat:
                    if _shared(v):
                        assert block is not None
                        view = np.ndarray(v.shape, v.dtype, buffer=block.buf, offset=at)
                        view[...] = v
                        layout.append(("shared", at, v.dtype.str, v.shape))
                        at += v.nbytes
                    else:
                        layout.append(("value", v))
                conn.send(("ok", skeleton, layout, grown))
            except BaseException as e:  # sent to the parent, which raises it
                text = traceback.format_exc()
                try:
                    sent: Any = pickle.dumps(e)
                    pickle.loads(sent)  # some exceptions pickle but cannot be rebuilt
                except Exception:
                    sent = None
                conn.send(("error", sent, f"{type(e).__name__}: {e}", text))
    finally:
        if block is not None:
            block.close()
            block.unlink()


class _Worker:
    def __init__(self, process: Any, conn: Any) -> None:
        self.process, self.conn = process, conn
        self.block: shared_memory.SharedMemory | None = None

    def attach(self, name: str) -> None:
        if self.block is not None:
            self.block.close()
        # The worker owns the block and unlinks it; the parent only reads it. (Forked, both
        # share one resource tracker, which the worker's unlink settles.)
        self.block = shared_memory.SharedMemory(name=name)

    def run(self, flat_in: tuple) -> tuple[Any, list[Any]]:
        try:
            self.conn.send(flat_in)
            reply = self.conn.recv()
        except (EOFError, OSError, BrokenPipeError):
            self.process.join(timeout=1)
            raise RuntimeError(
                f"a map worker process (pid {self.process.pid}) exited with code "
                f"{self.process.exitcode} while computing an element"
            ) from None
        if reply[0] == "error":
            _, exc, summary, text = reply
            cause = RemoteTraceback(f"in map worker process {self.process.pid}:\n{text}")
            if exc is None:
                raise RuntimeError(summary) from cause
            raise pickle.loads(exc) from cause
        _, skeleton, layout, grown = reply
        if grown is not None:
            self.attach(grown)
        flat = []
        for item in layout:
            if item[0] == "shared":
                _, at, dtype, shape = item
                assert self.block is not None
                view = np.ndarray(shape, np.dtype(dtype), buffer=self.block.buf, offset=at)
                flat.append(view.copy())  # the block is reused by the worker's next element
            else:
                flat.append(item[1])
        return skeleton, flat


def _stop(workers: list[_Worker], owner: int) -> None:
    if os.getpid() != owner:
        return  # a forked worker inherited this finalizer; the pool is not its own
    for w in workers:
        try:
            w.conn.send(_STOP)
        except (OSError, BrokenPipeError):
            pass
    for w in workers:
        w.process.join(timeout=2)
        if w.process.is_alive():
            w.process.terminate()
            w.process.join(timeout=1)
        if w.block is not None:
            w.block.close()
        w.conn.close()


class ProcessPool:
    """``processes`` forked workers running ``call`` (a function of an element's flat
    components); calling the pool runs one element on an idle worker."""

    def __init__(self, call: Callable[[tuple], Any], processes: int) -> None:
        context = multiprocessing.get_context("fork")
        # One resource tracker for the parent and its workers (started before they fork),
        # so the blocks the workers create and unlink are accounted in one place.
        resource_tracker.ensure_running()
        self._context, self._call = context, call
        self._idle: queue.SimpleQueue[_Worker] = queue.SimpleQueue()
        self.workers: list[_Worker] = []
        for _ in range(processes):
            self._idle.put(self._start())
        self._finalizer = weakref.finalize(self, _stop, self.workers, os.getpid())

    def _start(self) -> _Worker:
        parent, child = self._context.Pipe()
        process = self._context.Process(target=_serve, args=(self._call, child), daemon=True)
        process.start()
        child.close()
        worker = _Worker(process, parent)
        self.workers.append(worker)
        return worker

    def __call__(self, flat_in: tuple) -> tuple[Any, list[Any]]:
        worker = self._idle.get()
        try:
            return worker.run(flat_in)
        finally:
            if worker.process.is_alive():
                self._idle.put(worker)
            else:
                # The element it held failed; the next ones go to a new worker.
                self.workers.remove(worker)
                worker.conn.close()
                self._idle.put(self._start())

    def close(self) -> None:
        """Stops the workers now."""
        self._finalizer()

    @property
    def pids(self) -> list[int]:
        """The workers' process ids."""
        return [w.process.pid for w in list(self.workers)]


def process_count(processes: Any) -> int:
    """The number of worker processes ``processes`` asks for (``AUTOTUNE``: one per CPU)."""
    from ._args import AUTOTUNE, cpu_count

    n = int(processes)
    if n == AUTOTUNE:
        return max(1, cpu_count())
    if n < 1:
        raise ValueError(f"processes must be a positive count or AUTOTUNE, got {processes}")
    return n
