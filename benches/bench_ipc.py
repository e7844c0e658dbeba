"""Arrow IPC files of many small record batches (10 rows each, an int64 and a float32
column), read and batched by 1,000 rows: ferroflow's ArrowIPCDataset against pyarrow's own
reader (``pyarrow.ipc.open_file(...).read_all()``, rows in one table, no batching), when
pyarrow is installed to write the files.

Each system runs in fresh processes, alternating (see ``harness.py``).

    python benches/bench_ipc.py [--rounds 5]
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

from harness import System, Workload, main

ROWS_PER_BATCH = 10
SIZES = (1_000, 8_000, 32_000)


def write_file(batches: int) -> str:
    """The file of ``batches`` record batches, written once into the temp folder."""
    path = Path(tempfile.gettempdir()) / f"ferroflow-bench-many_{batches}.arrow"
    if path.exists():
        return str(path)
    import pyarrow as pa
    import pyarrow.ipc as ipc

    schema = pa.schema([("x", pa.int64()), ("y", pa.float32())])
    with ipc.new_file(str(path) + ".tmp", schema) as writer:
        for i in range(batches):
            start = i * ROWS_PER_BATCH
            ids = pa.array(np.arange(start, start + ROWS_PER_BATCH))
            values = pa.array(np.full(ROWS_PER_BATCH, i, np.float32))
            writer.write_batch(pa.record_batch([ids, values], schema=schema))
    os.replace(str(path) + ".tmp", path)
    return str(path)


def ferroflow_epochs(batches: int):
    def setup():
        import ferroflow as ff

        dataset = ff.data.ArrowIPCDataset(write_file(batches)).batch(1000)
        return lambda: dataset

    return setup


def pyarrow_epochs(batches: int):
    def setup():
        import pyarrow.ipc as ipc

        path = write_file(batches)
        return lambda: [ipc.open_file(path).read_all()]

    return setup


def _rows(batch) -> int:
    return len(batch["x"]) if isinstance(batch, dict) else batch.num_rows


WORKLOADS = {
    f"{n}": Workload(
        f"Arrow IPC file of {n:,} record batches of 10 rows",
        "rows",
        [
            System("ferroflow", ferroflow_epochs(n), _rows, ("ferroflow",)),
            System("pyarrow.ipc", pyarrow_epochs(n), _rows, ("pyarrow",)),
        ],
        files=lambda n=n: [write_file(n)],
    )
    for n in SIZES
}


if __name__ == "__main__":
    try:
        for n in SIZES:
            write_file(n)
    except ImportError:
        raise SystemExit("pyarrow is needed to write the files; install ferroflow[arrow]") from None
    main(WORKLOADS)
