"""tf.image's colour adjustments, rotations, flips, crop-or-pad and resize-with-pad against
what TensorFlow returns for the same images (tests/data/image_adjust.npz, written by
make_image_adjust.py), eagerly and inside traced map functions; and the seeded random
adjustments."""

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
    if op == "resize_with_pad":
        np.testing.assert_allclose(actual, expected, rtol=0, atol=1e-3, err_msg=op)
    elif expected.dtype == np.uint8:
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


def test_random_flip_up_down_flips_whole_images_reproducibly():
    images = np.random.default_rng(2).integers(0, 255, (32, 4, 3, 1), dtype=np.uint8)

    def run(parallel):
        ds = Dataset.from_tensor_slices(images).map(
            lambda x: ff.image.random_flip_up_down(x, seed=3), num_parallel_calls=parallel
        )
        return np.stack(list(ds))

    out = run(None)
    np.testing.assert_array_equal(out, run(ff.data.AUTOTUNE))
    flipped = [np.array_equal(o, i[::-1]) for o, i in zip(out, images)]
    kept = [np.array_equal(o, i) for o, i in zip(out, images)]
    assert all(f or k for f, k in zip(flipped, kept)) and 4 < sum(flipped) < 28


STATELESS = [
    lambda x, s: ff.image.stateless_random_brightness(x, 0.4, s),
    lambda x, s: ff.image.stateless_random_contrast(x, 0.2, 1.5, s),
    lambda x, s: ff.image.stateless_random_saturation(x, 0.2, 3.0, s),
    lambda x, s: ff.image.stateless_random_hue(x, 0.3, s),
    lambda x, s: ff.image.stateless_random_flip_left_right(x, s),
    lambda x, s: ff.image.stateless_random_flip_up_down(x, s),
    lambda x, s: ff.image.stateless_random_crop(x, [5, 4, 3], s),
]


@pytest.mark.parametrize("op", STATELESS)
def test_stateless_ops_depend_on_the_seed_alone(op):
    image = GOLDEN["input|uint8"]
    first = op(image, (1, 2))
    np.testing.assert_array_equal(first, op(image, np.array([1, 2], np.int64)))
    results = [np.asarray(op(image, (seed, seed + 9))) for seed in range(12)]
    assert len({r.tobytes() for r in results}) > 1
    # Traced with the seeds a counter zipped beside the images gives: the same values.
    ds = Dataset.zip((Dataset.from_tensors(image).repeat(12), (ff.data.Dataset.counter(),) * 2))
    traced = ds.map(lambda x, seed: op(x, (seed[0], ff.cast(seed[1], ff.int64) + 9)))
    it = iter(traced)
    for expected, got in zip(results, it):
        np.testing.assert_array_equal(got, expected)
    assert [s["notes"] for s in it.stats() if s["name"] == "Map"] == [[]]
    with pytest.raises(ff.errors.InvalidArgumentError, match="two int32 or int64 values"):
        op(image, (1, 2, 3))


def test_random_hue_turns_each_image_by_its_own_delta():
    images = np.random.default_rng(6).random((16, 5, 4, 3), dtype=np.float32)

    def run(parallel):
        ds = Dataset.from_tensor_slices(images).map(
            lambda x: ff.image.random_hue(x, 0.4, seed=3), num_parallel_calls=parallel
        )
        return np.stack(list(ds))

    first = run(None)
    np.testing.assert_array_equal(first, run(ff.data.AUTOTUNE))
    # A hue turn keeps each pixel's largest and smallest value.
    np.testing.assert_allclose(first.max(-1), images.max(-1), atol=1e-6)
    np.testing.assert_allclose(first.min(-1), images.min(-1), atol=1e-6)
    turned = [not np.allclose(a, b, atol=1e-6) for a, b in zip(first, images)]
    assert sum(turned) >= 14
    with pytest.raises(ValueError, match="max_delta must be <= 0.5"):
        ff.image.random_hue(images[0], 0.6)
    with pytest.raises(ValueError, match="Gamma should be a non-negative"):
        ff.image.adjust_gamma(images[0], -1.0)


def test_split_seeds_and_counters():
    seeds = ff.random.split((4, 5), 3)
    assert seeds.shape == (3, 2) and seeds.dtype == np.int32
    np.testing.assert_array_equal(seeds, ff.random.split((4, 5), 3))
    assert len({tuple(s) for s in seeds.numpy()}) == 3
    wide = ff.random.split(np.array([4, 5], np.int64), 2)
    assert wide.dtype == np.int64 and not np.array_equal(wide, ff.random.split((4, 6), 2))
    counter = ff.data.Dataset.counter(10, -3, ff.int32)
    assert counter.cardinality() == ff.data.INFINITE_CARDINALITY
    assert [int(v) for v in counter.take(3)] == [10, 7, 4]
    assert [int(v) for v in ff.data.experimental.Counter(step=0).take(2)] == [0, 0]
    ds = Dataset.zip((ff.data.Dataset.counter(), ff.data.Dataset.counter(1)))
    traced = ds.map(lambda a, b: ff.random.split((a, b), 2)[1, :]).take(3)
    for (a, b), got in zip(ds.take(3), traced):
        np.testing.assert_array_equal(got, ff.random.split(np.array([a, b]), 2)[1])


