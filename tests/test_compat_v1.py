"""``ff.compat.v1``: TensorFlow 1's resizing grids against TensorFlow's outputs
(tests/data/resize_v1.npz, written by tests/data/make_resize_v1.py), and its data names."""

from pathlib import Path

import numpy as np
import pytest

import ferroflow as tf

GOLDEN = np.load(Path(__file__).parent / "data" / "resize_v1.npz")
IMAGES = GOLDEN["input"]
v1 = tf.compat.v1


def _resize(key, images):
    kind, size, *rest = key.split("|")
    size = tuple(int(v) for v in size.split("x"))
    if kind == "bilinear":
        return v1.image.resize_bilinear(images, size, align_corners=rest[0] == "True")
    if kind == "nearest":
        return v1.image.resize_nearest_neighbor(images, size, align_corners=rest[0] == "True")
    if kind == "bilinear_hp":
        return v1.image.resize_bilinear(images, size, half_pixel_centers=True)
    return tf.image.resize(images, size)


@pytest.mark.parametrize("key", [k for k in GOLDEN.files if k != "input"])
def test_tf1_resizing_matches_tensorflow(key):
    got = _resize(key, IMAGES)
    assert got.dtype == GOLDEN[key].dtype
    np.testing.assert_allclose(got, GOLDEN[key], atol=1e-4)
    ds = tf.data.Dataset.from_tensors(IMAGES).map(lambda x: _resize(key, x))
    it = iter(ds)
    np.testing.assert_allclose(next(it), GOLDEN[key], atol=1e-4)
    assert not any("runs as Python" in n for stage in it.stats() for n in stage["notes"])


def test_tf1_and_tf2_grids_differ_as_tensorflows_do():
    tf1 = GOLDEN["bilinear|5x7|False"].astype(np.float64)
    tf2 = GOLDEN["v2|5x7"].astype(np.float64)
    assert np.abs(tf1 - tf2).max() > 20  # why code written for TF1 needs compat.v1
    resized = v1.image.resize_images(IMAGES, (5, 7), align_corners=True)
    np.testing.assert_allclose(resized, GOLDEN["bilinear|5x7|True"], atol=1e-4)
    with pytest.raises(ValueError, match="half_pixel_centers"):
        v1.image.resize_bilinear(IMAGES, (5, 7), align_corners=True, half_pixel_centers=True)


def test_tf1_data_names():
    ds = tf.data.Dataset.range(2).map(lambda x: {"x": x, "y": tf.fill([x], 1.0)})
    it = v1.data.make_one_shot_iterator(ds)
    assert int(it.get_next()["x"]) == 0 and int(it.get_next()["x"]) == 1
    with pytest.raises(tf.errors.OutOfRangeError):
        it.get_next()
    assert v1.data.get_output_shapes(ds) == {"x": tf.TensorShape([]), "y": tf.TensorShape([None])}
    assert v1.data.get_output_types(ds) == {"x": tf.int64, "y": tf.float32}
    assert (
        v1.io.FixedLenFeature is tf.io.FixedLenFeature and v1.parse_example is tf.io.parse_example
    )
