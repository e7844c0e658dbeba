"""Memory faulted in at import for the first pipeline (``FERROFLOW_PREFAULT_MB``): each case
runs in a fresh interpreter, since the reserve is made once per process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="reads /proc and getrusage's page faults"
)

FIRST_PASS = """
import json, os, resource, time
rss_kib = lambda: int(open("/proc/self/statm").read().split()[1]) * 4

def filling():
    for task in os.listdir("/proc/self/task"):
        try:
            if open(f"/proc/self/task/{task}/comm").read().strip() == "ferroflow-warm":
                return True
        except FileNotFoundError:
            pass  # a thread that ended meanwhile
    return False

import ferroflow as ff
import numpy as np
# The reserve is made at low priority beside the import, and on a busy machine it may
# still be in the making when the import returns; a first pass would stop it there.
deadline = time.monotonic() + 60
while filling() and time.monotonic() < deadline:
    time.sleep(0.01)
after_import = rss_kib()
# 16 elements of 4 MiB, batched by 4: 128 MiB allocated through the first pass.
ds = ff.data.Dataset.range(16).map(lambda i: ff.fill([1 << 19], i)).batch(4)
faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
total = sum(int(np.asarray(b).sum()) for b in ds)
faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults
print(json.dumps({"rss_kib": after_import, "faults": faults, "total": total}))
"""


def _run(code: str, prefault_mb: str | None) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "FERROFLOW_PREFAULT_MB"}
    if prefault_mb is not None:
        env["FERROFLOW_PREFAULT_MB"] = prefault_mb
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_the_first_pass_allocates_from_pages_faulted_in_at_import():
    off = _run(FIRST_PASS, "0")
    on = _run(FIRST_PASS, None)
    expected = sum(range(16)) * (1 << 19)
    assert off["total"] == on["total"] == expected
    # The default reserve is 64 MiB, resident once made.
    assert on["rss_kib"] - off["rss_kib"] > 56 * 1024
    # The pass reuses those pages instead of faulting in its own: without the reserve the
    # first 64 MiB it allocates are 16,384 faults; with it, most of those are gone. Where
    # the allocator places the pass's buffers, and on a loaded machine how much of the
    # reserve outlives the allocator's purge delay, decide how many: 16% of the faults were
    # left on an idle machine, 52% with a build running beside it.
    assert on["faults"] < 0.6 * off["faults"], (on, off)


def test_the_reserve_size_is_the_variables_and_zero_turns_it_off():
    off = _run(FIRST_PASS, "0")
    small = _run(FIRST_PASS, "16")
    assert 12 * 1024 < small["rss_kib"] - off["rss_kib"] < 28 * 1024
    unparsable = _run(FIRST_PASS, "a lot")
    # What cannot be read as a number of MiB leaves the default.
    assert unparsable["rss_kib"] - off["rss_kib"] > 56 * 1024


def test_a_child_forked_right_after_import_runs_pipelines():
    # The reserve may still be being faulted in: the fork waits for the filler to stop, and
    # parent and child each hand their copy of the reserve to their own first pass.
    code = """
    import json, os
    import ferroflow as ff
    import numpy as np
    pid = os.fork()
    if pid == 0:
        total = sum(int(np.asarray(b).sum()) for b in ff.data.Dataset.range(100).batch(10))
        os._exit(0 if total == 4950 else 3)
    _, status = os.waitpid(pid, 0)
    mine = sum(int(np.asarray(b).sum()) for b in ff.data.Dataset.range(10).batch(5))
    print(json.dumps({"child": os.waitstatus_to_exitcode(status), "parent": mine}))
    """
    got = _run(code, None)
    assert got == {"child": 0, "parent": 45}


def test_a_fork_while_the_reserve_is_being_made_stops_the_filler_first():
    # A reserve of 1 GiB takes the filler about half a second: the fork comes while it runs.
    code = """
    import json, os
    import ferroflow as ff
    import numpy as np
    def fillers():
        names = [open(f"/proc/self/task/{t}/comm").read().strip()
                 for t in os.listdir("/proc/self/task")]
        return names.count("ferroflow-warm")
    pid = os.fork()
    if pid == 0:
        total = sum(int(np.asarray(b).sum()) for b in ff.data.Dataset.range(100).batch(10))
        os._exit(0 if total == 4950 and fillers() == 0 else 3)
    after_fork = fillers()
    _, status = os.waitpid(pid, 0)
    mine = sum(int(np.asarray(b).sum()) for b in ff.data.Dataset.range(10).batch(5))
    print(json.dumps({"child": os.waitstatus_to_exitcode(status), "parent": mine,
                      "fillers": after_fork}))
    """
    got = _run(code, "1024")
    assert got == {"child": 0, "parent": 45, "fillers": 0}
