"""Keras 3 with ferroflow datasets: ``ff.keras`` is the installed Keras (on the JAX backend
here, TensorFlow not being installed), its dataset utilities give ferroflow datasets that
select the same files as Keras's own, and ``fit`` / ``evaluate`` / ``predict`` take them."""

import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

import ferroflow as ff

# Touching ff.keras first picks the JAX backend: TensorFlow, Keras's default, is not installed.
KERAS = ff.keras


def test_importing_ferroflow_does_not_import_keras():
    code = "import sys, ferroflow; ferroflow.Dataset.range(2); print('keras' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_ff_keras_is_the_installed_keras():
    import keras

    assert ff.keras.Sequential is keras.Sequential and ff.keras.layers is keras.layers
    assert keras.backend.backend() == "jax"
    assert ff.keras.utils.to_categorical is keras.utils.to_categorical
    assert (
        ff.keras.utils.image_dataset_from_directory is not keras.utils.image_dataset_from_directory
    )


@pytest.fixture(scope="module")
def flowers(tmp_path_factory):
    root = tmp_path_factory.mktemp("flowers")
    rng = np.random.default_rng(0)
    for name in ("daisy", "rose", "tulip"):
        os.makedirs(root / name)
        for i in range(7):
            pixels = rng.integers(0, 255, (30 + i, 40, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(root / name / f"{i}.png")
    (root / "rose" / "notes.txt").write_text("not an image")
    return root


def test_image_dataset_from_directory(flowers):
    from keras.src.utils import dataset_utils

    ds = ff.keras.utils.image_dataset_from_directory(
        flowers, image_size=(16, 12), batch_size=4, shuffle=False, verbose=False
    )
    paths, labels, names = dataset_utils.index_directory(
        str(flowers), "inferred", formats=(".png",), shuffle=False, verbose=False
    )
    assert isinstance(ds, ff.data.Dataset) and ds.class_names == names == ["daisy", "rose", "tulip"]
    assert ds.file_paths == paths and ds.cardinality() == 6
    assert ds.element_spec == (
        ff.TensorSpec([None, 16, 12, 3], ff.float32),
        ff.TensorSpec([None], ff.int32),
    )
    images, got = zip(*ds.as_numpy_iterator())
    np.testing.assert_array_equal(np.concatenate(got), labels)
    decoded = np.asarray(Image.open(paths[0]).convert("RGB"))
    np.testing.assert_allclose(images[0][0], ff.image.resize(decoded, (16, 12)), atol=1e-4)


def test_image_dataset_modes_and_splits(flowers):
    train, val = ff.keras.utils.image_dataset_from_directory(
        flowers,
        validation_split=0.3,
        subset="both",
        seed=5,
        image_size=(8, 8),
        batch_size=None,
        label_mode="categorical",
        color_mode="grayscale",
        verbose=False,
    )
    assert len(train.file_paths) == 15 and len(val.file_paths) == 6
    assert not set(train.file_paths) & set(val.file_paths)
    image, label = next(iter(train))
    assert image.shape == (8, 8, 1) and label.shape == (3,) and float(label.numpy().sum()) == 1.0
    again = ff.keras.utils.image_dataset_from_directory(
        flowers, validation_split=0.3, subset="training", seed=5, image_size=(8, 8), verbose=False
    )
    assert again.file_paths == train.file_paths
    first = [x for x, _ in train.as_numpy_iterator()]
    second = [x for x, _ in train.as_numpy_iterator()]
    assert not all(np.array_equal(a, b) for a, b in zip(first, second))  # reshuffled each epoch
    channels_first = ff.keras.utils.image_dataset_from_directory(
        flowers, image_size=(8, 6), data_format="channels_first", labels=None, verbose=False
    )
    assert next(iter(channels_first)).shape == (21, 3, 8, 6)
    with pytest.raises(ValueError, match="exactly 2"):
        ff.keras.utils.image_dataset_from_directory(flowers, label_mode="binary", verbose=False)


def test_text_dataset_from_directory(tmp_path):
    for label in ("neg", "pos"):
        os.makedirs(tmp_path / label)
        for i in range(3):
            (tmp_path / label / f"{i}.txt").write_text(f"{label} review {i} " * (i + 1))
    ds = ff.keras.utils.text_dataset_from_directory(
        tmp_path, batch_size=4, max_length=12, shuffle=False, label_mode="binary", verbose=False
    )
    texts, labels = zip(*ds.as_numpy_iterator())
    assert np.concatenate(texts).tolist() == [
        (f"{label} review {i} " * (i + 1)).encode()[:12]
        for label in ("neg", "pos")
        for i in range(3)
    ]
    assert np.concatenate(labels).tolist() == [[0.0]] * 3 + [[1.0]] * 3


def test_timeseries_dataset_from_array_follows_kerass_example():
    data = np.arange(100, dtype=np.float32).reshape(50, 2)
    targets = np.arange(50) * 10
    ds = ff.keras.utils.timeseries_dataset_from_array(
        data,
        targets,
        sequence_length=4,
        sequence_stride=3,
        sampling_rate=2,
        batch_size=5,
        start_index=3,
        end_index=40,
    )
    windows, labels = zip(*ds.as_numpy_iterator())
    windows, labels = np.concatenate(windows), np.concatenate(labels)
    starts = np.arange(0, 40 - 3 - 3 * 2, 3)
    np.testing.assert_array_equal(windows, [data[3 + s : 3 + s + 8 : 2] for s in starts])
    np.testing.assert_array_equal(labels, targets[3 + starts])
    shuffled = ff.keras.utils.timeseries_dataset_from_array(
        data, None, sequence_length=5, batch_size=None, shuffle=True, seed=1
    )
    firsts = sorted(int(w[0, 0]) for w in shuffled.as_numpy_iterator())
    assert firsts == list(range(0, 92, 2))
    with pytest.raises(ValueError, match="sampling_rate"):
        ff.keras.utils.timeseries_dataset_from_array(data, None, 3, sampling_rate=0)


def _model(keras, seed):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential(
        [keras.layers.Input((3,)), keras.layers.Dense(4), keras.layers.Dense(2)]
    )
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    return model


def test_fit_evaluate_and_predict_take_datasets_as_they_take_arrays():
    keras = ff.keras
    x = np.random.default_rng(1).normal(size=(40, 3)).astype(np.float32)
    y = np.stack([x.sum(1), x[:, 0] - x[:, 2]], 1).astype(np.float32)
    ds = ff.data.Dataset.from_tensor_slices((x, y)).batch(8)
    val = ff.data.Dataset.from_tensor_slices((x[:16], y[:16])).batch(8)

    from_dataset = _model(keras, 3)
    history = from_dataset.fit(ds, epochs=3, validation_data=val, verbose=0)
    from_arrays = _model(keras, 3)
    reference = from_arrays.fit(
        x, y, batch_size=8, epochs=3, shuffle=False, validation_data=(x[:16], y[:16]), verbose=0
    )
    # Every epoch went through the whole dataset, in order: the same steps as from arrays.
    for a, b in zip(from_dataset.get_weights(), from_arrays.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(history.history["loss"], reference.history["loss"], rtol=1e-5)
    np.testing.assert_allclose(
        history.history["val_loss"], reference.history["val_loss"], rtol=1e-5
    )
    assert from_dataset.evaluate(ds, verbose=0) == pytest.approx(
        from_arrays.evaluate(x, y, verbose=0), rel=1e-5
    )
    predicted = from_dataset.predict(ds.map(lambda a, b: a), verbose=0)
    np.testing.assert_allclose(predicted, from_arrays.predict(x, verbose=0), rtol=1e-5, atol=1e-6)


def test_fit_with_unknown_cardinality_class_weights_and_refused_arguments():
    keras = ff.keras
    x = np.random.default_rng(2).normal(size=(24, 3)).astype(np.float32)
    labels = (x[:, 0] > 0).astype(np.int64)
    ds = ff.data.Dataset.from_tensor_slices((x, labels)).filter(lambda a, b: True).batch(6)
    assert ds.cardinality() == ff.data.UNKNOWN_CARDINALITY
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.layers.Input((3,)), keras.layers.Dense(2)])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", weighted_metrics=[])
    history = model.fit(ds, epochs=2, class_weight={1: 3.0}, verbose=0)
    assert len(history.history["loss"]) == 2
    # Classes the dict leaves out weigh 1, as in Keras: the same as fitting with weights.
    weights = np.where(labels == 1, 3.0, 1.0).astype(np.float32)
    weighted = ff.data.Dataset.from_tensor_slices((x, labels, weights)).batch(6)
    trained = []
    for data, kw in ((ds, {"class_weight": {1: 3.0}}), (weighted, {})):
        keras.utils.set_random_seed(0)
        m = keras.Sequential([keras.layers.Input((3,)), keras.layers.Dense(2)])
        m.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", weighted_metrics=[])
        m.fit(data, epochs=2, verbose=0, **kw)
        trained.append(m.get_weights())
    for a, b in zip(*trained):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    with pytest.raises(ValueError, match="`y` should not be passed"):
        model.fit(ds, labels, verbose=0)


def test_preprocessing_layers_run_inside_map():
    keras = ff.keras
    images = np.random.default_rng(4).random((8, 20, 20, 3)).astype(np.float32) * 255
    ds = ff.data.Dataset.from_tensor_slices((images, np.arange(8))).batch(4)
    augment = keras.Sequential(
        [
            keras.layers.Rescaling(1 / 255.0),
            keras.layers.Resizing(10, 12),
            keras.layers.RandomFlip(),
        ]
    )
    batches = list(ds.map(lambda x, y: (augment(x, training=True), y)).as_numpy_iterator())
    assert [b[0].shape for b in batches] == [(4, 10, 12, 3)] * 2
    assert all(0.0 <= b[0].min() and b[0].max() <= 1.0 for b in batches)
    rescaled = next(ds.map(lambda x, y: keras.layers.Rescaling(0.5)(x)).as_numpy_iterator())
    np.testing.assert_allclose(rescaled, images[:4] * 0.5, rtol=1e-6)
