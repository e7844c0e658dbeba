"""Core Dataset throughput: a native pipeline and a Python map, against tf.data.

python benches/bench_core.py
"""

from __future__ import annotations

import numpy as np

import ferroflow as ff
from harness import measure, optional, report

tf = optional("tensorflow")

N_RANGE = 10**6
N_MAP = 10**5


def range_batch() -> None:
    def ferroflow_run() -> int:
        n = 0
        for batch in ff.data.Dataset.range(N_RANGE).batch(1024):
            n += len(batch)
        return n

    results = [measure("ferroflow", ferroflow_run)]
    if tf is not None:

        def tf_run() -> int:
            n = 0
            for batch in tf.data.Dataset.range(N_RANGE).batch(1024).as_numpy_iterator():
                n += len(batch)
            return n

        results.append(measure("tf.data", tf_run))
    report(f"Dataset.range({N_RANGE:,}).batch(1024), iterated to the end", results)


def python_map() -> None:
    def python_fn(x):
        return x * 2 + 1

    def ferroflow_run() -> int:
        n = 0
        for batch in ff.data.Dataset.range(N_MAP).map(python_fn).batch(256):
            n += len(batch)
        return n

    # python_fn only does arithmetic, so ferroflow would trace it into a native graph (as
    # tf.data traces such functions); the Python path is what this workload measures.
    ff.data.experimental.set_map_tracing("python")
    results = [measure("ferroflow (Python)", ferroflow_run)]
    ff.data.experimental.set_map_tracing("auto")
    results.append(measure("ferroflow (traced)", ferroflow_run))
    if tf is not None:

        def tf_fn(x):
            return x.numpy() * 2 + 1

        def tf_run() -> int:
            ds = (
                tf.data.Dataset.range(N_MAP)
                .map(lambda x: tf.py_function(tf_fn, [x], tf.int64))
                .batch(256)
            )
            n = 0
            for batch in ds.as_numpy_iterator():
                n += len(batch)
            return n

        results.append(measure("tf.data (py_function)", tf_run, repeats=1))
    report(f"Dataset.range({N_MAP:,}).map(python_fn).batch(256)", results)


def main() -> None:
    print(
        f"ferroflow {ff.__version__}; tf.data: {tf.__version__ if tf else 'not installed'}; "
        f"numpy {np.__version__}"
    )
    range_batch()
    python_map()


if __name__ == "__main__":
    main()
