"""tf.image's colour adjustments, rotations, flips and crop-or-pad against what TensorFlow
returns for the same images (tests/data/image_adjust.npz, written by make_image_adjust.py),
eagerly and inside traced map functions; and the seeded random adjustments."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import ferroflow as ff
from ferroflow.data import Dataset

GOLDEN = np.load(Path(__file__).parent / "data" / "image_adjust.npz")
CASES = [key.split("|") for key in GOLDEN.files if not key.startswith("input|")]


def _arguments(text: str) -> list[float | int]:
    return [float(a) if "." in a else int(a) for a in text.split(",") if a]


def _assert_like_tensorflow(actual: np.ndarray, expected: np.ndarray, op: str) -> None:
    assert actual.shape == expected.shape and actual.dtype == expected.dtype
    if expected.dtype == np.uint8:
        np.testing.assert_array_equal(actual, expected, err_msg=op)
    else:
        # Contrast sums each channel in another order than TensorFlow: within an ulp or two.
        np.testing.assert_allclose(actual, expected, rtol=0, atol=3e-7, err_msg=op)


@pytest.mark.parametrize(("op", "image", "args"), CASES, ids=["|".join(c) for c in CASES])
def test_matches_tensorflow_eagerly_and_traced(op, image, args):
    value = GOLDEN[f"input|{image}"]
    expected = GOLDEN[f"{op}|{image}|{args}"]
    fn = getattr(ff.image, op)
    arguments = _arguments(args)
    _assert_like_tensorflow(np.asarray(fn(value, *arguments)), expected, op)
    ds = Dataset.from_tensors(value).map(lambda x: fn(x, *arguments))
    it = iter(ds)
    (traced,) = list(it)
    _assert_like_tensorflow(traced, expected, op)
    assert [s["notes"] for s in it.stats() if s["name"] == "Map"] == [[]]
    assert ds.element_spec.shape.as_list() == list(expected.shape)


def test_grayscale_round_trip_and_transpose():
    image = GOLDEN["input|uint8"]
    gray = ff.image.rgb_to_grayscale(image)
    rgb = ff.image.grayscale_to_rgb(gray)
    assert rgb.shape == image.shape
    np.testing.assert_array_equal(rgb, np.repeat(gray, 3, axis=-1))
    np.testing.assert_array_equal(ff.transpose(image), image.transpose())
    np.testing.assert_array_equal(ff.transpose(image, [2, 0, 1]), image.transpose(2, 0, 1))
    with pytest.raises(ff.errors.InvalidArgumentError, match="permutation"):
        ff.transpose(image, [0, 0, 1])


def test_bad_arguments_are_named():
    image = GOLDEN["input|uint8"]
    with pytest.raises(ValueError, match="upper must be > lower"):
        ff.image.random_contrast(image, 0.5, 0.5)
    with pytest.raises(ValueError, match="lower must be non-negative"):
        ff.image.random_saturation(image, -0.1, 0.5)
    with pytest.raises(ff.errors.InvalidArgumentError, match="3 channels"):
        ff.image.adjust_saturation(image[..., :2], 2.0)
    with pytest.raises(ff.errors.InvalidArgumentError, match="does not fit"):
        ff.image.pad_to_bounding_box(image, 4, 0, 10, 7)


@pytest.mark.parametrize(
    ("random_op", "adjust_op", "low", "high"),
    [
        (lambda x, s: ff.image.random_contrast(x, 0.2, 1.8, seed=s), "adjust_contrast", 0.2, 1.8),
        (
            lambda x, s: ff.image.random_saturation(x, 0.5, 3.0, seed=s),
            "adjust_saturation",
            0.5,
            3.0,
        ),
    ],
)
def test_random_adjustments_are_seeded_and_stay_in_range(random_op, adjust_op, low, high):
    images = np.random.default_rng(5).random((24, 6, 5, 3), dtype=np.float32)

    def run(parallel):
        ds = Dataset.from_tensor_slices(images).map(
            lambda x: random_op(x, 7), num_parallel_calls=parallel
        )
        return np.stack(list(ds))

    first = run(None)
    np.testing.assert_array_equal(first, run(ff.data.AUTOTUNE))
    # Each output is the adjustment by some factor in range: the extremes bound it.
    lo = np.stack([getattr(ff.image, adjust_op)(x, low) for x in images])
    hi = np.stack([getattr(ff.image, adjust_op)(x, high) for x in images])
    between = (first >= np.minimum(lo, hi) - 1e-6) & (first <= np.maximum(lo, hi) + 1e-6)
    assert between.all()
    assert not np.array_equal(first[0] - lo[0], first[1] - lo[1])  # factors differ per element
