"""JPEG decoding against TensorFlow: decode_jpeg's options (dct_method, fancy_upscaling,
ratio, channels) and decode_and_crop_jpeg's windows on JPEGs of every layout
(tests/data/jpeg_decode.npz, written by tests/data/make_jpeg_decode.py), eagerly and traced.
TensorFlow decodes with libjpeg-turbo; so does ferroflow (its algorithms, in Rust): the pixels
are equal, not merely close."""

import json
from pathlib import Path

import numpy as np
import pytest

import ferroflow as tf

GOLDEN = np.load(Path(__file__).parent / "data" / "jpeg_decode.npz")

# The option sets the goldens were written with, by the names their keys use.
OPTIONS = json.loads(str(GOLDEN["options"]))
DECODES = sorted(k for k in GOLDEN.files if k.startswith("decode|"))
CROPS = sorted(k for k in GOLDEN.files if k.startswith("crop|"))


def _file(name):
    return GOLDEN[f"file|{name}"].tobytes()


def _options(name):
    return {"channels": 3, **OPTIONS[name]}


def test_the_goldens_cover_every_layout_and_option():
    names = {k.split("|")[1] for k in DECODES}
    assert len(names) == 6 and {k.split("|")[2] for k in DECODES} == set(OPTIONS)
    assert len(CROPS) > 100


@pytest.mark.parametrize("key", DECODES)
def test_decode_jpeg_equals_tensorflow(key):
    _, name, options = key.split("|")
    got = tf.io.decode_jpeg(_file(name), **_options(options))
    assert got.dtype == np.uint8
    np.testing.assert_array_equal(got, GOLDEN[key])


@pytest.mark.parametrize("key", CROPS)
def test_decode_and_crop_jpeg_equals_tensorflow(key):
    _, name, window, options = key.split("|")
    window = [int(v) for v in window.split(",")]
    got = tf.image.decode_and_crop_jpeg(_file(name), window, **_options(options))
    np.testing.assert_array_equal(got, GOLDEN[key])


@pytest.mark.parametrize("name", ["rgb_420.jpg", "rgb_444.jpg", "progressive.jpg", "gray.jpg"])
def test_the_fast_idct_gives_tensorflows_default_pixels(fixtures, name):
    data = (fixtures / "images" / name).read_bytes()
    truth = np.load(fixtures / "images" / f"{name}.decoded.npy")
    got = tf.io.decode_jpeg(data, channels=3, dct_method="INTEGER_FAST")
    np.testing.assert_array_equal(got, truth)


def test_traced_decodes_take_the_same_options():
    name = "gen_420.jpg"
    key = next(k for k in CROPS if k.startswith(f"crop|{name}|") and k.endswith("|ratio2"))
    window = [int(v) for v in key.split("|")[2].split(",")]

    def decode(data):
        whole = tf.io.decode_jpeg(data, channels=3, ratio=2, dct_method="INTEGER_ACCURATE")
        crop = tf.image.decode_and_crop_jpeg(
            data, tf.constant(window), channels=3, ratio=2, dct_method="INTEGER_ACCURATE"
        )
        return whole, crop

    whole, crop = next(iter(tf.data.Dataset.from_tensors(_file(name)).map(decode)))
    np.testing.assert_array_equal(whole, GOLDEN[f"decode|{name}|ratio2"])
    np.testing.assert_array_equal(crop, GOLDEN[key])


def test_options_tensorflow_refuses_are_refused():
    data = _file("gen_420.jpg")
    with pytest.raises(tf.errors.InvalidArgumentError, match="dct_method must be one of"):
        tf.io.decode_jpeg(data, dct_method="INTEGER_SLOW")
    with pytest.raises(tf.errors.InvalidArgumentError, match="ratio must be 1, 2, 4, or 8"):
        tf.io.decode_jpeg(data, ratio=3)
    with pytest.raises(tf.errors.InvalidArgumentError, match="ratio must be 1, 2, 4, or 8"):
        tf.image.decode_and_crop_jpeg(data, [0, 0, 4, 4], ratio=16)
    with pytest.raises(tf.errors.InvalidArgumentError, match="Unsupported color conversion"):
        tf.io.decode_jpeg(_file("gen_cmyk.jpg"), channels=1)
    # A window is in pixels of the scaled image: the half-size image is 26 rows high.
    with pytest.raises(tf.errors.InvalidArgumentError, match="outside the 26x22 image"):
        tf.image.decode_and_crop_jpeg(data, [20, 0, 7, 4], ratio=2)
