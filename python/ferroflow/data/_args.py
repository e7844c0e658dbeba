"""Turning the arguments users pass (Python or numpy integers, AUTOTUNE) into what the
engine takes. Whether a value is in range is the engine's to check, once, with one message."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from ..errors import InvalidArgumentError

AUTOTUNE = -1
"""Let the engine choose a parallelism or buffer size (``tf.data.AUTOTUNE``)."""


def count_arg(name: str, value: Any) -> int:
    """``value`` (a Python or numpy integer, or a 0-d integer array) as an int."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        arr = np.asarray(value)
        if arr.shape != () or arr.dtype.kind not in "iu":
            raise InvalidArgumentError(f"{name} must be an integer scalar, got {value!r}")
        value = arr.item()
    return int(value)


def cpu_count() -> int:
    """The CPUs this process may use."""
    return os.cpu_count() or 1


def parallel_reads(num_parallel_reads: Any, autotune: int) -> int | None:
    """A reader's ``num_parallel_reads``: None (one file after another), or a count, with
    AUTOTUNE meaning ``autotune``."""
    if num_parallel_reads is None:
        return None
    if num_parallel_reads == AUTOTUNE:
        return autotune
    return count_arg("num_parallel_reads", num_parallel_reads)


def parallelism(num_parallel_calls: Any) -> int | None:
    """``num_parallel_calls``: None (sequential), AUTOTUNE (-1) or a count."""
    if num_parallel_calls is None:
        return None
    return count_arg("num_parallel_calls", num_parallel_calls)
