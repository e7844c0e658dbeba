"""ferroflow in one screen: a pipeline over data it generates, run naively and with prefetch.

The producer (decoding, augmenting) and the consumer (a training step) each take a few
milliseconds. Without prefetch they take turns; with ``prefetch(AUTOTUNE)`` the producer runs
on a background thread, so a step costs the larger of the two, not their sum. Like tf.data,
ferroflow adds that final prefetch by default; the naive run switches it off to show the
difference.
"""

from __future__ import annotations

import time

import numpy as np

import ferroflow as ff

STEPS = 60
BATCH = 32
WORK_MS = 4.0  # simulated per-batch producer cost and per-step training cost


def make_dataset(prefetch: bool) -> ff.data.Dataset:
    rng = np.random.default_rng(0)
    images = rng.integers(0, 255, size=(STEPS * BATCH, 32, 32, 3), dtype=np.uint8)
    labels = rng.integers(0, 10, size=STEPS * BATCH)

    def augment(images, labels):
        time.sleep(WORK_MS / 1000)  # stands for decode/augment work that releases the GIL
        return (images.astype(np.float32) / 255.0)[:, :, ::-1], labels

    ds = (
        ff.data.Dataset.from_tensor_slices((images, labels))
        .shuffle(1024, seed=0)
        .batch(BATCH)
        .map(augment)
    )
    if prefetch:
        return ds.prefetch(ff.data.AUTOTUNE)
    options = ff.data.Options()
    options.experimental_optimization.inject_prefetch = False
    return ds.with_options(options)


def train(ds: ff.data.Dataset) -> tuple[float, float]:
    start = time.perf_counter()
    checksum = 0.0
    for images, labels in ds:
        time.sleep(WORK_MS / 1000)  # the training step
        checksum += float(images[:, 0, 0, 0].sum()) + int(labels.sum())
    return time.perf_counter() - start, checksum


def main() -> None:
    print(
        f"ferroflow {ff.__version__}: {STEPS} steps of {BATCH} images (32x32x3), "
        f"~{WORK_MS:.0f} ms to produce a batch, ~{WORK_MS:.0f} ms per training step\n"
    )
    results = {}
    for name, prefetch in (("naive", False), ("prefetch", True)):
        seconds, checksum = train(make_dataset(prefetch))
        results[name] = seconds
        rate = STEPS * BATCH / seconds
        print(f"  {name:<9} {seconds:6.3f} s  {rate:9.0f} images/s   (checksum {checksum:.1f})")
    print(
        f"\nprefetch speed-up: {results['naive'] / results['prefetch']:.2f}x "
        f"(ideal {2.0:.2f}x: the larger stage instead of the sum of both)"
    )


if __name__ == "__main__":
    main()
