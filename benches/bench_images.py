"""The tf.data guide's image pipeline on generated TFRecord shards of 224x224 JPEGs: parse,
decode, resize to 128x128, scale to [0, 1], shuffle(1000), batch(64), prefetch, all AUTOTUNE.

- ferroflow: the pipeline below, batches of numpy arrays.
- tf.data (tensors): the same code with TensorFlow, iterated as eager tensors (a TensorFlow
  or Keras training loop's consumption); tf.data (numpy): through ``as_numpy_iterator()``,
  which a PyTorch or JAX loop needs.
- DataLoader: a PyTorch DataLoader with 2 workers, Pillow decoding and resizing the same
  JPEGs (read from the records beforehand), the usual hand-written pipeline.
- Grain (threads / processes): ``grain.MapDataset`` over the same JPEGs, shuffled, Pillow
  decoding and resizing in ``map``, ``batch(64)``, read by its thread pool
  (``ReadOptions``), or by 2 worker processes (``mp_prefetch``).

The ``pillow`` workload runs Pillow's decode and resize as a plain Python function in
``map``: on one or two threads, in one or two worker processes (``processes=``), and in
Grain's worker processes; it shows how a function holding the GIL scales with processes.

The ``decode`` workload measures the bound the pipeline works against: the decoder and
resize alone (``decode_jpeg``, ``resize`` to 128x128, scale), one image at a time on one
thread, through ferroflow's eager ops and through Pillow; the pipeline's bound on this
machine is that rate times the cores. The ``crop`` workload decodes a random
Inception-style window of each JPEG, one at a time: ``decode_and_crop_jpeg`` against
``decode_jpeg`` then ``crop_to_bounding_box``, in ferroflow and in TensorFlow.

Each system runs in fresh processes, alternating (see ``harness.py``).

    python benches/bench_images.py [images] [pillow] [decode] [crop] [--rounds 5] [--burn-ms 10]
"""

from __future__ import annotations

import io

from shards import write_shards

from harness import System, Workload, batch_rows, main, mapped

SHARDS, PER_SHARD, SIDE = 20, 500, 224
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


def _paths() -> list[str]:
    return write_shards(shards=SHARDS, per_shard=PER_SHARD, side=SIDE)


def ferroflow_epochs():
    import ferroflow as ff

    dataset = pipeline(ff, _paths())
    return lambda: dataset


def tf_epochs(numpy: bool):
    def setup():
        import tensorflow as tf

        dataset = pipeline(tf, _paths())
        return dataset.as_numpy_iterator if numpy else (lambda: dataset)

    return setup


def _jpegs(module=None) -> list[bytes]:
    """The shards' JPEGs, read beforehand (for the systems that have no TFRecord reader, with
    ferroflow) with ``module``, ferroflow or TensorFlow."""
    if module is None:
        import ferroflow as module

    spec = {"image": module.io.FixedLenFeature([], module.string)}
    records = module.data.TFRecordDataset(_paths())
    return [module.io.parse_single_example(r, spec)["image"].numpy() for r in records]


def _pillow_preprocess(jpeg: bytes):
    import numpy as np
    from PIL import Image

    img = Image.open(io.BytesIO(jpeg)).convert("RGB").resize((128, 128), Image.BILINEAR)
    return np.asarray(img, np.float32) / 255.0


def dataloader_epochs():
    import torch

    jpegs = _jpegs()

    class Images(torch.utils.data.Dataset):
        def __len__(self):
            return len(jpegs)

        def __getitem__(self, i):
            return torch.from_numpy(_pillow_preprocess(jpegs[i])), i

    return lambda: torch.utils.data.DataLoader(
        Images(), batch_size=64, shuffle=True, num_workers=2, persistent_workers=False
    )


def grain_epochs(processes: bool):
    def setup():
        import grain

        jpegs = _jpegs()
        labelled = grain.MapDataset.source(list(range(len(jpegs)))).shuffle(seed=0)
        images = labelled.map(lambda i: (_pillow_preprocess(jpegs[i]), i)).batch(64)
        dataset = images.to_iter_dataset(grain.ReadOptions(num_threads=4))
        if processes:
            dataset = dataset.mp_prefetch(grain.MultiprocessingOptions(num_workers=2))
        return lambda: dataset

    return setup


PILLOW_IMAGES = 3000


def ferroflow_pillow_epochs(threads: int = 0, processes: int = 0):
    """Pillow's decode and resize as a plain Python function in ``map``, on threads or in
    worker processes."""

    def setup():
        import ferroflow as ff

        ds = ff.data.Dataset.from_tensor_slices(_jpegs()[:PILLOW_IMAGES])
        dataset = mapped(ds, _pillow_preprocess, processes, threads).batch(64)
        return lambda: dataset

    return setup


def grain_pillow_epochs(processes: int):
    def setup():
        import grain

        jpegs = _jpegs()[:PILLOW_IMAGES]
        images = grain.MapDataset.source(jpegs).map(_pillow_preprocess).batch(64)
        dataset = images.to_iter_dataset().mp_prefetch(
            grain.MultiprocessingOptions(num_workers=processes)
        )
        return lambda: dataset

    return setup


