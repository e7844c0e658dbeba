"""Peak resident memory of three pipelines against the buffers they ask for, with their
throughput. Every run is a fresh process of its own (one system per process), the systems
alternate, and each figure is the median over the runs with its range; the first epoch is
reported apart from the second.

- ``large``: ``range(N).map(4 MiB float32 fill, num_parallel_calls=8).batch(8).prefetch(2)``.
  Its live buffers are the elements in flight and waiting in the map (2 x 8), the elements
  of the batch being built (8), and the batches being copied, prefetched and held by the loop
  (1 + 2 + 1): 24 elements and 4 batches, 224 MiB.
- ``parquet``: the Parquet shards of ``bench_parquet.py`` read with AUTOTUNE parallel reads
  into ``ragged_batch(256)``.
- ``images``: the image pipeline of ``bench_images.py`` (decode, resize, shuffle(1000),
  batch(64), prefetch).

tf.data runs the same pipelines when TensorFlow is installed.

    python benches/bench_memory.py [--runs 5] [large parquet images]
"""

from __future__ import annotations

import argparse
import json
import threading
import time

from harness import optional, run_fresh, spread

ELEMENT_FLOATS = 1 << 20
LARGE_ELEMENTS = 400
LARGE_LIVE_BYTES = (2 * 8 + 8) * 4 * ELEMENT_FLOATS + (1 + 2 + 1) * 8 * 4 * ELEMENT_FLOATS
SYSTEMS = {"ferroflow": "ferroflow", "tf.data": "tensorflow"}


def resident_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096


class PeakSampler:
    """Samples this process's resident size every 2 ms on a thread of its own."""

    def __init__(self) -> None:
        self.peak = resident_bytes()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, resident_bytes())
            time.sleep(0.002)

    def __enter__(self) -> PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, resident_bytes())


def large_pipeline(module):
    def fill(x):
        return module.fill([ELEMENT_FLOATS], module.cast(x, module.float32))

    return (
        module.data.Dataset.range(LARGE_ELEMENTS)
        .map(fill, num_parallel_calls=8)
        .batch(8)
        .prefetch(2)
    )


def parquet_pipeline(module):
    from bench_parquet import BATCH, write_shards

    if module.__name__ != "ferroflow":
        return None  # tf.data has no Parquet reader
    paths = write_shards()
    return module.data.ParquetDataset(paths, num_parallel_reads=module.data.AUTOTUNE).ragged_batch(
        BATCH
    )


def images_pipeline(module):
    from bench_images import PER_SHARD, SHARDS, pipeline
    from shards import write_shards

    return pipeline(module, write_shards(shards=SHARDS, per_shard=PER_SHARD, side=224))


WORKLOADS = {"large": large_pipeline, "parquet": parquet_pipeline, "images": images_pipeline}


def epoch(dataset, module) -> int:
    batches = dataset if module.__name__ == "ferroflow" else dataset.as_numpy_iterator()
    count = 0
    for batch in batches:
        count += 1
        del batch
    return count


def child(workload: str, system: str) -> None:
    """One run: builds the pipeline, then times two epochs under a peak sampler."""
    module = __import__(SYSTEMS[system])
    dataset = WORKLOADS[workload](module)
    if dataset is None:
        print(json.dumps(None))
        return
    baseline = resident_bytes()
    with PeakSampler() as sampler:
        start = time.perf_counter()
        epoch(dataset, module)
        first = time.perf_counter() - start
        first_peak = sampler.peak
        start = time.perf_counter()
        epoch(dataset, module)
        second = time.perf_counter() - start
    print(
        json.dumps(
            {
                "baseline": baseline,
                "first_peak": first_peak - baseline,
                "peak": sampler.peak - baseline,
                "first_s": first,
                "second_s": second,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workloads", nargs="*", default=list(WORKLOADS))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--child", nargs=2, metavar=("WORKLOAD", "SYSTEM"))
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    systems = [s for s, module in SYSTEMS.items() if s == "ferroflow" or optional(module)]
    for workload in args.workloads:
        runs: dict[str, list[dict]] = {s: [] for s in systems}
        for _ in range(args.runs):
            for system in systems:  # alternated, so that drift hits every system alike
                result = run_fresh(__file__, workload, system)
                if result is not None:
                    runs[system].append(result)
        print(f"\n{workload}: peak resident memory above the process's baseline, MB")
        if workload == "large":
            print(f"  live buffers: {LARGE_LIVE_BYTES / 1e6:.0f} MB")
        for system, results in runs.items():
            if not results:
                continue

            def column(key: str, scale: float, fmt: str, results=results) -> str:
                return spread([r[key] for r in results], fmt, scale)

            print(
                f"  {system:<10} first epoch {column('first_peak', 1e6, '.0f')}"
                f"  both epochs {column('peak', 1e6, '.0f')}"
                f"  epoch s: first {column('first_s', 1, '.2f')}"
                f"  second {column('second_s', 1, '.2f')}"
            )
            if workload == "large":
                ratio = [r["peak"] / LARGE_LIVE_BYTES for r in results]
                print(f"  {'':<10} peak / live buffers {spread(ratio, '.2f')}")


if __name__ == "__main__":
    main()
