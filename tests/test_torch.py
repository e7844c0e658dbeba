"""PyTorch takes ferroflow's values as they are, and Keras 3 trains from ferroflow datasets on
the torch backend as on jax, with TensorFlow absent: the image-classification tutorial runs
unchanged after ``import ferroflow as tf``."""

import gc
import json
import os
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
import torch

import ferroflow as ff


def test_torch_shares_the_memory_of_yielded_batches():
    for batch in ff.data.Dataset.range(12).batch(4).map(lambda x: x * 2):
        assert isinstance(batch, ff.Tensor)
        for convert in (torch.from_numpy, torch.as_tensor, torch.from_dlpack):
            shared = convert(batch)
            assert shared.data_ptr() == batch.ctypes.data
            assert shared.dtype == torch.int64
            assert shared.tolist() == batch.numpy().tolist()
    # DLPack: a CPU device (kDLCPU = 1), device 0.
    assert batch.__dlpack_device__() == (1, 0)
    images = np.random.default_rng(0).random((6, 5, 4, 3)).astype(np.float32)
    batch = next(iter(ff.data.Dataset.from_tensor_slices(images).batch(6)))
    shared = torch.from_numpy(batch)
    assert shared.data_ptr() == batch.ctypes.data and shared.shape == (6, 5, 4, 3)
    # Writes through torch are seen by the tensor: one buffer, not a copy.
    shared[0, 0, 0, 0] = -1.0
    assert batch[0, 0, 0, 0] == -1.0
    np.testing.assert_array_equal(shared[1:].numpy(), images[1:])


def test_torch_takes_scalars_and_eager_op_results():
    scalar = next(iter(ff.data.Dataset.range(7, 8)))
    assert torch.as_tensor(scalar).item() == 7 and torch.as_tensor(scalar).dim() == 0
    resized = ff.image.resize(np.ones((4, 4, 3), np.uint8), (2, 2))
    assert isinstance(resized, ff.Tensor)
    assert torch.from_numpy(resized).data_ptr() == resized.ctypes.data
    assert torch.from_numpy(resized).dtype == torch.float32


TUTORIAL = """
import json, os, sys
import numpy as np
from PIL import Image
import ferroflow as tf

root = sys.argv[1]
rng = np.random.default_rng(0)
# Three classes a small CNN can tell apart: each one lights a different channel.
for label, name in enumerate(("daisy", "rose", "tulip")):
    os.makedirs(os.path.join(root, name))
    for i in range(12):
        pixels = rng.integers(0, 60, (24 + i, 20, 3), dtype=np.uint8)
        pixels[..., label] += 180
        Image.fromarray(pixels).save(os.path.join(root, name, f"{i}.png"))

tf.keras.utils.set_random_seed(0)
train_ds, val_ds = tf.keras.utils.image_dataset_from_directory(
    root, validation_split=0.25, subset="both", seed=123, image_size=(16, 16), batch_size=6
)
class_names = train_ds.class_names
AUTOTUNE = tf.data.AUTOTUNE
train_ds = train_ds.cache().shuffle(100).prefetch(buffer_size=AUTOTUNE)
val_ds = val_ds.cache().prefetch(buffer_size=AUTOTUNE)
normalization_layer = tf.keras.layers.Rescaling(1.0 / 255)
normalized_ds = train_ds.map(lambda x, y: (normalization_layer(x), y))
image_batch, labels_batch = next(iter(normalized_ds))
assert 0.0 <= np.min(image_batch) and np.max(image_batch) <= 1.0

model = tf.keras.Sequential([
    tf.keras.layers.Input((16, 16, 3)),
    tf.keras.layers.Rescaling(1.0 / 255),
    tf.keras.layers.Conv2D(8, 3, activation="relu"),
    tf.keras.layers.MaxPooling2D(),
    tf.keras.layers.Flatten(),
    tf.keras.layers.Dense(len(class_names)),
])
model.compile(
    optimizer="adam",
    loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    metrics=["accuracy"],
)
history = model.fit(train_ds, validation_data=val_ds, epochs=8, verbose=0)
loss, accuracy = model.evaluate(val_ds, verbose=0)
logits = model.predict(val_ds.map(lambda x, y: x), verbose=0)
labels = np.concatenate([y for _, y in val_ds.as_numpy_iterator()])
print(json.dumps({
    "backend": tf.keras.backend.backend(),
    "classes": class_names,
    "losses": history.history["loss"],
    "predicted": list(logits.shape),
    "labels": len(labels),
    "accuracy": float(accuracy),
    "right_from_logits": float(np.mean(np.argmax(logits, 1) == labels)),
    "tensorflow_imported": "tensorflow" in sys.modules,
}))
"""


