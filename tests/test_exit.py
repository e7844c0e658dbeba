"""A program that ends while pipeline threads are running Python (a map function, a
generator) exits normally: with its own status, not a CPython abort."""

from __future__ import annotations

import pytest

from helpers import run_limited

PIPELINES = {
    "parallel map": "ff.data.Dataset.range(10).map(slow, num_parallel_calls=2)",
    "repeating prefetched map": "ff.data.Dataset.range(10).map(slow).repeat().prefetch(2)",
    "generator": (
        "ff.data.Dataset.from_generator(lambda: (slow(i) for i in range(10)),"
        " output_signature=ff.TensorSpec([], ff.int64)).prefetch(3)"
    ),
}

PROGRAM = """
import time
import ferroflow as ff

def slow(x):
    if x in (1, 2, 3):
        start = time.time()
        while time.time() - start < 1.5:  # Python running, holding the GIL in turns
            pass
    return x

it = iter({pipeline})
print(int(next(it)), flush=True)
time.sleep(0.3)
{ending}
"""


@pytest.mark.parametrize("ending", ["", "del it", "raise SystemExit(3)"])
@pytest.mark.parametrize("pipeline", sorted(PIPELINES))
def test_exit_while_python_runs_on_a_pipeline_thread(pipeline, ending):
    program = PROGRAM.format(pipeline=PIPELINES[pipeline], ending=ending)
    # Clusters run jobs under an address-space limit; the exit must hold there too.
    result = run_limited(["-c", program], address_space=4 << 30, timeout=120)
    expected = 3 if "SystemExit" in ending else 0
    assert result.returncode == expected, result.stderr
    assert result.stdout == "0\n"
    assert "Fatal Python error" not in result.stderr
    assert "panicked" not in result.stderr
