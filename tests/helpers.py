"""Helpers shared by the tests: plain-value comparison and the fixtures' location."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ferroflow import StringTensor

FIXTURES = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures"


def as_lists(values: Any) -> Any:
    """Turns numpy values in a (nested) element into plain Python values for comparison."""
    if isinstance(values, dict):
        return {k: as_lists(v) for k, v in values.items()}
    if hasattr(values, "_fields"):
        return type(values)(*(as_lists(v) for v in values))
    if isinstance(values, (tuple, list)):
        return type(values)(as_lists(v) for v in values)
    if isinstance(values, (np.ndarray, np.generic, StringTensor)):
        return values.tolist()
    return values


def collect(ds: Any) -> list[Any]:
    """Every element of ``ds`` as plain Python values."""
    return [as_lists(e) for e in ds]


def thread_count() -> int:
    """Threads of this process, Rust ones included (Linux /proc)."""
    return len(os.listdir("/proc/self/task"))


def quiet_baseline() -> int:
    """The thread count once threads left by earlier tests have exited."""
    last, stable_since = thread_count(), time.monotonic()
    deadline = time.monotonic() + 5.0
    while time.monotonic() - stable_since < 0.2 and time.monotonic() < deadline:
        time.sleep(0.01)
        now = thread_count()
        if now != last:
            last, stable_since = now, time.monotonic()
    return last


def settle(baseline: int, timeout: float = 5.0) -> int:
    """Waits up to ``timeout`` for the thread count to fall to ``baseline``; returns it."""
    deadline = time.monotonic() + timeout
    while thread_count() > baseline and time.monotonic() < deadline:
        time.sleep(0.01)
    return thread_count()


def run_limited(argv: list[str], address_space: int, timeout: float) -> subprocess.CompletedProcess:
    """Runs `python argv...` in a child process under an address-space limit (as clusters
    and containers impose), capturing its output as text."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))

    return subprocess.run(
        [sys.executable, *argv],
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=limit,
    )


def stopped_and_resumed(
    ds: Any, taken: int, value: Callable[[Any], Any]
) -> tuple[list, list, list]:
    """A pass over ``ds`` stopped after ``taken`` elements: those elements, the rest of that
    pass, and what a new pass resumed from the stopped one's state gives (each element read
    through ``value``)."""
    it = iter(ds)
    first = [value(next(it)) for _ in range(taken)]
    state = it.get_state()
    rest = [value(x) for x in it]
    resumed = iter(ds)
    resumed.set_state(state)
    return first, rest, [value(x) for x in resumed]
