"""``Dataset.as_jax()``: batches as ``jax.Array``s, put on the devices ahead of use.

Each batch is handed to ``jax.device_put`` (to the default device, or laid out by a
``jax.sharding.Sharding``) ``prefetch`` batches before the training loop takes it; the
copies run while the loop computes. With a sharding over the devices of several processes,
each process passes its own (local) batch and gets the global array
(``jax.make_array_from_process_local_data``): the global batch is the processes' batches
concatenated in process order. Strings stay numpy. jax is imported only when this is
used."""

from __future__ import annotations

import collections
from collections.abc import Iterator as _PyIterator
from typing import Any

import numpy as np

from .. import _nest


def _jax() -> Any:
    try:
        import jax
    except ImportError as e:  # pragma: no cover - jax is in the test extra
        raise ImportError("Dataset.as_jax needs JAX: pip install jax") from e
    return jax


class JaxIterator(_PyIterator):
    """One pass of ``as_jax()``; ``state_dict`` / ``load_state_dict`` give and take the
    state after the last batch returned (not the ones already on their way)."""

    def __init__(self, dataset: Any, sharding: Any, prefetch: int) -> None:
        self._jax = _jax()
        self._iterator = iter(dataset)
        self._sharding = sharding
        self._prefetch = max(0, int(prefetch))
        self._ahead: collections.deque[tuple[Any, Any]] = collections.deque()
        self._state: Any = None
        self._started = False
        self._failed: Exception | None = None

    def _put_value(self, value: Any) -> Any:
        if not isinstance(value, (np.ndarray, np.generic)):
            return value
        array = np.asarray(value)
        if array.dtype == object:
            return value
        if self._sharding is None:
            return self._jax.device_put(array)
        if self._sharding.is_fully_addressable:
            return self._jax.device_put(array, self._sharding)
        return self._jax.make_array_from_process_local_data(self._sharding, array)

    def _fetch(self) -> bool:
        """Starts the next batch on its way to the devices; False at the end or at an error,
        which is kept to be raised when the batches before it have been returned."""
        if self._failed is not None:
            return False
        try:
            element = next(self._iterator)
            placed = _nest.map_structure(self._put_value, element)
        except StopIteration:
            return False
        except Exception as e:
            self._failed = e
            return False
        self._ahead.append((placed, self._iterator.get_state()))
        return True

    def __next__(self) -> Any:
        if not self._started:
            self._started = True
            self._state = self._iterator.get_state()
            for _ in range(self._prefetch):
                if not self._fetch():
                    break
        if not self._ahead and not self._fetch():
            if self._failed is not None:
                failed, self._failed = self._failed, None
                raise failed
            raise StopIteration
        placed, self._state = self._ahead.popleft()
        if self._prefetch:
            self._fetch()
        return placed

    def state_dict(self) -> dict[str, Any]:
        """Where this pass stands: after the last batch returned."""
        return {"ferroflow": self._state if self._started else self._iterator.get_state()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Goes on from ``state`` (``state_dict`` of a pass over the same dataset)."""
        if self._started:
            raise RuntimeError("load_state_dict must come before the first batch")
        self._iterator.set_state(state["ferroflow"])


class JaxIterable:
    """What ``Dataset.as_jax`` returns: each ``iter()`` a new pass."""

    def __init__(self, dataset: Any, sharding: Any, prefetch: int) -> None:
        self.dataset = dataset
        self.sharding = sharding
        self.prefetch = prefetch

    def __iter__(self) -> JaxIterator:
        return JaxIterator(self.dataset, self.sharding, self.prefetch)

    def __len__(self) -> int:
        count = int(self.dataset.cardinality())
        if count < 0:
            raise TypeError("the dataset's length is not known")
        return count
