"""The tf.data guide's text pipelines on a generated CSV file: TextLineDataset, skip the
header, decode_csv per line (parallel map) and per batch of 1,024 lines (vectorized), and
regex_replace per batch, through ferroflow and tf.data.

    python benches/bench_text.py
"""

from __future__ import annotations

import os
import tempfile

import numpy as np

import ferroflow as ff
from harness import measure, optional, report

tf = optional("tensorflow")

ROWS = 200_000
DEFAULTS = [[0], [0.0], [""], [0.0], [""]]


def write_csv(directory: str) -> str:
    rng = np.random.default_rng(0)
    path = os.path.join(directory, "rows.csv")
    words = ["alpha", "beta", '"gamma, delta"', "epsilon", "zeta"]
    with open(path, "w") as f:
        f.write("id,score,name,weight,tag\n")
        for i in range(ROWS):
            f.write(
                f"{i},{rng.random():.6f},{words[i % 5]},{rng.normal():.4f},"
                f"{'' if i % 7 == 0 else 'tag' + str(i % 13)}\n"
            )
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


def count(batches) -> int:
    n = 0
    for columns in batches:
        n += len(columns[0]) if isinstance(columns, (tuple, list)) else len(columns)
    return n


def main() -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = write_csv(directory)
        for title, make in [
            ("decode_csv per line (parallel map), batch(1024)", per_line),
            ("batch(1024), decode_csv per batch (vectorized)", per_batch),
            ("batch(1024), regex_replace per batch", regex),
        ]:
            results = [measure("ferroflow", lambda make=make: count(make(ff, path)))]
            if tf is not None:
                results.append(
                    measure("tf.data", lambda make=make: count(make(tf, path).as_numpy_iterator()))
                )
            report(f"{ROWS:,} CSV lines of 5 columns: {title}", results, "lines")


if __name__ == "__main__":
    main()
