"""A standing hostile-input suite: seeded mutations of every format the readers and decoders
take (tests/hostile_cases.py), each format's cases in a child process under an
address-space limit. Reading a damaged input raises a ferroflow error or returns values;
it never kills the process, never hangs, and never hands out damage as data where the
format has checksums."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import FIXTURES, run_limited

CASES = 300
SEED = 2026
LIMIT = 3 << 30
FORMATS = [
    "tfrecord",
    "tfrecord-gzip",
    "tfrecord-zlib",
    "example",
    "sequence-example",
    "parquet",
    "arrow-ipc",
    "csv",
    "jpeg",
    "png",
    "cache",
]


@pytest.mark.skipif(
    not FIXTURES.exists(), reason="the shared fixtures are not beside this checkout"
)
@pytest.mark.parametrize("name", FORMATS)
def test_damaged_inputs_fail_cleanly(name):
    script = Path(__file__).with_name("hostile_cases.py")
    result = run_limited([str(script), name, str(CASES), str(SEED)], LIMIT, timeout=600)
    lines = result.stdout.splitlines()
    last = lines[-1] if lines else "no case ran"
    assert result.returncode == 0, f"after {last!r}: {result.stderr[-3000:]}"
    assert last == f"done {CASES}"
    outcomes = [line.split(": ", 1)[1] for line in lines[:-1]]
    # The mutations do damage: most cases of a format end in an error.
    assert sum("Error" in o for o in outcomes) > CASES // 10, outcomes[:20]
