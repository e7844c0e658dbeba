"""The image functions of Inception-style pipelines against TensorFlow's outputs
(tests/data/image_boxes.npz, written by tests/data/make_image_boxes.py), eagerly and
traced; sample_distorted_bounding_box against TensorFlow's algorithm's guarantees."""

from pathlib import Path

import numpy as np
import pytest

import ferroflow as tf

GOLDEN = np.load(Path(__file__).parent / "data" / "image_boxes.npz")


def traced(fn, *args):
    it = iter(tf.data.Dataset.from_tensors(tuple(args)).map(fn))
    out = next(it)
    notes = [n for stage in it.stats() for n in stage["notes"]]
    assert not any("runs as Python" in n for n in notes), notes
    return out.numpy()


def test_hsv_conversions_match_tensorflow():
    rgb, hsv = GOLDEN["hsv|input"], GOLDEN["hsv|hsv_input"]
    np.testing.assert_array_equal(tf.image.rgb_to_hsv(rgb), GOLDEN["rgb_to_hsv"])
    np.testing.assert_array_equal(tf.image.hsv_to_rgb(hsv), GOLDEN["hsv_to_rgb"])
    np.testing.assert_array_equal(traced(tf.image.rgb_to_hsv, rgb), GOLDEN["rgb_to_hsv"])
    np.testing.assert_allclose(tf.image.hsv_to_rgb(tf.image.rgb_to_hsv(rgb)), rgb, atol=1e-6)


CROPS = [k for k in GOLDEN.files if k.startswith("crop|") and k.count("|") == 3]


@pytest.mark.parametrize("key", CROPS)
def test_crop_and_resize_matches_tensorflow(key):
    _, method, size, extrapolation = key.split("|")
    crop = tuple(int(v) for v in size.split("x"))
    args = (GOLDEN["crop|image"], GOLDEN["crop|boxes"], GOLDEN["crop|indices"])

    def run(image, boxes, indices):
        return tf.image.crop_and_resize(
            image, boxes, indices, crop, method=method, extrapolation_value=float(extrapolation)
        )

    np.testing.assert_array_equal(run(*args), GOLDEN[key])
    np.testing.assert_array_equal(traced(run, *args), GOLDEN[key])


def test_crop_and_resize_names_a_bad_box_index():
    with pytest.raises(tf.errors.InvalidArgumentError, match="box_indices has 5"):
        tf.image.crop_and_resize(np.zeros((1, 4, 4, 1)), [[0, 0, 1, 1]], [5], (2, 2))


def test_jpeg_headers_and_base64_match_tensorflow(fixtures):
    for key in GOLDEN.files:
        name = key.split("|")[-1]
        if key.startswith("jpeg_shape|"):
            data = (fixtures / "images" / name).read_bytes()
            np.testing.assert_array_equal(tf.io.extract_jpeg_shape(data), GOLDEN[key])
            assert tf.image.extract_jpeg_shape(data).dtype is tf.int32
        if key.startswith("is_jpeg|"):
            data = (fixtures / "images" / name).read_bytes()
            assert bool(tf.io.is_jpeg(data)) == bool(GOLDEN[key])
    raw = [bytes(b) for b in GOLDEN["base64|input"]]
    assert tf.io.encode_base64(raw, pad=True).numpy().tolist() == list(GOLDEN["base64|pad"])
    assert tf.io.encode_base64(raw).numpy().tolist() == list(GOLDEN["base64|nopad"])
    assert tf.io.decode_base64(GOLDEN["base64|pad"].astype(object)).numpy().tolist() == raw
    assert tf.io.decode_base64(GOLDEN["base64|nopad"].astype(object)).numpy().tolist() == raw
    with pytest.raises(tf.errors.InvalidArgumentError, match="decode_base64: string 0"):
        tf.io.decode_base64(["not base64!"])
    with pytest.raises(tf.errors.InvalidArgumentError, match="Invalid JPEG data"):
        tf.io.extract_jpeg_shape(b"not a jpeg")


