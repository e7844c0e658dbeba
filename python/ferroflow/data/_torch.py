"""``Dataset.as_torch()``: a ``torch.utils.data.IterableDataset`` over a ferroflow dataset.

Elements arrive as torch tensors sharing the engine's memory (``torch.from_numpy``; strings
stay ``bytes`` or numpy arrays of them, which torch has no type for). Its iterator has
``state_dict`` / ``load_state_dict`` (torchdata's ``StatefulDataLoader`` protocol): a state
is the ferroflow iterator's, so a resumed loader goes on exactly after the last element it
returned. In a ``DataLoader`` with ``num_workers > 0`` each worker reads its own shard
(``Dataset.shard(num_workers, worker_id)``), so together they read every element once.

``pin_memory=True`` copies each batch into page-locked memory (torch's caching host
allocator, which reuses its blocks) on a background thread; ``device="cuda:N"`` also copies
the next batches to the device on a side stream while the current one is in use. torch is
imported only when this is used."""

from __future__ import annotations

import queue
import threading
import weakref
from collections.abc import Iterator as _PyIterator
from typing import Any

import numpy as np

from .. import _nest

_classes: dict[str, type] = {}


def _torch() -> Any:
    try:
        import torch
    except ImportError as e:  # pragma: no cover - torch is in the test extra
        raise ImportError("Dataset.as_torch needs PyTorch: pip install torch") from e
    return torch


def _to_torch(value: Any, torch: Any) -> Any:
    """A numeric array as a torch tensor over the same memory; anything else as it is."""
    if isinstance(value, np.ndarray) and value.dtype != object:
        return torch.from_numpy(np.asarray(value))
    if isinstance(value, np.generic) and not isinstance(value, (np.bytes_, np.str_)):
        return torch.from_numpy(np.asarray(value))
    return value


def _convert(element: Any, torch: Any, pin: bool) -> Any:
    converted = _nest.map_structure(lambda v: _to_torch(v, torch), element)
    if not pin:
        return converted
    return _nest.map_structure(
        lambda t: t.pin_memory() if isinstance(t, torch.Tensor) else t, converted
    )


def _put(ready: queue.Queue, item: Any, stop: threading.Event) -> bool:
    """Puts ``item`` when there is room, unless the consumer went away first."""
    while not stop.is_set():
        try:
            ready.put(item, timeout=0.1)
            return True
        except queue.Full:
            continue
    return False


def _fill(iterator: Any, torch: Any, ready: queue.Queue, stop: threading.Event) -> None:
    """Converts and pins the next elements ahead of the training loop, with the state after
    each. It holds the pass, not the iterator object, so an abandoned iterator can be
    collected (which sets ``stop``)."""
    try:
        for element in iterator:
            if not _put(
                ready, ("element", _convert(element, torch, True), iterator.get_state()), stop
            ):
                return
        _put(ready, ("end", None, None), stop)
    except BaseException as e:  # handed to the consumer, which raises it
        _put(ready, ("error", e, None), stop)


class TorchIterator(_PyIterator):
    """One pass of ``as_torch()``: torch tensors, and the ferroflow iterator's state under
    ``state_dict`` / ``load_state_dict``."""

    def __init__(self, dataset: Any, pin_memory: bool, device: Any, ahead: int) -> None:
        self._torch = _torch()
        self._iterator = iter(dataset)
        self._pin = pin_memory or device is not None
        self._device = None if device is None else self._torch.device(device)
        self._ahead = ahead
        self._ready: queue.Queue[Any] | None = None
        self._stop = threading.Event()
        self._state: Any = None
        self._finished: BaseException | None = None
        self._pending: Any = None  # the next batch, its copy to the device under way
        if self._pin and not self._torch.cuda.is_available():
            raise RuntimeError(
                "as_torch(pin_memory=True or device=...) needs a CUDA device; none is available"
            )
        if self._device is not None:
            self._side = self._torch.cuda.Stream(device=self._device)

    def _next_pinned(self) -> tuple[Any, Any]:
        """The next pinned element and the state after it, from the background thread."""
        if self._finished is not None:
            raise self._finished
        if self._ready is None:
            self._state = self._iterator.get_state()
            self._ready = queue.Queue(maxsize=max(1, self._ahead))
            thread = threading.Thread(
                target=_fill,
                args=(self._iterator, self._torch, self._ready, self._stop),
                daemon=True,
            )
            weakref.finalize(self, self._stop.set)
            thread.start()
        kind, value, state = self._ready.get()
        if kind == "end":
            self._finished = StopIteration()
            raise self._finished
        if kind == "error":
            self._finished = value
            raise value
        return value, state

    def _copy(self, element: Any, state: Any) -> tuple[Any, Any, Any]:
        """Starts ``element``'s copy to the device on the side stream."""
        torch = self._torch
        with torch.cuda.stream(self._side):
            moved = _nest.map_structure(
                lambda t: (
                    t.to(self._device, non_blocking=True) if isinstance(t, torch.Tensor) else t
                ),
                element,
            )
            copied = torch.cuda.Event()
            copied.record(self._side)
        return moved, copied, state

    def __next__(self) -> Any:
        if not self._pin:
            return _convert(next(self._iterator), self._torch, False)
        if self._device is None:
            value, self._state = self._next_pinned()
            return value
        if self._pending is None:
            self._pending = self._copy(*self._next_pinned())
        moved, copied, state = self._pending
        self._pending = None
        try:
            # The next batch's copy runs on the side stream while the loop uses this one.
            self._pending = self._copy(*self._next_pinned())
        except BaseException:  # kept in _finished, raised at the next call
            pass
        current = self._torch.cuda.current_stream(self._device)
        current.wait_event(copied)
        for t in _nest.flatten(moved):
            if isinstance(t, self._torch.Tensor):
                t.record_stream(current)
        self._state = state
        return moved

    def state_dict(self) -> dict[str, Any]:
        """Where this pass stands: after the last element returned to the loop."""
        if self._ready is not None:
            # The background thread has run ahead; the state is that of the last element
            # the loop was given.
            return {"ferroflow": self._state}
        return {"ferroflow": self._iterator.get_state()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Goes on from ``state`` (``state_dict`` of an iterator of the same dataset)."""
        if self._ready is not None:
            raise RuntimeError("load_state_dict must come before the first element")
        self._iterator.set_state(state["ferroflow"])

    def close(self) -> None:
        """Stops the background thread, if one runs."""
        self._stop.set()


def iterable_dataset(dataset: Any, pin_memory: bool, device: Any, ahead: int) -> Any:
    """The ``torch.utils.data.IterableDataset`` over ``dataset``."""
    torch = _torch()
    if "iterable" not in _classes:

        class FerroflowIterableDataset(torch.utils.data.IterableDataset):  # type: ignore[misc]
            """A ferroflow dataset as PyTorch's iterable dataset (``Dataset.as_torch``)."""

            def __init__(self, dataset: Any, pin_memory: bool, device: Any, ahead: int) -> None:
                self.dataset = dataset
                self._options = (pin_memory, device, ahead)

            def __iter__(self) -> TorchIterator:
                worker = torch.utils.data.get_worker_info()
                dataset = self.dataset
                if worker is not None and worker.num_workers > 1:
                    dataset = dataset.shard(worker.num_workers, worker.id)
                return TorchIterator(dataset, *self._options)

            def __len__(self) -> int:
                count = int(self.dataset.cardinality())
                if count < 0:
                    raise TypeError("the dataset's length is not known")
                return count

        _classes["iterable"] = FerroflowIterableDataset
    return _classes["iterable"](dataset, pin_memory, device, ahead)
