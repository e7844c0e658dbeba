"""``map(..., processes=N)``: a Python function run in N worker processes, for functions that
hold the GIL (Pillow decoding, pure-Python augmentation), which threads cannot run at once.

The workers are forked when the map is made, so the function needs no pickling. The engine
hands the map runs of elements from its threads, each run sized from the function's measured
cost to carry about 20 ms of work, so the round trip's fixed cost (pickling, two wake-ups)
is paid per run, not per element. Each run goes to the worker with the fewest runs in
flight, and the calling thread waits (without the GIL) for its results. A worker holds up to
two runs, so it starts the next as soon as it finishes one, while the parent is still taking
that one's results in; if it dies, a run it did not start goes to another worker. Results
come back through a shared-memory block the worker owns and grows as needed, not as pickled
arrays; only their dtypes and shapes, and any non-array values, are pickled. An exception
in a worker fails its element only, raised again in the pipeline with the worker's
traceback as its cause; a worker that dies is an error naming its exit code, and a new
worker takes its place. The workers stop when the dataset is garbage-collected or the
interpreter exits.

A worker is forked from a process whose other threads (the engine's, the caller's) may hold
locks at that moment; a lock held then stays held in the worker for good. So a worker takes
no lock of the parent's it does not need: its blocks are anonymous memory files passed over
its socket (not ``multiprocessing.shared_memory``, whose every block goes through the
resource tracker's lock), and it never collects the objects it inherited (``gc.freeze``),
whose finalizers could wait on the parent's threads or locks."""

from __future__ import annotations

import gc
import mmap
import multiprocessing
import os
import pickle
import select
import sys
import tempfile
import threading
import traceback
import weakref
from collections.abc import Callable
from multiprocessing import reduction
from typing import Any

import numpy as np

from .. import _nest
from ._functions import flat_result

_STOP = None
# Runs a worker holds at once: one computing, one waiting for it (or being taken in).
DEPTH = 2
# How often a caller waiting on a worker checks that it is still alive (seconds).
_LIVENESS_POLL = 0.25


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


def _memory_file(size: int) -> int:
    """A file descriptor of ``size`` bytes of memory that no name points to: freed when the
    last process holding it, or a mapping of it, lets go."""
    if hasattr(os, "memfd_create"):
        fd = os.memfd_create("ferroflow-map-results", os.MFD_CLOEXEC)
    else:
        with tempfile.TemporaryFile() as f:
            fd = os.dup(f.fileno())
    os.ftruncate(fd, size)
    return fd


def _send_message(conn: Any, message: Any) -> None:
    # The C pickler straight to bytes: a Connection's own send builds a ForkingPickler and
    # a buffer for every message, a cost per element the parent pays on its cores.
    conn.send_bytes(pickle.dumps(message, pickle.HIGHEST_PROTOCOL))


def _receive_message(conn: Any) -> Any:
    return pickle.loads(conn.recv_bytes())


def _error(e: BaseException) -> tuple:
    """An exception as a worker sends it: pickled if it can be rebuilt, with its summary and
    traceback."""
    text = "".join(traceback.format_exception(type(e), e, e.__traceback__))
    try:
        sent: Any = pickle.dumps(e)
        pickle.loads(sent)  # some exceptions pickle but cannot be rebuilt
    except Exception:
        sent = None
    return ("error", sent, f"{type(e).__name__}: {e}", text)


def _outcome(call: Callable[[tuple], Any], flat_in: tuple) -> tuple:
    try:
        skeleton, flat = _flat(call(flat_in))
    except BaseException as e:  # sent to the parent, which raises it for this element
        return _error(e)
    return ("ok", skeleton, flat)


def _picklable(entry: tuple) -> tuple:
    try:
        pickle.dumps(entry, pickle.HIGHEST_PROTOCOL)
        return entry
    except BaseException as e:
        return _error(e)


