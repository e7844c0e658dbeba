"""Checks the wheel to ship: its tags, its size, the glibc symbol versions its extension
needs, auditwheel's verdict, and that it installs into a new virtual environment (with no
access to the source tree) and runs a pipeline there.

Usage: python .ci/check_wheel.py target/wheels/ferroflow-*.whl
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

EXPECTED_PLATFORMS = {"manylinux_2_17_x86_64", "manylinux2014_x86_64"}
MAX_GLIBC = (2, 17)
MAX_BYTES = 8 * 1024 * 1024
# Pinned, so that a new release of the checker cannot turn CI red on an unchanged wheel.
AUDITWHEEL = "auditwheel==6.8.2"
PIPELINE_RUNS = 25

# Runs inside the new environment: writes TFRecord shards, reads them back in parallel
# through a traced map and a batch, and checks every value.
PIPELINE = """
import os, sys, tempfile
import numpy as np
import ferroflow as ff
assert "site-packages" in ff.__file__, ff.__file__
tmp = tempfile.mkdtemp()
paths = [os.path.join(tmp, f"shard{i}.tfrecord") for i in range(3)]
for i, path in enumerate(paths):
    with ff.io.TFRecordWriter(path) as w:
        for j in range(100):
            w.write(ff.train.Example(features=ff.train.Features(feature={
                "x": ff.train.Feature(int64_list=ff.train.Int64List(value=[i * 100 + j]))
            })).SerializeToString())
spec = {"x": ff.io.FixedLenFeature([], ff.int64)}
ds = (ff.data.TFRecordDataset(paths, num_parallel_reads=3)
      .map(lambda s: ff.io.parse_single_example(s, spec)["x"] * 2,
           num_parallel_calls=ff.data.AUTOTUNE)
      .batch(64))
got = np.concatenate(list(ds))
assert sorted(got.tolist()) == [2 * v for v in range(300)], got
print("pipeline ok:", len(got), "values from", len(paths), "shards", flush=True)
"""


def glibc_versions(shared_object: Path) -> list[tuple[int, ...]]:
    """The GLIBC_x.y symbol versions the shared object asks the dynamic linker for."""
    out = subprocess.run(
        ["objdump", "-T", str(shared_object)], check=True, capture_output=True, text=True
    ).stdout
    found = {tuple(int(p) for p in v.split(".")) for v in re.findall(r"GLIBC_([0-9.]+)", out)}
    return sorted(found)


def main(wheel: Path) -> None:
    size = wheel.stat().st_size
    print(f"{wheel.name}: {size / 1e6:.2f} MB")
    # name-version-python-abi-platforms.whl, the platforms joined by dots
    _, _, python_tag, abi_tag, platforms = wheel.name.removesuffix(".whl").split("-")
    assert (python_tag, abi_tag) == ("cp310", "abi3"), (python_tag, abi_tag)
    assert set(platforms.split(".")) == EXPECTED_PLATFORMS, platforms
    assert size < MAX_BYTES, f"wheel is {size} bytes, over {MAX_BYTES}"

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        with zipfile.ZipFile(wheel) as zf:
            names = [n for n in zf.namelist() if n.endswith(".so")]
            assert names == ["ferroflow/_lib.abi3.so"], names
            zf.extract(names[0], work)
        versions = glibc_versions(work / names[0])
        newest = max(versions)
        print("glibc symbol versions needed:", ", ".join(".".join(map(str, v)) for v in versions))
        assert newest <= MAX_GLIBC, f"needs GLIBC_{'.'.join(map(str, newest))}, newer than 2.17"

        subprocess.run([sys.executable, "-m", "pip", "install", "-q", AUDITWHEEL], check=True)
        report = subprocess.run(
            [sys.executable, "-m", "auditwheel", "show", "--json", str(wheel)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        policy = json.loads(report)["overall_tag"]
        print("auditwheel: consistent with", policy)
        assert policy in ("manylinux_2_17_x86_64", "manylinux_2_5_x86_64"), policy

        venv = work / "venv"
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        python = venv / "bin" / "python"
        subprocess.run([python, "-m", "pip", "install", "-q", str(wheel.resolve())], check=True)
        # From a folder outside the checkout, so only the installed package can be imported.
        # Run several times: the interpreter exits while the pass's workers are still
        # winding down, and a race there shows as a signal on only some runs.
        for _ in range(PIPELINE_RUNS):
            subprocess.run([python, "-c", PIPELINE], check=True, cwd=work)
    print("wheel ok")


if __name__ == "__main__":
    wheels = [Path(p) for p in sys.argv[1:]]
    if len(wheels) != 1:
        sys.exit(f"expected one wheel, got {len(wheels)}: {wheels}")
    main(wheels[0])
