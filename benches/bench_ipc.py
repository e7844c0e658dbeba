"""Arrow IPC files of many small record batches (10 rows each, an int64 and a float32
column), read and batched by 1,000 rows: ferroflow's ArrowIPCDataset against pyarrow's own
reader (``pyarrow.ipc.open_file(...).read_all()``, rows in one table, no batching), when
pyarrow is installed to write the files.

    python benches/bench_ipc.py
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

import ferroflow as ff
from harness import measure, optional, report

pa = optional("pyarrow")
ipc = optional("pyarrow.ipc")

ROWS_PER_BATCH = 10


def write_file(directory: Path, batches: int) -> str:
    path = directory / f"many_{batches}.arrow"
    schema = pa.schema([("x", pa.int64()), ("y", pa.float32())])
    with ipc.new_file(str(path), schema) as writer:
        for i in range(batches):
            start = i * ROWS_PER_BATCH
            ids = pa.array(np.arange(start, start + ROWS_PER_BATCH))
            values = pa.array(np.full(ROWS_PER_BATCH, i, np.float32))
            writer.write_batch(pa.record_batch([ids, values], schema=schema))
    return str(path)


def ferroflow_rows(path: str) -> int:
    return sum(len(b["x"]) for b in ff.data.ArrowIPCDataset(path).batch(1000))


def main() -> None:
    if pa is None or ipc is None:
        print("pyarrow is needed to write the files; install ferroflow[arrow]")
        return
    with tempfile.TemporaryDirectory() as tmp:
        for batches in (1_000, 8_000, 32_000):
            path = write_file(Path(tmp), batches)
            results = [
                measure("ferroflow", lambda path=path: ferroflow_rows(path)),
                measure("pyarrow.ipc", lambda path=path: ipc.open_file(path).read_all().num_rows),
            ]
            assert all(r.items == batches * ROWS_PER_BATCH for r in results)
            report(f"Arrow IPC file of {batches:,} record batches of 10 rows", results, "rows")


if __name__ == "__main__":
    main()