def test_the_augmentation_tutorial_runs_natively_and_reproducibly():
    size = 24
    images = np.random.default_rng(0).integers(0, 255, (10, 30, 40, 3), dtype=np.uint8)
    train = Dataset.from_tensor_slices((images, np.arange(10)))

    def augment(image_label, seed):
        image, label = image_label
        image = ff.image.resize(ff.cast(image, ff.float32), [size, size]) / 255.0
        image = ff.image.resize_with_crop_or_pad(image, size + 6, size + 6)
        new_seed = ff.random.split(seed, num=1)[0, :]
        image = ff.image.stateless_random_crop(image, size=[size, size, 3], seed=seed)
        image = ff.image.stateless_random_brightness(image, max_delta=0.5, seed=new_seed)
        return ff.clip_by_value(image, 0, 1), label

    counter = ff.data.experimental.Counter()
    ds = Dataset.zip((train, (counter, counter))).map(augment, num_parallel_calls=ff.AUTOTUNE)
    it = iter(ds.batch(4))
    first = [(x, y) for x, y in it]
    assert [x.shape for x, _ in first] == [(4, size, size, 3)] * 2 + [(2, size, size, 3)]
    assert all(x.min() >= 0 and x.max() <= 1 for x, _ in first)
    assert [s["notes"] for s in it.stats() if "Map" in s["name"]] == [[]]
    again = list(ds.batch(4))
    for (x, y), (x2, y2) in zip(first, again):
        np.testing.assert_array_equal(x, x2)
        np.testing.assert_array_equal(y, y2)


def test_random_tensors_eagerly_follow_their_distributions():
    values = ff.random.uniform([200, 50], -2.0, 3.0, seed=1)
    assert values.dtype == np.float32 and values.shape == (200, 50)
    assert values.min() >= -2.0 and values.max() < 3.0 and abs(values.mean() - 0.5) < 0.05
    ints = ff.random.uniform([1000], 5, 8, dtype=ff.int64)
    assert ints.dtype == np.int64 and set(np.unique(ints.numpy())) == {5, 6, 7}
    with pytest.raises(ValueError, match="maxval"):
        ff.random.uniform([2], dtype=ff.int32)
    normal = ff.random.normal([20_000], 3.0, 0.5, dtype=ff.float64)
    assert abs(normal.mean() - 3.0) < 0.02 and abs(normal.std() - 0.5) < 0.02
    np.testing.assert_array_equal(
        ff.random.stateless_uniform([4], (7, 8)), ff.random.stateless_uniform([4], (7, 8))
    )
    assert not np.array_equal(
        ff.random.stateless_normal([4], (7, 8)), ff.random.stateless_normal([4], (7, 9))
    )


def test_random_tensors_in_a_traced_map_differ_per_element_and_reproduce_under_a_seed():
    def make():
        ff.random.set_seed(21)
        noisy = lambda x: ff.cast(x, ff.float32) + ff.random.uniform([2])  # noqa: E731
        return Dataset.range(50).map(noisy, num_parallel_calls=ff.data.AUTOTUNE)

    try:
        it = iter(make())
        first = np.stack(list(it))
        again = np.stack(list(make()))
    finally:
        ff.random.set_seed(None)
    assert [s["notes"] for s in it.stats() if "Map" in s["name"]] == [[]]
    np.testing.assert_array_equal(first, again)
    noise = first - np.arange(50, dtype=np.float32)[:, None]
    assert noise.min() >= 0 and noise.max() < 1 and len(np.unique(noise)) == 100


def test_edge_cases_of_images_as_tensorflow():
    empty = np.zeros((0, 0, 3), np.float32)
    assert ff.image.adjust_contrast(empty, 2.0).shape == (0, 0, 3)
    image = GOLDEN["input|uint8"]
    for op in (ff.image.pad_to_bounding_box, ff.image.crop_to_bounding_box):
        with pytest.raises(ValueError, match="offset_height must be >= 0"):
            op(image, -1, 0, 4, 4)
    with pytest.raises(ff.errors.InvalidArgumentError, match="does not fit"):
        ff.image.pad_to_bounding_box(image, 2**62, 0, 4, 4)
    with pytest.raises(ValueError, match="Last dimension of a grayscale image should be size 1"):
        ff.image.grayscale_to_rgb(image)


def test_random_edge_cases():
    wide = ff.random.uniform([64], 2**53, 2**53 + 4, dtype=ff.int64, seed=3)
    assert set(np.unique((wide - 2**53).numpy())) <= {0, 1, 2, 3} and (wide % 2 == 1).any()
    whole = ff.random.uniform([8], -(2**63), 2**63 - 1, dtype=ff.int64, seed=3)
    assert whole.dtype == np.int64 and len(set(whole.numpy())) == 8
    below_one = ff.random.stateless_uniform([1 << 16], (1, 2), 0.999999, 1.0)
    assert below_one.max() < 1.0
    with pytest.raises(ff.errors.ResourceExhaustedError, match="cannot allocate"):
        ff.random.uniform([2**40, 2**30])