def _serve(call: Callable[[tuple], Any], conn: Any) -> None:
    """A worker's loop: runs ``call`` on each element of each run the parent sends, and
    sends the run's results back at once. Results alternate between two blocks, so the
    parent can still be copying one run's while the next is written."""
    gc.freeze()
    blocks: list[mmap.mmap | None] = [None] * DEPTH
    index = 0
    while True:
        task = _receive_message(conn)
        if task is _STOP:
            return
        slot, index = index, (index + 1) % DEPTH
        outcomes = [_outcome(call, flat_in) for flat_in in task]
        needed = sum(v.nbytes for o in outcomes if o[0] == "ok" for v in o[2] if _shared(v))
        grown = None
        block = blocks[slot]
        if needed and (block is None or len(block) < needed):
            grown = _memory_file(max(needed, 1 << 20))
            block = blocks[slot] = mmap.mmap(grown, 0)
        entries, at = [], 0
        for outcome in outcomes:
            if outcome[0] == "error":
                entries.append(outcome)
                continue
            _, skeleton, flat = outcome
            layout = []
            for v in flat:
                if _shared(v):
                    view = np.ndarray(v.shape, v.dtype, buffer=block, offset=at)
                    view[...] = v
                    del view
                    layout.append(("shared", at, v.dtype.str, v.shape))
                    at += v.nbytes
                else:
                    layout.append(("value", v))
            entries.append(("ok", skeleton, layout))
        try:
            message = pickle.dumps((entries, grown is not None), pickle.HIGHEST_PROTOCOL)
        except BaseException:
            # A result that cannot be pickled fails its own element, not the run.
            entries = [_picklable(entry) for entry in entries]
            message = pickle.dumps((entries, grown is not None), pickle.HIGHEST_PROTOCOL)
        conn.send_bytes(message)
        if grown is not None:
            reduction.send_handle(conn, grown, os.getppid())
            os.close(grown)


class _Unsent(Exception):
    """A run a worker did not take before it died: another worker runs it."""


class _WorkerDied(RuntimeError):
    """A map worker process exited while it held a run of elements."""


class _Worker:
    """The parent's end of one worker: elements go out in the order callers take tickets,
    and each caller reads its own reply in that order."""

    def __init__(self, process: Any, conn: Any) -> None:
        self.process, self.conn = process, conn
        self.blocks: list[mmap.mmap | None] = [None] * DEPTH
        self.in_flight = 0  # elements sent and not yet copied out; the pool's lock guards it
        self._turn = threading.Condition()
        self._sent = 0
        self._read = 0
        self._lost_at: int | None = None
        # One poll object for the worker's socket, not a selector made for every wait.
        self._readable = select.poll()
        self._readable.register(conn.fileno(), select.POLLIN)

    def _died(self) -> _WorkerDied:
        self.process.join(timeout=5)
        return _WorkerDied(
            f"a map worker process (pid {self.process.pid}) exited with code "
            f"{self.process.exitcode} while computing an element"
        )

    def _receive(self) -> Any:
        # Waits for the reply, checking the worker is alive: a dead worker's socket may stay
        # open in a process forked meanwhile, so its end of file is not to be counted on.
        while not self._readable.poll(_LIVENESS_POLL * 1000):
            if not self.process.is_alive():
                raise self._died()
        return _receive_message(self.conn)

    def run(self, flat_ins: list[tuple]) -> list[Any]:
        """Runs a run of elements; returns, for each, ``(skeleton, flat)`` or the exception
        it raised. Raises if the worker dies, or ``_Unsent`` if it died before taking them."""
        # Pickled before a ticket is taken: a run that cannot be sent holds up no one.
        message = pickle.dumps(flat_ins, pickle.HIGHEST_PROTOCOL)
        with self._turn:
            ticket = self._sent
            self._sent += 1
            try:
                self.conn.send_bytes(message)
                sent = True
            except (EOFError, OSError):
                sent = False
            while self._read != ticket:
                self._turn.wait()
        try:
            if not sent and self.process.is_alive():
                # Its socket failed: it may hold part of a message, so it serves no more.
                self.process.terminate()
                raise self._died()
            if not sent or (self._lost_at is not None and self._lost_at < ticket):
                raise _Unsent  # the worker died before it took this run
            try:
                return self._reply(ticket % DEPTH)
            except _WorkerDied:
                if not self.process.is_alive():
                    self._lost_at = ticket  # the run it died computing
                raise
        finally:
            with self._turn:
                self._read += 1
                self._turn.notify_all()

    def _reply(self, slot: int) -> list[Any]:
        try:
            entries, grown = self._receive()
            if grown:
                fd = reduction.recv_handle(self.conn)
                try:
                    self.blocks[slot] = mmap.mmap(fd, 0, prot=mmap.PROT_READ)
                finally:
                    os.close(fd)
        except (EOFError, OSError):
            raise self._died() from None
        return [self._result(entry, slot) for entry in entries]

    def _result(self, entry: tuple, slot: int) -> Any:
        if entry[0] == "error":
            _, exc, summary, text = entry
            raised = RuntimeError(summary) if exc is None else pickle.loads(exc)
            raised.__cause__ = RemoteTraceback(f"in map worker process {self.process.pid}:\n{text}")
            return raised
        _, skeleton, layout = entry
        flat = []
        for item in layout:
            if item[0] == "shared":
                _, at, dtype, shape = item
                view = np.ndarray(shape, np.dtype(dtype), buffer=self.blocks[slot], offset=at)
                flat.append(view.copy())  # the block is reused by a later run
            else:
                flat.append(item[1])
        return skeleton, flat


