"""The tf.data performance guide's own benchmark: its artificial dataset (open a file 30 ms,
read an item 15 ms), a 10 ms training step, and a 30 ms Python map, run through ferroflow and
tf.data for each of the guide's scenarios, with the ideal schedule's time.

    python benches/bench_guide.py [--samples 20] [--rounds 3]

Every run is one scenario of one system in a fresh process; the systems alternate, and each
time printed is the median of the rounds with the range. The same scenario code runs on both
systems: it only uses the names ``import ferroflow as tf``
provides. The ideal is what a perfect scheduler reaches on this machine: stages that overlap
cost the slowest of them per item (the guide's "max"), stages that cannot overlap cost their
sum, plus the time to fill the pipeline once. Both systems end every pipeline with an injected
``prefetch(AUTOTUNE)`` by default (tf.data's ``inject_prefetch``), so the training step
overlaps the pipeline even in the "naive" scenarios, and their ideals count it that way.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass

from harness import run_fresh, spread

OPEN, READ, TRAIN, MAP = 0.030, 0.015, 0.010, 0.030
EPOCHS = 2
SYSTEMS = {"ferroflow": "ferroflow", "tf.data": "tensorflow"}
CPUS = os.cpu_count() or 1


def artificial_dataset(tf, num_samples: int):
    """The guide's ArtificialDataset: a generator that opens a file, then reads items."""

    def generator(num_samples):
        time.sleep(OPEN)
        for sample_idx in range(num_samples):
            time.sleep(READ)
            yield (sample_idx,)

    return tf.data.Dataset.from_generator(
        generator,
        output_signature=tf.TensorSpec(shape=(1,), dtype=tf.int64),
        args=(num_samples,),
    )


def benchmark(dataset, num_epochs: int = EPOCHS) -> float:
    start = time.perf_counter()
    for _ in range(num_epochs):
        for _sample in dataset:
            time.sleep(TRAIN)  # the training step
    return time.perf_counter() - start


def fast_benchmark(dataset, num_epochs: int = EPOCHS) -> float:
    start = time.perf_counter()
    for _ in range(num_epochs):
        for _ in dataset:
            pass
    return time.perf_counter() - start


def mapped_function(tf):
    def fn(s):
        tf.py_function(lambda: time.sleep(MAP), [], ())  # heavy pre-processing
        return s

    return fn


@dataclass
class Scenario:
    name: str
    run: Callable[[object], float]
    ideal: float | None


def scenarios(n: int) -> list[Scenario]:
    e = EPOCHS
    map_parallelism = min(CPUS, 4)
    return [
        Scenario(
            "naive",
            lambda tf: benchmark(artificial_dataset(tf, n)),
            e * (OPEN + n * max(READ, TRAIN) + TRAIN),
        ),
        Scenario(
            "prefetch",
            lambda tf: benchmark(artificial_dataset(tf, n).prefetch(tf.data.AUTOTUNE)),
            e * (OPEN + n * max(READ, TRAIN) + TRAIN),
        ),
        Scenario(
            "sequential interleave",
            lambda tf: benchmark(
                tf.data.Dataset.range(2).interleave(lambda _: artificial_dataset(tf, n))
            ),
            e * (2 * OPEN + 2 * n * max(READ, TRAIN) + TRAIN),
        ),
        Scenario(
            "parallel interleave",
            lambda tf: benchmark(
                tf.data.Dataset.range(2).interleave(
                    lambda _: artificial_dataset(tf, n), num_parallel_calls=tf.data.AUTOTUNE
                )
            ),
            e * (OPEN + READ + 2 * n * max(READ / 2, TRAIN)),
        ),
        Scenario(
            "sequential map",
            lambda tf: benchmark(artificial_dataset(tf, n).map(mapped_function(tf))),
            e * (OPEN + n * max(READ + MAP, TRAIN) + TRAIN),
        ),
        Scenario(
            "parallel map",
            lambda tf: benchmark(
                artificial_dataset(tf, n).map(
                    mapped_function(tf), num_parallel_calls=tf.data.AUTOTUNE
                )
            ),
            e * (OPEN + READ + MAP + n * max(READ, MAP / map_parallelism, TRAIN)),
        ),
        Scenario(
            "cache",
            lambda tf: benchmark(artificial_dataset(tf, n).map(mapped_function(tf)).cache(), 5),
            OPEN + n * max(READ + MAP, TRAIN) + TRAIN + 4 * n * TRAIN,
        ),
        Scenario(
            "scalar map (10,000 x +1, batch 256)",
            lambda tf: fast_benchmark(tf.data.Dataset.range(10000).map(lambda x: x + 1).batch(256)),
            None,
        ),
        Scenario(
            "vectorized map (batch 256, then +1)",
            lambda tf: fast_benchmark(tf.data.Dataset.range(10000).batch(256).map(lambda x: x + 1)),
            None,
        ),
        Scenario(
            "naive pipeline",
            lambda tf: benchmark(
                tf.data.Dataset.range(2)
                .flat_map(lambda _: artificial_dataset(tf, n))
                .map(mapped_function(tf))
            ),
            e * (2 * OPEN + 2 * n * max(READ + MAP, TRAIN) + TRAIN),
        ),
        Scenario(
            "optimized pipeline",
            lambda tf: benchmark(
                tf.data.Dataset.range(2)
                .interleave(
                    lambda _: artificial_dataset(tf, n), num_parallel_calls=tf.data.AUTOTUNE
                )
                .map(mapped_function(tf), num_parallel_calls=tf.data.AUTOTUNE)
                .prefetch(tf.data.AUTOTUNE)
            ),
            e * (OPEN + READ + MAP + 2 * n * max(READ / 2, MAP / map_parallelism, TRAIN)),
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=20, help="samples per file")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", nargs=3, metavar=("SCENARIO", "SYSTEM", "SAMPLES"))
    args = parser.parse_args()
    if args.child:
        index, system, samples = args.child
        module = importlib.import_module(SYSTEMS[system])
        print(json.dumps({"s": scenarios(int(samples))[int(index)].run(module)}))
        return
    systems = [s for s, m in SYSTEMS.items() if importlib.util.find_spec(m) is not None]
    print(
        f"{args.samples} samples per file, {EPOCHS} epochs, {CPUS} CPUs; open {OPEN * 1e3:.0f} "
        f"ms, read {READ * 1e3:.0f} ms, train {TRAIN * 1e3:.0f} ms, map {MAP * 1e3:.0f} ms; "
        f"{args.rounds} rounds, a fresh process per run; median (range)"
    )
    header = f"{'scenario':<38}{'ideal s':>9}" + "".join(f"{n + ' s':>22}" for n in systems)
    print(header + f"{'ferroflow/ideal':>17}")
    for index, scenario in enumerate(scenarios(args.samples)):
        times: dict[str, list[float]] = {name: [] for name in systems}
        for round_ in range(args.rounds):
            turn = round_ % len(systems)
            for name in systems[turn:] + systems[:turn]:
                got = run_fresh(__file__, str(index), name, str(args.samples))
                times[name].append(got["s"])
        ideal = scenario.ideal
        shown = f"{ideal:9.3f}" if ideal is not None else f"{'-':>9}"
        base = sorted(times["ferroflow"])[len(times["ferroflow"]) // 2]
        ratio = f"{base / ideal:17.2f}" if ideal is not None else f"{'-':>17}"
        print(
            f"{scenario.name:<38}{shown}"
            + "".join(f"{spread(times[n], '.3f'):>22}" for n in systems)
            + ratio
        )


if __name__ == "__main__":
    main()
