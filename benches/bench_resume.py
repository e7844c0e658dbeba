"""Resuming the image pipeline of ``bench_images.py`` (with its ``shuffle(1000)``) from a
saved iterator state at 90% of an epoch: the time the epoch took to get there, against the
time from ``set_state`` to the first element in a fresh process, and the state's size.
Every run is a process of its own; the figures are medians over the runs, with ranges.

    python benches/bench_resume.py [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from harness import run_fresh, spread

FRACTION = 0.9


def _dataset():
    from bench_images import PER_SHARD, SHARDS, pipeline
    from shards import write_shards

    import ferroflow as ff

    return pipeline(ff, write_shards(shards=SHARDS, per_shard=PER_SHARD, side=224))


def save_child(state_path: str) -> None:
    """Reads 90% of an epoch's batches, then writes the iterator's state."""
    from bench_images import PER_SHARD, SHARDS

    dataset = _dataset()
    batches = int((SHARDS * PER_SHARD / 64) * FRACTION)
    start = time.perf_counter()
    it = iter(dataset)
    for _ in range(batches):
        next(it)
    reached = time.perf_counter() - start
    state = it.get_state()
    text = json.dumps(state)
    Path(state_path).write_text(text)
    print(json.dumps({"reach_s": reached, "state_bytes": len(text.encode())}))


def resume_child(state_path: str) -> None:
    """Restores the state into a new iterator and takes one element."""
    dataset = _dataset()
    state = json.loads(Path(state_path).read_text())
    start = time.perf_counter()
    it = iter(dataset)
    it.set_state(state)
    next(it)
    print(json.dumps({"first_s": time.perf_counter() - start}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--child", nargs=2, metavar=("MODE", "STATE"))
    args = parser.parse_args()
    if args.child:
        {"save": save_child, "resume": resume_child}[args.child[0]](args.child[1])
        return
    reach, first, size = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        state_path = str(Path(tmp) / "state.json")
        for _ in range(args.runs):
            saved = run_fresh(__file__, "save", state_path)
            reach.append(saved["reach_s"])
            size.append(saved["state_bytes"])
            first.append(run_fresh(__file__, "resume", state_path)["first_s"])
    print(f"image pipeline, shuffle(1000), state saved at {FRACTION:.0%} of the first epoch")
    print(f"  reaching that point:          {spread(reach, '.3f')} s")
    print(f"  set_state to first element:   {spread(first, '.3f')} s")
    print(f"  state size:                   {spread(size, '.0f')} bytes")


if __name__ == "__main__":
    main()