def _stop(workers: list[_Worker], owner: int) -> None:
    if os.getpid() != owner:
        return  # a forked worker inherited this finalizer; the pool is not its own
    for w in workers:
        try:
            _send_message(w.conn, _STOP)
        except OSError:
            pass
    for w in workers:
        w.process.join(timeout=2)
        if w.process.is_alive():
            w.process.terminate()
            w.process.join(timeout=1)
        w.conn.close()


class ProcessPool:
    """``processes`` forked workers running ``call`` (a function of an element's flat
    components); ``run`` runs a run of elements on the worker with the fewest in flight.
    Each worker takes up to ``DEPTH`` runs at once, so it starts the next while the parent
    takes in the last one's results."""

    def __init__(self, call: Callable[[tuple], Any], processes: int) -> None:
        self._context = multiprocessing.get_context("fork")
        self._call = call
        self._lock = threading.Condition()
        self._broken = False  # a dead worker could not be replaced
        self._start_error: BaseException | None = None
        self.workers: list[_Worker] = []
        for _ in range(processes):
            self._start()
        self._finalizer = weakref.finalize(self, _stop, self.workers, os.getpid())

    def _start(self) -> _Worker:
        parent, child = self._context.Pipe()
        process = self._context.Process(target=_serve, args=(self._call, child), daemon=True)
        process.start()
        child.close()
        worker = _Worker(process, parent)
        self.workers.append(worker)
        return worker

    def _take(self) -> _Worker:
        with self._lock:
            while True:
                if self._broken:
                    raise RuntimeError("no map worker process could be started") from (
                        self._start_error
                    )
                open_ = [w for w in self.workers if w.in_flight < DEPTH]
                if open_:
                    worker = min(open_, key=lambda w: w.in_flight)
                    worker.in_flight += 1
                    return worker
                self._lock.wait()

    def run(self, flat_ins: list[tuple]) -> list[Any]:
        """Runs a run of elements on one worker; returns, for each, ``(skeleton, flat)`` or
        the exception it raised. If the worker dies, which element it died on is not known:
        each element of the run goes again alone to a new worker, so only an element that
        a worker dies on by itself is lost (the others may have run twice)."""
        while True:
            worker = self._take()
            failed = True
            try:
                result = worker.run(flat_ins)
                failed = False
                return result
            except _Unsent:
                continue
            except _WorkerDied as died:
                if len(flat_ins) == 1:
                    return [died]
                return [self.run([flat_in])[0] for flat_in in flat_ins]
            finally:
                with self._lock:
                    worker.in_flight -= 1
                    # Only a call that failed asks whether its worker died (a system call).
                    if failed and worker in self.workers and not worker.process.is_alive():
                        self._replace(worker)
                    self._lock.notify_all()

    def _replace(self, dead: _Worker) -> None:
        # The elements it held failed; the next ones go to a new worker.
        self.workers.remove(dead)
        dead.conn.close()
        try:
            self._start()
        except BaseException as e:
            self._start_error = e
            self._broken = True

    def close(self) -> None:
        """Stops the workers now."""
        self._finalizer()

    @property
    def pids(self) -> list[int]:
        """The workers' process ids."""
        return [w.process.pid for w in list(self.workers)]


def gil_enabled() -> bool:
    """Whether this interpreter has a GIL (every build but a free-threaded one with it off)."""
    check = getattr(sys, "_is_gil_enabled", None)
    return True if check is None else bool(check())


def process_count(processes: Any) -> int:
    """The number of worker processes ``processes`` asks for (``AUTOTUNE``: one per CPU)."""
    from ._args import AUTOTUNE, cpu_count

    n = int(processes)
    if n == AUTOTUNE:
        return max(1, cpu_count())
    if n < 1:
        raise ValueError(f"processes must be a positive count or AUTOTUNE, got {processes}")
    return n
