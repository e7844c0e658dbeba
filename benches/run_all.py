"""Runs every benchmark script in benches/, each in a process of its own, one after another,
and says which failed. Arguments are names to run (``core``, ``images`` ...); none runs all.

python benches/run_all.py [core images ...]
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

BENCHES = Path(__file__).parent


def main(names: list[str]) -> int:
    scripts = sorted(BENCHES.glob("bench_*.py"))
    if names:
        wanted = {f"bench_{n.removeprefix('bench_').removesuffix('.py')}.py" for n in names}
        unknown = wanted - {s.name for s in scripts}
        if unknown:
            print(f"no such benchmark: {', '.join(sorted(unknown))}", file=sys.stderr)
            return 2
        scripts = [s for s in scripts if s.name in wanted]
    failed = []
    for script in scripts:
        print(f"\n=== {script.name}", flush=True)
        start = time.perf_counter()
        if subprocess.run([sys.executable, str(script)], cwd=BENCHES).returncode != 0:
            failed.append(script.name)
        print(f"=== {script.name}: {time.perf_counter() - start:.0f} s", flush=True)
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