def ferroflow_decode_epochs():
    import ferroflow as ff

    jpegs = _jpegs()

    def epoch():
        for jpeg in jpegs:
            image = ff.image.resize(ff.io.decode_jpeg(jpeg, channels=3), [128, 128])
            yield ff.cast(image, ff.float32) / 255.0

    return epoch


def pillow_decode_epochs():
    jpegs = _jpegs()
    return lambda: (_pillow_preprocess(jpeg) for jpeg in jpegs)


def _crop_windows(count: int) -> list[list[int]]:
    """Inception-style random crops of SIDE x SIDE images (8-100% of the area, aspect ratio
    3/4 to 4/3), as [y, x, height, width], the same in every process."""
    import numpy as np

    rng = np.random.default_rng(0)
    windows = []
    for _ in range(count):
        area = rng.uniform(0.08, 1.0) * SIDE * SIDE
        aspect = np.exp(rng.uniform(np.log(3 / 4), np.log(4 / 3)))
        h = int(min(SIDE, max(1, round(np.sqrt(area / aspect)))))
        w = int(min(SIDE, max(1, round(np.sqrt(area * aspect)))))
        y, x = int(rng.integers(0, SIDE - h + 1)), int(rng.integers(0, SIDE - w + 1))
        windows.append([y, x, h, w])
    return windows


def crop_epochs(module_name: str, together: bool):
    """Each JPEG's random window: decoded alone (``decode_and_crop_jpeg``), or decoded whole
    and cropped (``decode_jpeg``, then ``crop_to_bounding_box``)."""

    def setup():
        import importlib

        module = importlib.import_module(module_name)
        jpegs = _jpegs(module)
        windows = _crop_windows(len(jpegs))

        def epoch():
            for jpeg, (y, x, h, w) in zip(jpegs, windows):
                if together:
                    yield module.io.decode_and_crop_jpeg(jpeg, [y, x, h, w], channels=3)
                else:
                    image = module.io.decode_jpeg(jpeg, channels=3)
                    yield module.image.crop_to_bounding_box(image, y, x, h, w)

        return epoch

    return setup


FF_PIL = ("ferroflow", "PIL")


def _one(_image) -> int:
    return 1


def _images(batch) -> int:
    return int(batch[0].shape[0])


WORKLOADS = {
    "images": Workload(
        f"{TOTAL} TFRecord JPEGs {SIDE}x{SIDE}: parse, decode, resize 128x128, scale, "
        "shuffle(1000), batch(64), prefetch",
        "images",
        [
            System("ferroflow", ferroflow_epochs, _images, ("ferroflow",)),
            System("tf.data (tensors)", tf_epochs(False), _images, ("tensorflow",)),
            System("tf.data (numpy)", tf_epochs(True), _images, ("tensorflow",)),
            System(
                "DataLoader (2 workers)",
                dataloader_epochs,
                _images,
                ("torch", "PIL", "ferroflow"),
            ),
            System("Grain (threads)", grain_epochs(False), _images, ("grain", "PIL", "ferroflow")),
            System("Grain (processes)", grain_epochs(True), _images, ("grain", "PIL", "ferroflow")),
        ],
        files=_paths,
    ),
    "pillow": Workload(
        f"{PILLOW_IMAGES} JPEGs {SIDE}x{SIDE}: Pillow decode, resize 128x128, scale, as a "
        "Python function in map; batch(64)",
        "images",
        [
            System("ferroflow (1 thread)", ferroflow_pillow_epochs(threads=1), batch_rows, FF_PIL),
            System("ferroflow (2 threads)", ferroflow_pillow_epochs(threads=2), batch_rows, FF_PIL),
            System(
                "ferroflow (1 process)", ferroflow_pillow_epochs(processes=1), batch_rows, FF_PIL
            ),
            System(
                "ferroflow (2 processes)", ferroflow_pillow_epochs(processes=2), batch_rows, FF_PIL
            ),
            System("Grain (2 processes)", grain_pillow_epochs(2), batch_rows, ("grain",) + FF_PIL),
        ],
        files=_paths,
    ),
    "decode": Workload(
        f"{TOTAL} JPEGs {SIDE}x{SIDE}, one at a time on one thread: decode, resize 128x128, scale",
        "images",
        [
            System("ferroflow ops", ferroflow_decode_epochs, _one, ("ferroflow",)),
            System("Pillow", pillow_decode_epochs, _one, ("PIL", "ferroflow")),
        ],
        epochs=2,
        files=_paths,
    ),
    "crop": Workload(
        f"{TOTAL} JPEGs {SIDE}x{SIDE}, one at a time on one thread: a random Inception-style "
        "window of each (8-100% of the area)",
        "images",
        [
            System(
                "ferroflow decode_and_crop_jpeg",
                crop_epochs("ferroflow", True),
                _one,
                ("ferroflow",),
            ),
            System(
                "ferroflow decode + crop", crop_epochs("ferroflow", False), _one, ("ferroflow",)
            ),
            System(
                "tf decode_and_crop_jpeg", crop_epochs("tensorflow", True), _one, ("tensorflow",)
            ),
            System("tf decode + crop", crop_epochs("tensorflow", False), _one, ("tensorflow",)),
        ],
        epochs=2,
        files=_paths,
    ),
}


if __name__ == "__main__":
    write_shards(shards=SHARDS, per_shard=PER_SHARD, side=SIDE)
    main(WORKLOADS)
