"""Parquet throughput: rows/s from generated Parquet shards to dicts of numpy batches of 256
(an int64 label, a 64-float vector, a variable-length int64 list, a binary blob).

- ferroflow: ``ParquetDataset(paths, num_parallel_reads=AUTOTUNE).ragged_batch(256)``: the
  list column arrives as a RaggedTensor (values and row splits, numpy).
- pyarrow: ``pyarrow.dataset.dataset(paths).to_batches(batch_size=256)``, each column brought
  to numpy the same way (the list column as its values and offsets).
- PyTorch: a DataLoader with 2 workers over an IterableDataset that reads the files with
  pyarrow and yields rows, collated into batches of 256 (the usual hand-written pipeline).

Each system runs in fresh processes, alternating (see ``harness.py``).

    python benches/bench_parquet.py [--rounds 5]
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

from harness import System, Workload, main

FILES = 8
ROWS_PER_FILE = 32_768
ROW_GROUP = 8_192
BATCH = 256


def write_shards() -> list[str]:
    """The shards, written once by pyarrow (snappy, its default) into the temp folder."""
    folder = Path(tempfile.gettempdir()) / "ferroflow-bench-parquet"
    folder.mkdir(exist_ok=True)
    paths = [str(folder / f"part-{i:02d}.parquet") for i in range(FILES)]
    if all(os.path.exists(p) for p in paths):
        return paths
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(0)
    for i, path in enumerate(paths):
        n = ROWS_PER_FILE
        lengths = rng.integers(0, 33, n)
        offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32)
        table = pa.table(
            {
                "label": pa.array(np.arange(i * n, (i + 1) * n, dtype=np.int64)),
                "embedding": pa.FixedSizeListArray.from_arrays(
                    pa.array(rng.standard_normal(n * 64, dtype=np.float32)), 64
                ),
                "tokens": pa.ListArray.from_arrays(
                    pa.array(offsets), pa.array(rng.integers(0, 50_000, offsets[-1]))
                ),
                "blob": pa.array([rng.bytes(int(k)) for k in rng.integers(64, 512, n)]),
            }
        )
        pq.write_table(table, path, row_group_size=ROW_GROUP)
    return paths


def ferroflow_epochs():
    import ferroflow as ff

    dataset = ff.data.ParquetDataset(
        write_shards(), num_parallel_reads=ff.data.AUTOTUNE
    ).ragged_batch(BATCH)

    def epoch():
        for batch in dataset:
            tokens = batch["tokens"]
            assert batch["embedding"].shape[1] == 64
            assert tokens.row_splits[-1] == len(tokens.flat_values)
            yield batch

    return epoch


def pyarrow_epochs():
    import pyarrow.dataset as pads

    paths = write_shards()

    def epoch():
        for rb in pads.dataset(paths, format="parquet").to_batches(batch_size=BATCH):
            n = rb.num_rows
            tokens = rb.column("tokens")
            yield {
                "label": rb.column("label").to_numpy(),
                "embedding": rb.column("embedding").flatten().to_numpy().reshape(n, 64),
                "tokens": (tokens.values.to_numpy(), tokens.offsets.to_numpy()),
                "blob": rb.column("blob").to_numpy(zero_copy_only=False),
            }

    return epoch


def torch_epochs():
    import pyarrow.parquet as pq
    import torch

    paths = write_shards()

    class Rows(torch.utils.data.IterableDataset):
        def __iter__(self):
            info = torch.utils.data.get_worker_info()
            mine = paths if info is None else paths[info.id :: info.num_workers]
            for path in mine:
                for rb in pq.ParquetFile(path).iter_batches(batch_size=1024):
                    columns = rb.to_pydict()
                    for i in range(rb.num_rows):
                        yield {
                            "label": columns["label"][i],
                            "embedding": np.asarray(columns["embedding"][i], np.float32),
                            "tokens": torch.tensor(columns["tokens"][i], dtype=torch.int64),
                            "blob": columns["blob"][i],
                        }

    def collate(items):
        return {
            "label": torch.tensor([it["label"] for it in items]),
            "embedding": torch.from_numpy(np.stack([it["embedding"] for it in items])),
            "tokens": torch.nn.utils.rnn.pad_sequence([it["tokens"] for it in items], True),
            "blob": [it["blob"] for it in items],
        }

    return lambda: torch.utils.data.DataLoader(
        Rows(), batch_size=BATCH, num_workers=2, collate_fn=collate
    )


def _rows(batch) -> int:
    return len(batch["label"])


WORKLOADS = {
    "parquet": Workload(
        f"{FILES} Parquet shards x {ROWS_PER_FILE} rows -> dicts of numpy batches of {BATCH}",
        "rows",
        [
            System("ferroflow", ferroflow_epochs, _rows, ("ferroflow", "pyarrow")),
            System("pyarrow.dataset", pyarrow_epochs, _rows, ("pyarrow",)),
            System("DataLoader (2 workers)", torch_epochs, _rows, ("torch", "pyarrow")),
        ],
        files=write_shards,
    ),
}


if __name__ == "__main__":
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        raise SystemExit(
            "pyarrow is needed to write the shards; install ferroflow[arrow]"
        ) from None
    write_shards()
    main(WORKLOADS)
