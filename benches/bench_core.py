"""Core Dataset throughput: a native pipeline, and a plain Python function in ``map``.

- range: ``Dataset.range(1,000,000).batch(1024)``, through ferroflow and tf.data (as
  tensors, and through ``as_numpy_iterator()``).
- python map: ``x + 1`` as a Python function on 20,000 int64 scalars, ``batch(256)``:
  ferroflow running it as Python in parallel (AUTOTUNE) and sequentially, ferroflow
  tracing it into a native graph (what it does by default with such a function), tf.data
  through ``py_function``, and Grain (its thread pool, and in the calling thread).

- python cpu: a pure-Python function that holds the GIL for about a millisecond per
  element (a loop of integer arithmetic) on 400 elements: ferroflow with 1 and 2 threads,
  and with 1 and 2 worker processes (``map(..., processes=N)``); Grain with 2 worker
  processes when installed; the standard library's ``multiprocessing.Pool`` with 2
  processes, 16 elements a task, whose parent pays per batch rather than per element:
  about the rate the cores allow.

Each system runs in fresh processes, alternating (see ``harness.py``).

    python benches/bench_core.py [range] [python_map] [python_cpu] [--rounds 5]
"""

from __future__ import annotations

from harness import System, Workload, batch_rows, main, mapped

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


N_CPU = 400


def gil_bound(x):
    """About a millisecond of Python holding the GIL, then ``x``."""
    total = 0
    for i in range(15_000 + int(x) % 3):
        total += i * i % 7
    return x + (total > 0)


def ferroflow_cpu(threads: int = 0, processes: int = 0):
    def setup():
        import ferroflow as ff

        ff.data.experimental.set_map_tracing("python")
        ds = ff.data.Dataset.range(N_CPU)
        dataset = mapped(ds, gil_bound, processes, threads).batch(16)
        return lambda: dataset

    return setup


def grain_cpu(processes: int):
    def setup():
        import grain
        import numpy as np

        mapped = grain.MapDataset.range(N_CPU).map(lambda i: gil_bound(np.int64(i))).batch(16)
        dataset = mapped.to_iter_dataset().mp_prefetch(
            grain.multiprocessing.MultiprocessingOptions(num_workers=processes)
        )
        return lambda: dataset

    return setup


def stdlib_pool_cpu(processes: int):
    """The standard library's process pool on the same function, 16 elements a task and a
    batch: the parent pays per batch, not per element, so this is about the rate the
    machine's cores allow."""

    def setup():
        import multiprocessing

        import numpy as np

        pool = multiprocessing.get_context("fork").Pool(processes)

        def epoch():
            for batch in pool.imap(_gil_bound_batch, range(0, N_CPU, 16)):
                yield np.asarray(batch)

        return epoch

    return setup


def _gil_bound_batch(start: int) -> list:
    return [gil_bound(x) for x in range(start, min(start + 16, N_CPU))]


FF = ("ferroflow",)


WORKLOADS = {
    "range": Workload(
        f"Dataset.range({N_RANGE:,}).batch(1024), iterated to the end",
        "elements",
        [
            System("ferroflow", ferroflow_range, batch_rows, ("ferroflow",)),
            System("tf.data (tensors)", tf_range(False), batch_rows, ("tensorflow",)),
            System("tf.data (numpy)", tf_range(True), batch_rows, ("tensorflow",)),
        ],
    ),
    "python_map": Workload(
        f"a Python x + 1 on {N_MAP:,} int64 scalars, batch(256)",
        "elements",
        [
            System("ferroflow (Python, AUTOTUNE)", ferroflow_map("parallel"), batch_rows, FF),
            System("ferroflow (Python, sequential)", ferroflow_map("sequential"), batch_rows, FF),
            System("ferroflow (traced)", ferroflow_map("traced"), batch_rows, FF),
            System("tf.data (py_function)", tf_map, batch_rows, ("tensorflow",)),
            System("Grain (16 threads)", grain_map(16), batch_rows, ("grain",)),
            System("Grain (no threads)", grain_map(0), batch_rows, ("grain",)),
        ],
    ),
    "python_cpu": Workload(
        f"a GIL-bound Python function (~1 ms) on {N_CPU} elements, batch(16)",
        "elements",
        [
            System("ferroflow (1 thread)", ferroflow_cpu(threads=1), batch_rows, FF),
            System("ferroflow (2 threads)", ferroflow_cpu(threads=2), batch_rows, FF),
            System("ferroflow (1 process)", ferroflow_cpu(processes=1), batch_rows, FF),
            System("ferroflow (2 processes)", ferroflow_cpu(processes=2), batch_rows, FF),
            System("Grain (2 processes)", grain_cpu(2), batch_rows, ("grain",)),
            System("multiprocessing.Pool (2 processes)", stdlib_pool_cpu(2), batch_rows),
        ],
    ),
}


if __name__ == "__main__":
    main(WORKLOADS)