def test_decode_and_crop_jpeg_equals_decode_then_crop(fixtures):
    data = (fixtures / "images" / "rgb_444.jpg").read_bytes()
    whole = tf.io.decode_jpeg(data, channels=3).numpy()
    window = tf.io.decode_and_crop_jpeg(data, [10, 20, 30, 40], channels=3)
    np.testing.assert_array_equal(window, whole[10:40, 20:60])
    got = traced(lambda d: tf.image.decode_and_crop_jpeg(d, tf.constant([1, 2, 3, 4])), data)
    np.testing.assert_array_equal(got, whole[1:4, 2:6])
    with pytest.raises(tf.errors.InvalidArgumentError, match="outside"):
        tf.io.decode_and_crop_jpeg(data, [90, 0, 10, 10])


@pytest.mark.parametrize(
    "mode,options",
    [
        ("RGB", {"subsampling": 2}),  # 4:2:0
        ("RGB", {"subsampling": 1}),  # 4:2:2
        ("RGB", {"subsampling": 0}),  # 4:4:4
        ("L", {}),
        ("RGB", {"progressive": True}),
    ],
)
def test_a_window_decoded_alone_equals_the_whole_decode_within_its_side_edges(mode, options):
    import io

    from PIL import Image

    rng = np.random.default_rng(7)
    height, width = 203, 157  # not whole MCUs either way
    noise = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
    smooth = np.cumsum(np.cumsum(noise.astype(np.int64) - 127, 0), 1)
    pixels = ((smooth - smooth.min()) * 255 // max(1, np.ptp(smooth))).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).convert(mode).save(buffer, "JPEG", quality=90, **options)
    data = buffer.getvalue()
    whole = tf.io.decode_jpeg(data).numpy()
    windows = [[0, 0, height, width], [height - 1, width - 1, 1, 1], [0, 0, 1, 1]]
    windows += [[height - 9, 3, 9, 40], [150, 0, 53, width], [170, 10, 1, 5]]
    for _ in range(150):
        y, x = int(rng.integers(0, height)), int(rng.integers(0, width))
        h, w = int(rng.integers(1, height - y + 1)), int(rng.integers(1, width - x + 1))
        windows.append([y, x, h, w])
    # libjpeg upsamples chroma at a cropped row's ends as at the image's edges, and so does
    # TensorFlow's decode_and_crop_jpeg: with chroma subsampled across, a window's first and
    # last columns may differ from the whole decode's; the rest may not.
    subsampled = mode == "RGB" and options.get("subsampling") != 0
    for y, x, h, w in windows:
        got = tf.io.decode_and_crop_jpeg(data, [y, x, h, w]).numpy()
        want = whole[y : y + h, x : x + w]
        if subsampled:
            got, want = got[:, 1:-1], want[:, 1:-1]
        np.testing.assert_array_equal(got, want, err_msg=str([y, x, h, w]))
    with pytest.raises(tf.errors.InvalidArgumentError, match="outside"):
        tf.io.decode_and_crop_jpeg(data, [height - 5, 0, 6, 4])
    with pytest.raises(tf.errors.InvalidArgumentError, match="positive height"):
        tf.io.decode_and_crop_jpeg(data, [0, 0, 0, 4])


def test_sample_distorted_bounding_box_keeps_tensorflows_guarantees():
    boxes = tf.constant([[[0.1, 0.2, 0.5, 0.7]]], tf.float32)
    size = [120, 160, 3]
    covered = []
    for seed in range(40):
        begin, extent, bbox = tf.image.stateless_sample_distorted_bounding_box(
            size,
            boxes,
            seed=[seed, 1],
            min_object_covered=0.5,
            aspect_ratio_range=(0.5, 2.0),
            area_range=(0.1, 0.9),
        )
        y, x, _ = begin.numpy().tolist()
        h, w, c = extent.numpy().tolist()
        assert c == -1 and 0 <= y and y + h <= 120 and 0 <= x and x + w <= 160
        if (h, w) != (120, 160):
            assert 0.1 * 120 * 160 <= h * w <= 0.9 * 120 * 160 and 0.45 <= w / h <= 2.05
            overlap = max(0, min(y + h, 60) - max(y, 12)) * max(0, min(x + w, 112) - max(x, 32))
            covered.append(overlap / (48 * 80))
        np.testing.assert_allclose(bbox[0, 0], [y / 120, x / 160, (y + h) / 120, (x + w) / 160])
        image = np.zeros(size, np.uint8)
        assert tf.slice(image, begin, extent).shape == (h, w, 3)
    assert covered and min(covered) >= 0.5
    again = tf.image.stateless_sample_distorted_bounding_box(size, boxes, seed=[3, 1])
    first = tf.image.stateless_sample_distorted_bounding_box(size, boxes, seed=[3, 1])
    assert again[0].numpy().tolist() == first[0].numpy().tolist()
    a = [
        tf.image.sample_distorted_bounding_box(size, boxes, seed=5)[1].numpy().tolist()
        for _ in range(5)
    ]
    assert len({tuple(v) for v in a}) > 1  # each call draws anew
    with pytest.raises(tf.errors.InvalidArgumentError, match="use_image_if_no_bounding_boxes"):
        tf.image.sample_distorted_bounding_box(size, np.zeros((1, 0, 4), np.float32))
    whole = tf.image.sample_distorted_bounding_box(
        size, np.zeros((1, 0, 4), np.float32), use_image_if_no_bounding_boxes=True
    )
    assert whole[1].numpy().tolist()[2] == -1


def test_inception_crop_in_a_pipeline(fixtures):
    data = (fixtures / "images" / "rgb_444.jpg").read_bytes()

    def crop(contents):
        shape = tf.image.extract_jpeg_shape(contents)
        begin, size, _ = tf.image.sample_distorted_bounding_box(
            shape, tf.constant([[[0.0, 0.0, 1.0, 1.0]]]), seed=1, area_range=(0.3, 1.0)
        )
        offset_y, offset_x, _ = tf.unstack(begin)
        height, width, _ = tf.unstack(size)
        window = tf.stack([offset_y, offset_x, height, width])
        image = tf.image.decode_and_crop_jpeg(contents, window, channels=3)
        return tf.image.resize(image, [32, 32])

    ds = tf.data.Dataset.from_tensors(data).repeat(3).map(crop)
    assert [b.shape for b in ds.as_numpy_iterator()] == [(32, 32, 3)] * 3
    it = iter(ds)
    next(it)
    notes = [n for stage in it.stats() for n in stage["notes"]]
    assert not any("runs as Python" in n for n in notes), notes


def test_sampled_boxes_in_a_pipeline_differ_per_element_and_repeat_with_a_seed():
    def boxes(seed):
        ds = tf.data.Dataset.range(8).map(
            lambda i: tf.image.sample_distorted_bounding_box(
                [90, 120, 3], tf.constant([[[0.2, 0.2, 0.6, 0.7]]]), seed=seed
            )
        )
        return [tuple(np.concatenate([b, s]).tolist()) for b, s, _ in ds.as_numpy_iterator()]

    first = boxes(3)
    assert first == boxes(3) and len(set(first)) > 1 and first != boxes(4)
    stateless = tf.data.Dataset.range(2).map(
        lambda i: tf.image.stateless_sample_distorted_bounding_box(
            [90, 120, 3], tf.constant([[[0.2, 0.2, 0.6, 0.7]]]), seed=[5, 6]
        )[1]
    )
    a, b = stateless.as_numpy_iterator()
    np.testing.assert_array_equal(a, b)  # the seed alone decides
    np.testing.assert_array_equal(
        a,
        tf.image.stateless_sample_distorted_bounding_box(
            [90, 120, 3], tf.constant([[[0.2, 0.2, 0.6, 0.7]]]), seed=[5, 6]
        )[1],
    )
