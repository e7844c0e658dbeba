"""The tf.data guide's text pipelines on a generated CSV file: TextLineDataset, skip the
header, decode_csv per line (parallel map) and per batch of 1,024 lines (vectorized), and
regex_replace per batch, through ferroflow and tf.data (its tensors, and through
``as_numpy_iterator()``).

Each system runs in fresh processes, alternating (see ``harness.py``).

    python benches/bench_text.py [per_line per_batch regex] [--rounds 5]
"""

from __future__ import annotations

import os
import tempfile

import numpy as np

from harness import System, Workload, main

ROWS = 200_000
DEFAULTS = [[0], [0.0], [""], [0.0], [""]]


def write_csv() -> str:
    """The CSV file, written once into the temp folder."""
    path = os.path.join(tempfile.gettempdir(), f"ferroflow-bench-{ROWS}-rows.csv")
    if os.path.exists(path):
        return path
    rng = np.random.default_rng(0)
    words = ["alpha", "beta", '"gamma, delta"', "epsilon", "zeta"]
    with open(path + ".tmp", "w") as f:
        f.write("id,score,name,weight,tag\n")
        for i in range(ROWS):
            f.write(
                f"{i},{rng.random():.6f},{words[i % 5]},{rng.normal():.4f},"
                f"{'' if i % 7 == 0 else 'tag' + str(i % 13)}\n"
            )
    os.replace(path + ".tmp", path)
    return path


def per_line(module, path):
    return (
        module.data.TextLineDataset(path)
        .skip(1)
        .map(
            lambda line: module.io.decode_csv(line, DEFAULTS),
            num_parallel_calls=module.data.AUTOTUNE,
        )
        .batch(1024)
        .prefetch(module.data.AUTOTUNE)
    )


def per_batch(module, path):
    return (
        module.data.TextLineDataset(path)
        .skip(1)
        .batch(1024)
        .map(lambda lines: module.io.decode_csv(lines, DEFAULTS))
        .prefetch(module.data.AUTOTUNE)
    )


def regex(module, path):
    return (
        module.data.TextLineDataset(path)
        .batch(1024)
        .map(lambda lines: module.strings.regex_replace(lines, r"tag(\d+)", r"<\1>"))
        .prefetch(module.data.AUTOTUNE)
    )


def _lines(columns) -> int:
    first = columns[0] if isinstance(columns, (tuple, list)) else columns
    return int(first.shape[0])


def ferroflow_epochs(make):
    def setup():
        import ferroflow as ff

        dataset = make(ff, write_csv())
        return lambda: dataset

    return setup


def tf_epochs(make, numpy: bool):
    def setup():
        import tensorflow as tf

        dataset = make(tf, write_csv())
        return dataset.as_numpy_iterator if numpy else (lambda: dataset)

    return setup


def _workload(title: str, make) -> Workload:
    return Workload(
        f"{ROWS:,} CSV lines of 5 columns: {title}",
        "lines",
        [
            System("ferroflow", ferroflow_epochs(make), _lines, ("ferroflow",)),
            System("tf.data (tensors)", tf_epochs(make, False), _lines, ("tensorflow",)),
            System("tf.data (numpy)", tf_epochs(make, True), _lines, ("tensorflow",)),
        ],
        files=lambda: [write_csv()],
    )


WORKLOADS = {
    "per_line": _workload("decode_csv per line (parallel map), batch(1024)", per_line),
    "per_batch": _workload("batch(1024), decode_csv per batch (vectorized)", per_batch),
    "regex": _workload("batch(1024), regex_replace per batch", regex),
}


if __name__ == "__main__":
    write_csv()
    main(WORKLOADS)
