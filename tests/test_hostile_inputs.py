"""A standing hostile-input suite: seeded mutations of every format the readers and decoders
take (tests/hostile_cases.py), each format's cases in a child process under an
address-space limit. Reading a damaged input raises a ferroflow error or returns values;
it never kills the process, never hangs, and never hands out damage as data where the
format has checksums."""

from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import FIXTURES

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


def _limit_address_space() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (LIMIT, LIMIT))


@pytest.mark.skipif(
    not FIXTURES.exists(), reason="the shared fixtures are not beside this checkout"
)
@pytest.mark.parametrize("name", FORMATS)
def test_damaged_inputs_fail_cleanly(name):
    script = Path(__file__).with_name("hostile_cases.py")
    result = subprocess.run(
        [sys.executable, str(script), name, str(CASES), str(SEED)],
        capture_output=True,
        text=True,
        timeout=600,
        preexec_fn=_limit_address_space,
    )
    lines = result.stdout.splitlines()
    last = lines[-1] if lines else "no case ran"
    assert result.returncode == 0, f"after {last!r}: {result.stderr[-3000:]}"
    assert last == f"done {CASES}"
    outcomes = [line.split(": ", 1)[1] for line in lines[:-1]]
    # The mutations do damage: most cases of a format end in an error.
    assert sum("Error" in o for o in outcomes) > CASES // 10, outcomes[:20]
