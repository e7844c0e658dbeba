"""Core Dataset throughput: a native pipeline, and a plain Python function in ``map``.

- range: ``Dataset.range(1,000,000).batch(1024)``, through ferroflow and tf.data (as
  tensors, and through ``as_numpy_iterator()``).
- python map: ``x + 1`` as a Python function on 20,000 int64 scalars, ``batch(256)``:
  ferroflow running it as Python in parallel (AUTOTUNE) and sequentially, ferroflow
  tracing it into a native graph (what it does by default with such a function), tf.data
  through ``py_function``, and Grain (its thread pool, and in the calling thread).

Each system runs in fresh processes, alternating (see ``harness.py``).

    python benches/bench_core.py [range] [python_map] [--rounds 5]
"""

from __future__ import annotations

from harness import System, Workload, main

N_RANGE = 10**6
N_MAP = 20_000


def ferroflow_range():
    import ferroflow as ff

    dataset = ff.data.Dataset.range(N_RANGE).batch(1024)
    return lambda: dataset


def tf_range(numpy: bool):
    def setup():
        import tensorflow as tf

        dataset = tf.data.Dataset.range(N_RANGE).batch(1024)
        return dataset.as_numpy_iterator if numpy else (lambda: dataset)

    return setup


def plus_one(x):
    return x + 1


def ferroflow_map(mode: str):
    """``mode``: "parallel" or "sequential" Python calls, or "traced"."""

    def setup():
        import ferroflow as ff

        if mode != "traced":
            ff.data.experimental.set_map_tracing("python")
        calls = None if mode == "sequential" else ff.data.AUTOTUNE
        dataset = ff.data.Dataset.range(N_MAP).map(plus_one, num_parallel_calls=calls).batch(256)
        return lambda: dataset

    return setup


def tf_map():
    import tensorflow as tf

    dataset = (
        tf.data.Dataset.range(N_MAP)
        .map(
            lambda x: tf.py_function(lambda v: v.numpy() + 1, [x], tf.int64),
            num_parallel_calls=tf.data.AUTOTUNE,
        )
        .batch(256)
    )
    return dataset.as_numpy_iterator


def grain_map(threads: int):
    def setup():
        import grain
        import numpy as np

        mapped = grain.MapDataset.range(N_MAP).map(lambda i: plus_one(np.int64(i))).batch(256)
        dataset = mapped.to_iter_dataset(grain.ReadOptions(num_threads=threads))
        return lambda: dataset

    return setup


FF = ("ferroflow",)


def _rows(batch) -> int:
    return int(batch.shape[0])


WORKLOADS = {
    "range": Workload(
        f"Dataset.range({N_RANGE:,}).batch(1024), iterated to the end",
        "elements",
        [
            System("ferroflow", ferroflow_range, _rows, ("ferroflow",)),
            System("tf.data (tensors)", tf_range(False), _rows, ("tensorflow",)),
            System("tf.data (numpy)", tf_range(True), _rows, ("tensorflow",)),
        ],
    ),
    "python_map": Workload(
        f"a Python x + 1 on {N_MAP:,} int64 scalars, batch(256)",
        "elements",
        [
            System("ferroflow (Python, AUTOTUNE)", ferroflow_map("parallel"), _rows, FF),
            System("ferroflow (Python, sequential)", ferroflow_map("sequential"), _rows, FF),
            System("ferroflow (traced)", ferroflow_map("traced"), _rows, FF),
            System("tf.data (py_function)", tf_map, _rows, ("tensorflow",)),
            System("Grain (16 threads)", grain_map(16), _rows, ("grain",)),
            System("Grain (no threads)", grain_map(0), _rows, ("grain",)),
        ],
    ),
}


if __name__ == "__main__":
    main(WORKLOADS)
