"""Resuming from a saved iterator state at 90% of an epoch: the time the epoch took to get
there, against the time from ``set_state`` to the first element in a fresh process, and the
state's size, for two pipelines:

- image: the pipeline of ``bench_images.py``, with its ``shuffle(1000)``;
- parquet: the shards of ``bench_parquet.py`` with their row groups shuffled, then
  ``shuffle(10000)`` and ``ragged_batch(256)``.

Every run is a process of its own; the figures are medians over the runs, with ranges.

    python benches/bench_resume.py [--runs 5] [--pipeline image|parquet]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from harness import run_fresh, spread

FRACTION = 0.9


def _dataset(kind: str):
    """The pipeline, and how many of its elements make 90% of an epoch."""
    import ferroflow as ff

    if kind == "image":
        from bench_images import PER_SHARD, SHARDS, pipeline
        from shards import write_shards

        paths = write_shards(shards=SHARDS, per_shard=PER_SHARD, side=224)
        return pipeline(ff, paths), int(SHARDS * PER_SHARD / 64 * FRACTION)
    from bench_parquet import BATCH, FILES, ROWS_PER_FILE, write_shards

    dataset = (
        ff.data.ParquetDataset(
            write_shards(), num_parallel_reads=ff.data.AUTOTUNE, shuffle_row_groups=True, seed=1
        )
        .shuffle(10_000, seed=2)
        .ragged_batch(BATCH)
    )
    return dataset, int(FILES * ROWS_PER_FILE / BATCH * FRACTION)


def save_child(kind: str, state_path: str) -> None:
    """Reads 90% of an epoch, then writes the iterator's state."""
    dataset, elements = _dataset(kind)
    start = time.perf_counter()
    it = iter(dataset)
    for _ in range(elements):
        next(it)
    reached = time.perf_counter() - start
    state = it.get_state()
    text = json.dumps(state)
    Path(state_path).write_text(text)
    print(json.dumps({"reach_s": reached, "state_bytes": len(text.encode())}))


def resume_child(kind: str, state_path: str) -> None:
    """Restores the state into a new iterator and takes one element."""
    dataset, _ = _dataset(kind)
    state = json.loads(Path(state_path).read_text())
    start = time.perf_counter()
    it = iter(dataset)
    it.set_state(state)
    next(it)
    print(json.dumps({"first_s": time.perf_counter() - start}))


TITLES = {
    "image": "image pipeline, shuffle(1000)",
    "parquet": "Parquet, row groups shuffled, shuffle(10000), ragged_batch(256)",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--pipeline", choices=sorted(TITLES), action="append")
    parser.add_argument("--child", nargs=3, metavar=("MODE", "PIPELINE", "STATE"))
    args = parser.parse_args()
    if args.child:
        mode, kind, state_path = args.child
        {"save": save_child, "resume": resume_child}[mode](kind, state_path)
        return
    for kind in args.pipeline or sorted(TITLES):
        reach, first, size = [], [], []
        with tempfile.TemporaryDirectory() as tmp:
            state_path = str(Path(tmp) / "state.json")
            for _ in range(args.runs):
                saved = run_fresh(__file__, "save", kind, state_path)
                reach.append(saved["reach_s"])
                size.append(saved["state_bytes"])
                first.append(run_fresh(__file__, "resume", kind, state_path)["first_s"])
        print(f"{TITLES[kind]}: state saved at {FRACTION:.0%} of the first epoch")
        print(f"  reaching that point:          {spread(reach, '.3f')} s")
        print(f"  set_state to first element:   {spread(first, '.3f')} s")
        print(f"  state size:                   {spread(size, '.0f')} bytes")


if __name__ == "__main__":
    main()
