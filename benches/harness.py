"""Shared benchmark plumbing: time the same workload through ferroflow and each anchor that
is installed, in one process, and print rates with ratios against ferroflow."""

from __future__ import annotations

import importlib
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def optional(module: str):
    """The module if it can be imported, else None (its anchor is then skipped)."""
    try:
        return importlib.import_module(module)
    except Exception:
        return None


@dataclass
class Result:
    system: str
    seconds: float
    items: int

    @property
    def rate(self) -> float:
        return self.items / self.seconds


def measure(system: str, run: Callable[[], int], repeats: int = 3) -> Result:
    """Runs ``run`` (which returns the number of items it produced) once to warm up, then
    ``repeats`` times; keeps the fastest."""
    run()
    best, items = float("inf"), 0
    for _ in range(repeats):
        start = time.perf_counter()
        items = run()
        best = min(best, time.perf_counter() - start)
    return Result(system, best, items)


def report(title: str, results: list[Result], unit: str = "elements") -> None:
    """Prints one workload's rates; ratios are the first ferroflow result's rate over each
    anchor's."""
    print(f"\n{title}")
    base = next((r for r in results if r.system.startswith("ferroflow")), None)
    for r in results:
        ratio = ""
        if base is not None and r is not base and not r.system.startswith("ferroflow"):
            ratio = f"   ferroflow is {base.rate / r.rate:6.2f}x"
        print(f"  {r.system:<22} {r.rate:14,.0f} {unit}/s  ({r.seconds:.3f} s){ratio}")


def spread(values: list[float], fmt: str, scale: float = 1.0) -> str:
    """The median of ``values`` with their range, as ``median (low-high)``, each divided by
    ``scale`` and formatted with ``fmt``."""
    lo, mid, hi = min(values) / scale, statistics.median(values) / scale, max(values) / scale
    return f"{mid:{fmt}} ({lo:{fmt}}-{hi:{fmt}})"


def run_fresh(script: str, *args: str) -> Any:
    """Runs ``python script --child args...`` in a fresh process and returns the JSON value
    the child printed last."""
    out = subprocess.run(
        [sys.executable, script, "--child", *args],
        check=True,
        capture_output=True,
        text=True,
        cwd=Path(script).parent,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])
