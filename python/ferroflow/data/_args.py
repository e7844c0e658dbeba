"""Turning the arguments users pass (Python or numpy integers, AUTOTUNE) into what the
engine takes. Whether a value is in range is the engine's to check, once, with one message."""

from __future__ import annotations

import os
from collections.abc import Callable
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


def function_arg(name: str, value: Any) -> Callable[..., Any]:
    """``value``, a function the dataset will call, refused now if it cannot be called
    rather than when the first element reaches it."""
    if not callable(value):
        raise TypeError(f"{name} must be a function, got {type(value).__name__}: {value!r}")
    return value


def path_list(filenames: Any) -> list[str | bytes | os.PathLike[str] | os.PathLike[bytes]]:
    """``filenames``, a path or a sequence of paths, as a list of paths; anything else is
    refused naming the argument."""
    if isinstance(filenames, (str, bytes, os.PathLike)):
        return [filenames]
    wrong = TypeError(
        "`filenames` must be a path, a list of paths or a Dataset of scalar strings, "
        f"got {type(filenames).__name__}: {filenames!r}"
    )
    if not hasattr(filenames, "__iter__"):
        raise wrong
    paths = list(filenames)
    if not all(isinstance(f, (str, bytes, os.PathLike)) for f in paths):
        raise wrong
    return paths


def buffer_arg(buffer_size: Any) -> int | None:
    """A file reader's ``buffer_size``: None (the default) for None or AUTOTUNE, else the
    byte count."""
    if buffer_size is None or buffer_size == AUTOTUNE:
        return None
    return count_arg("buffer_size", buffer_size)
