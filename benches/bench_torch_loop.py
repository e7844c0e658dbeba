"""The image pipeline of ``bench_images.py`` feeding a PyTorch training loop: each batch of
64 images (128x128) takes one SGD step of a small CNN on the CPU, so the pipeline competes
with training for the cores, as it does on a machine whose GPU is busy. Reported: images/s
through the loop, and the share of each epoch the loop waited for its next batch.

- ferroflow: the pipeline's ``as_torch()``, torch tensors over the batches' memory.
- tf.data: the same pipeline with TensorFlow, ``as_numpy_iterator()`` and
  ``torch.from_numpy``.
- DataLoader: a PyTorch DataLoader with 2 workers, Pillow decoding and resizing the same
  JPEGs (read from the records beforehand).

Each system runs in fresh processes, alternating (see ``harness.py``).

    python benches/bench_torch_loop.py [--rounds 3]
"""

from __future__ import annotations

from bench_images import _paths, dataloader_epochs, pipeline
from shards import write_shards

from harness import System, Workload, main

SHARDS, PER_SHARD, SIDE = 20, 500, 224


class TrainingStep:
    """One SGD step of a small CNN on a batch (images NHWC, labels); returns its size. The
    model is built at the first batch, in the measured process."""

    def __init__(self) -> None:
        self.model = None

    def __call__(self, batch) -> int:
        import torch

        images, labels = batch
        if self.model is None:
            torch.manual_seed(0)
            self.model = torch.nn.Sequential(
                torch.nn.Conv2d(3, 8, 5, stride=4),
                torch.nn.ReLU(),
                torch.nn.Conv2d(8, 16, 3, stride=2),
                torch.nn.ReLU(),
                torch.nn.AdaptiveAvgPool2d(1),
                torch.nn.Flatten(),
                torch.nn.Linear(16, 10),
            )
        x = torch.as_tensor(images).permute(0, 3, 1, 2)
        y = torch.as_tensor(labels).long() % 10
        self.model.zero_grad()
        loss = torch.nn.functional.cross_entropy(self.model(x), y)
        loss.backward()
        # Plain SGD by hand: torch.optim's step imports triton, whose LLVM aborts the process
        # when TensorFlow's is loaded (the tf.data system).
        with torch.no_grad():
            for parameter in self.model.parameters():
                parameter -= 0.01 * parameter.grad
        return int(x.shape[0])


def ferroflow_epochs():
    import ferroflow as ff

    dataset = pipeline(ff, _paths()).as_torch()
    return lambda: dataset


def tf_epochs():
    import tensorflow as tf
    import torch

    dataset = pipeline(tf, _paths())

    def epoch():
        for images, labels in dataset.as_numpy_iterator():
            yield torch.from_numpy(images), torch.from_numpy(labels)

    return epoch


WORKLOADS = {
    "train": Workload(
        f"{SHARDS * PER_SHARD} TFRecord JPEGs {SIDE}x{SIDE} through bench_images' pipeline into "
        "a CNN training step on the CPU (batch 64)",
        "images",
        [
            System("ferroflow as_torch", ferroflow_epochs, TrainingStep(), ("ferroflow", "torch")),
            System("tf.data (numpy)", tf_epochs, TrainingStep(), ("tensorflow", "torch")),
            System(
                "DataLoader (2 workers)",
                dataloader_epochs,
                TrainingStep(),
                ("torch", "PIL", "ferroflow"),
            ),
        ],
        epochs=2,
        files=_paths,
        loop_step=True,
    ),
}


if __name__ == "__main__":
    write_shards(shards=SHARDS, per_shard=PER_SHARD, side=SIDE)
    main(WORKLOADS)