@pytest.mark.parametrize("backend", ["torch", "jax"])
def test_the_image_tutorial_trains_on_each_backend_without_tensorflow(backend, tmp_path):
    env = dict(os.environ, KERAS_BACKEND=backend, KERAS_HOME=str(tmp_path / "keras"))
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(TUTORIAL), str(tmp_path / "flowers")],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    got = json.loads(out.stdout.splitlines()[-1])
    assert got["backend"] == backend and got["classes"] == ["daisy", "rose", "tulip"]
    assert len(got["losses"]) == 8 and got["losses"][-1] < got["losses"][0]
    assert got["predicted"] == [9, 3] and got["labels"] == 9
    # evaluate's accuracy is the share predict's logits get right on the same batches.
    assert got["accuracy"] == pytest.approx(got["right_from_logits"])
    assert got["accuracy"] >= 2 / 3
    assert not got["tensorflow_imported"]


def _pipeline():
    return (
        ff.data.Dataset.range(40)
        .map(lambda x: {"x": ff.cast(x, ff.float32) / 2, "id": x, "name": ff.strings.as_string(x)})
        .batch(4)
    )


@pytest.mark.parametrize("workers", [0, 2])
def test_a_dataloader_over_as_torch_reads_every_element_once(workers):
    from torch.utils.data import DataLoader

    source = _pipeline().as_torch()
    assert isinstance(source, torch.utils.data.IterableDataset) and len(source) == 10
    loader = DataLoader(source, batch_size=None, num_workers=workers, timeout=120 if workers else 0)
    batches = list(loader)
    assert len(batches) == len(loader) == 10
    ids = sorted(int(i) for b in batches for i in b["id"])
    assert ids == list(range(40))  # each worker read its own shard: disjoint and complete
    first = batches[0]
    assert first["x"].dtype == torch.float32 and first["id"].dtype == torch.int64
    torch.testing.assert_close(first["x"], first["id"].to(torch.float32) / 2)
    # Strings have no torch type: they stay bytes.
    assert [bytes(s) for s in first["name"]] == [str(int(i)).encode() for i in first["id"]]


def test_dataloader_workers_forked_after_the_parent_read_files_read_them_too(tmp_path):
    # The parent reads files with a parallel interleave first, which starts the shared I/O
    # threads; forked workers have none of those threads and must start their own.
    from torch.utils.data import DataLoader

    paths = []
    for i in range(4):
        path = str(tmp_path / f"part-{i}.tfrecord")
        with ff.io.TFRecordWriter(path) as writer:
            for j in range(10):
                writer.write(f"{i}-{j}".encode())
        paths.append(path)
    pipeline = ff.data.Dataset.from_tensor_slices(paths).interleave(
        ff.data.TFRecordDataset, cycle_length=4, num_parallel_calls=4
    )
    expected = sorted(bytes(r) for r in pipeline.as_numpy_iterator())
    assert len(expected) == 40
    loader = DataLoader(pipeline.as_torch(), batch_size=None, num_workers=2, timeout=120)
    assert sorted(bytes(r) for r in loader) == expected


@pytest.mark.parametrize("workers", [0, 2])
def test_a_stateful_dataloader_resumes_after_the_last_batch_it_gave(workers):
    from torchdata.stateful_dataloader import StatefulDataLoader

    def loader():
        return StatefulDataLoader(
            _pipeline().shuffle(40, seed=3).as_torch(),
            batch_size=None,
            num_workers=workers,
            timeout=120 if workers else 0,
        )

    first = loader()
    it = iter(first)
    seen = [next(it)["id"].tolist() for _ in range(3)]
    state = first.state_dict()
    rest = [b["id"].tolist() for b in it]
    resumed = loader()
    resumed.load_state_dict(state)
    assert [b["id"].tolist() for b in resumed] == rest
    assert sorted(i for b in seen + rest for i in b) == list(range(40))


def test_pinned_batches_need_a_cuda_device():
    if torch.cuda.is_available():
        batch = next(iter(_pipeline().as_torch(pin_memory=True)))
        assert batch["x"].is_pinned()
        on_device = next(iter(_pipeline().as_torch(device="cuda:0")))
        assert on_device["x"].device.type == "cuda"
    else:
        with pytest.raises(RuntimeError, match="needs a CUDA device"):
            next(iter(_pipeline().as_torch(pin_memory=True)))


def test_the_background_thread_ends_with_the_pass_or_its_iterator(monkeypatch):
    # The pinning thread's bookkeeping, checked without CUDA: pinning itself is skipped.
    import threading

    from ferroflow.data import _torch

    convert = _torch._convert
    monkeypatch.setattr(_torch, "_convert", lambda e, t, pin: convert(e, t, False))
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    before = threading.active_count()
    it = iter(_pipeline().as_torch(pin_memory=True, prefetch=3))
    ids = [b["id"].tolist() for b in it]
    assert sorted(i for b in ids for i in b) == list(range(40))
    for _ in range(2):  # an ended pass stays ended
        with pytest.raises(StopIteration):
            next(it)
    abandoned = iter(_pipeline().as_torch(pin_memory=True, prefetch=2))
    next(abandoned)
    state = abandoned.state_dict()
    del abandoned, it
    gc.collect()
    deadline = time.monotonic() + 10
    while threading.active_count() > before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert threading.active_count() <= before
    # The state is after the one batch returned, not the ones the thread ran ahead to.
    resumed = iter(_pipeline().as_torch())
    resumed.load_state_dict(state)
    assert next(resumed)["id"].tolist() == [4, 5, 6, 7]
