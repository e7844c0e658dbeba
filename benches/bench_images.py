"""The tf.data guide's image pipeline on generated TFRecord shards of 224x224 JPEGs: parse,
decode, resize to 128x128, scale to [0, 1], shuffle(1000), batch(64), prefetch, all AUTOTUNE,
through ferroflow and tf.data, and a PyTorch DataLoader with Pillow and 2 workers over the
same images, when torch is installed.

    python benches/bench_images.py
"""

from __future__ import annotations

import io

import numpy as np
from shards import write_shards

import ferroflow as ff
from harness import measure, optional, report

tf = optional("tensorflow")
torch = optional("torch")
PIL = optional("PIL.Image")

SHARDS, PER_SHARD = 8, 250
TOTAL = SHARDS * PER_SHARD


def pipeline(module, paths):
    spec = {
        "image": module.io.FixedLenFeature([], module.string),
        "label": module.io.FixedLenFeature([], module.int64),
    }

    def preprocess(record):
        example = module.io.parse_single_example(record, spec)
        image = module.io.decode_jpeg(example["image"], channels=3)
        image = module.image.resize(image, [128, 128])
        return module.cast(image, module.float32) / 255.0, example["label"]

    return (
        module.data.TFRecordDataset(paths, num_parallel_reads=module.data.AUTOTUNE)
        .map(preprocess, num_parallel_calls=module.data.AUTOTUNE)
        .shuffle(1000)
        .batch(64)
        .prefetch(module.data.AUTOTUNE)
    )


def count(batches) -> int:
    n = 0
    for images, _labels in batches:
        n += len(images)
    return n


def dataloader_run(paths) -> int:
    records = [r for r in ff.data.TFRecordDataset(paths)]
    spec = {"image": ff.io.FixedLenFeature([], ff.string)}
    jpegs = [ff.io.parse_single_example(r, spec)["image"] for r in records]

    class Images(torch.utils.data.Dataset):
        def __len__(self):
            return len(jpegs)

        def __getitem__(self, i):
            img = PIL.open(io.BytesIO(jpegs[i])).convert("RGB").resize((128, 128), PIL.BILINEAR)
            return torch.from_numpy(np.asarray(img, np.float32) / 255.0), i

    def run() -> int:
        loader = torch.utils.data.DataLoader(Images(), batch_size=64, shuffle=True, num_workers=2)
        return sum(len(x) for x, _ in loader)

    return run


def main() -> None:
    paths = write_shards(shards=SHARDS, per_shard=PER_SHARD, side=224)
    results = [measure("ferroflow", lambda: count(pipeline(ff, paths)))]
    if tf is not None:
        results.append(measure("tf.data", lambda: count(pipeline(tf, paths).as_numpy_iterator())))
    if torch is not None and PIL is not None:
        results.append(measure("DataLoader (2 workers)", dataloader_run(paths)))
    assert all(r.items == TOTAL for r in results)
    report(
        f"{TOTAL} TFRecord JPEGs 224x224: parse, decode, resize 128x128, scale, shuffle, "
        "batch(64), prefetch",
        results,
        "images",
    )


if __name__ == "__main__":
    main()
