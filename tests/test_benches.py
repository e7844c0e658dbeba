"""The benchmark harness runs a workload in fresh processes and reports it: a broken harness
would make every published figure wrong or missing, so its mechanics are checked here (its
timings are not: performance is measured in benches/, never asserted)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

BENCHES = Path(__file__).resolve().parent.parent / "benches"


def _run(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(BENCHES / "bench_core.py"), *args],
        cwd=BENCHES,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_workload_reports_medians_and_ranges_per_system():
    out = _run("range", "--rounds", "2", "--epochs", "2", "--systems", "ferroflow")
    assert "2 rounds, a fresh process per run, systems alternating; 2 epochs per run" in out
    row = next(line for line in out.splitlines() if line.strip().startswith("ferroflow "))
    # setup, first batch, first epoch rate, steady rate, CPU and switches per item: each a
    # median with its range.
    cells = re.findall(r"([\d.,]+) \(([\d.,]+)-([\d.,]+)\)", row)
    assert len(cells) == 6, row
    for median, low, high in cells:
        m, lo, hi = (float(x.replace(",", "")) for x in (median, low, high))
        assert lo <= m <= hi, row


def test_a_busy_loop_is_said_and_unknown_workloads_are_refused():
    out = _run(
        "range", "--rounds", "1", "--epochs", "1", "--burn-ms", "1", "--systems", "ferroflow"
    )
    assert "the loop burns 1 ms of CPU per batch" in out
    done = subprocess.run(
        [sys.executable, str(BENCHES / "bench_core.py"), "nonesuch"],
        cwd=BENCHES,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2 and "no such workload: nonesuch" in done.stderr


def test_a_workload_none_of_whose_systems_is_chosen_is_skipped():
    out = _run("range", "python_cpu", "--rounds", "1", "--epochs", "1", "--systems", "ferroflow")
    assert "python_cpu: no system to run" in out
    assert any(line.strip().startswith("ferroflow ") for line in out.splitlines())
