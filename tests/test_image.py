"""Image decoding and transforms against TensorFlow's outputs in ../shared/fixtures/images."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import ferroflow as ff
from ferroflow.data import Dataset

JPEGS = ["rgb_420.jpg", "rgb_444.jpg", "progressive.jpg", "gray.jpg"]
PNGS = ["rgb.png", "rgba.png", "gray.png"]


def _read(fixtures, name):
    return (fixtures / "images" / name).read_bytes()


def _truth(fixtures, name, suffix="decoded"):
    return np.load(fixtures / "images" / f"{name}.{suffix}.npy")


@pytest.mark.parametrize("name", PNGS)
def test_png_decodes_exactly(fixtures, name):
    img = ff.io.decode_image(_read(fixtures, name), channels=3)
    np.testing.assert_array_equal(img, _truth(fixtures, name))
    assert img.dtype == np.uint8 and ff.io.decode_png(_read(fixtures, name), 3).shape == img.shape


@pytest.mark.parametrize("name", JPEGS)
def test_jpeg_decodes_within_idct_tolerance(fixtures, name):
    # JPEG decoders differ by IDCT rounding and chroma upsampling: the stated tolerance is a
    # mean absolute difference of at most 1.5 levels and 99.9% of values within 6 levels.
    img = ff.io.decode_jpeg(_read(fixtures, name), channels=3)
    truth = _truth(fixtures, name)
    assert img.shape == truth.shape == (96, 80, 3)
    diff = np.abs(img.astype(int) - truth.astype(int))
    assert diff.mean() <= 1.5 and np.percentile(diff, 99.9) <= 6


def test_channels_argument(fixtures):
    gray = ff.io.decode_image(_read(fixtures, "gray.png"), channels=1)
    assert gray.shape == (96, 80, 1)
    rgba = ff.io.decode_png(_read(fixtures, "rgba.png"), channels=4)
    assert rgba.shape == (96, 80, 4)
    own = ff.io.decode_jpeg(_read(fixtures, "gray.jpg"))
    assert own.shape == (96, 80, 1)


def test_bad_jpeg_is_invalid_argument(fixtures):
    with pytest.raises(ff.errors.InvalidArgumentError):
        ff.io.decode_jpeg(_read(fixtures, "bad.jpg"), channels=3)
    with pytest.raises(ff.errors.InvalidArgumentError, match="Unknown image file format"):
        ff.io.decode_image(b"TIFF is not read here")
    with pytest.raises(ff.errors.InvalidArgumentError, match=r"Invalid GIF data \(size 19\)"):
        ff.io.decode_image(b"GIF89a cut short...")


@pytest.mark.parametrize("name", JPEGS + PNGS)
@pytest.mark.parametrize("method", ["bilinear", "nearest", "area", "bicubic"])
def test_resize_matches_tensorflow(fixtures, name, method):
    # TensorFlow's own decoded pixels in, so only the resize is compared.
    out = ff.image.resize(_truth(fixtures, name), [48, 64], method=method)
    truth = _truth(fixtures, name, f"resize_{method}_48x64")
    assert out.shape == (48, 64, 3)
    np.testing.assert_allclose(out.astype(np.float32), truth, atol=1e-3)


@pytest.mark.parametrize("method", ["bilinear", "bicubic", "area"])
def test_resize_treats_each_channel_alike_for_any_channel_count(fixtures, method):
    # Three channels are checked against TensorFlow above; other counts take other loops,
    # and each channel must come out as it does alone.
    rgb = _truth(fixtures, "rgb_420.jpg")
    for channels in [1, 2, 4, 5]:
        img = np.concatenate([rgb, rgb[..., :2]], axis=-1)[..., :channels]
        out = np.asarray(ff.image.resize(img, [48, 64], method=method))
        assert out.shape == (48, 64, channels)
        for k in range(channels):
            alone = ff.image.resize(img[..., k : k + 1], [48, 64], method=method)
            np.testing.assert_array_equal(out[..., k : k + 1], alone)


def test_flips_crops_and_dtype_conversion():
    img = np.arange(4 * 6 * 3, dtype=np.uint8).reshape(4, 6, 3)
    np.testing.assert_array_equal(ff.image.flip_left_right(img), img[:, ::-1])
    np.testing.assert_array_equal(ff.image.crop_to_bounding_box(img, 1, 2, 2, 3), img[1:3, 2:5])
    # TensorFlow: offset int(1 / 0.25) = 4, start 4 // 4 = 1 and 6 // 4 = 1: a 2x4 window.
    np.testing.assert_array_equal(ff.image.central_crop(img, 0.5), img[1:3, 1:5])
    batch = np.stack([img, img + 1])
    np.testing.assert_array_equal(ff.image.flip_left_right(batch), batch[:, :, ::-1])
    as_float = ff.image.convert_image_dtype(img, ff.float32)
    assert as_float.dtype == np.float32
    np.testing.assert_allclose(as_float, img / 255.0, rtol=1e-6)
    back = ff.image.convert_image_dtype(as_float, ff.uint8)
    np.testing.assert_array_equal(back, img)


def test_image_pipeline_runs_natively(fixtures):
    names = [str(fixtures / "images" / n) for n in JPEGS + PNGS]

    def load(path):
        image = ff.io.decode_image(ff.io.read_file(path), channels=3)
        image = ff.image.resize(image, [32, 32])
        return ff.image.flip_left_right(image) / 255.0

    ds = Dataset.from_tensor_slices(names).map(load, num_parallel_calls=ff.data.AUTOTUNE)
    it = iter(ds.batch(7))
    (batch,) = list(it)
    assert batch.shape == (7, 32, 32, 3) and batch.dtype == np.float32
    assert {s["path"]: s["notes"] for s in it.stats()}["Prefetch/Batch/ParallelMap"] == []
    eager = np.stack([load(n) for n in names])
    np.testing.assert_allclose(batch, eager, rtol=1e-6)


def test_per_image_standardization_matches_numpy():
    img = np.random.default_rng(0).integers(0, 255, (5, 4, 3)).astype(np.uint8)
    out = ff.image.per_image_standardization(img)
    x = img.astype(np.float64)
    expected = (x - x.mean()) / max(x.std(), 1 / np.sqrt(x.size))
    np.testing.assert_allclose(out, expected, rtol=1e-5)
    assert out.dtype == np.float32


def _augmented(seed, parallel):
    images = np.arange(8 * 6 * 6 * 3, dtype=np.uint8).reshape(8, 6, 6, 3)

    def augment(image):
        image = ff.image.random_flip_left_right(image, seed=seed)
        image = ff.image.random_crop(image, [4, 4, 3], seed=seed + 1)
        return ff.image.random_brightness(ff.cast(image, ff.float32) / 255.0, 0.2, seed=seed + 2)

    ds = Dataset.from_tensor_slices(images).map(augment, num_parallel_calls=parallel)
    return ds


def test_random_ops_are_reproducible_with_seeds_also_in_parallel():
    a = [np.asarray(x) for x in _augmented(7, None)]
    b = [np.asarray(x) for x in _augmented(7, 4)]
    c = [np.asarray(x) for x in _augmented(8, None)]
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not all(np.array_equal(x, y) for x, y in zip(a, c))
    assert all(x.shape == (4, 4, 3) for x in a)
    ds = _augmented(7, 2)
    first, second = [np.asarray(x) for x in ds], [np.asarray(x) for x in ds]
    assert not all(np.array_equal(x, y) for x, y in zip(first, second))  # new epoch, new draws


def test_random_flip_flips_about_half_and_keeps_pixels():
    img = np.arange(2 * 3 * 1, dtype=np.uint8).reshape(2, 3, 1)
    outs = [ff.image.random_flip_left_right(img, seed=3) for _ in range(200)]
    flipped = sum(np.array_equal(o, img[:, ::-1]) for o in outs)
    assert all(np.array_equal(o, img) or np.array_equal(o, img[:, ::-1]) for o in outs)
    assert 60 < flipped < 140


def test_encode_png_round_trips_and_encode_jpeg_decodes(fixtures):
    truth = _truth(fixtures, "rgb.png")
    png = ff.io.encode_png(truth)
    assert isinstance(png, ff.Tensor) and png.dtype == ff.string and png.shape == ()
    assert png.numpy()[:8] == b"\x89PNG\r\n\x1a\n"
    np.testing.assert_array_equal(ff.io.decode_png(png, 3), truth)
    jpeg = ff.io.encode_jpeg(truth, quality=95)
    again = ff.io.decode_jpeg(jpeg, 3).astype(int)
    assert np.abs(again - truth.astype(int)).mean() < 4
    with pytest.raises(ff.errors.InvalidArgumentError):
        ff.io.encode_png(np.zeros((4, 4, 3), np.float32))


# tests/data/png_depths.npz: 8- and 16-bit PNGs of 1 to 4 channels written by TensorFlow
# 2.21, and its decode_png / decode_image outputs (tests/data/make_png_depths.py).
PNG_DEPTHS = np.load(Path(__file__).parent / "data" / "png_depths.npz")
PNG_SOURCES = [f"c{c}_{bits}" for c in (1, 2, 3, 4) for bits in (8, 16)]


@pytest.mark.parametrize("source", PNG_SOURCES)
def test_png_bit_depths_and_channels_match_tensorflow_exactly(source):
    png = PNG_DEPTHS[f"{source}_png"].tobytes()
    for channels in (0, 1, 3, 4):
        for dtype in ("uint8", "uint16"):
            want = PNG_DEPTHS[f"{source}_png_{channels}_{dtype}"]
            got = ff.io.decode_png(png, channels=channels, dtype=dtype)
            assert got.dtype == want.dtype
            np.testing.assert_array_equal(got, want, err_msg=f"{channels} {dtype}")
        want = PNG_DEPTHS[f"{source}_image_{channels}_float32"]
        got = ff.io.decode_image(png, channels=channels, dtype=ff.float32)
        assert got.dtype == np.float32
        np.testing.assert_array_equal(got, want, err_msg=f"{channels} float32")
    # The same kernel runs traced, with the dtype known before any data is seen.
    ds = Dataset.from_tensors(png).map(lambda b: ff.io.decode_png(b, 3, dtype=ff.uint16))
    assert ds.element_spec.dtype == ff.uint16
    np.testing.assert_array_equal(next(iter(ds)), PNG_DEPTHS[f"{source}_png_3_uint16"])


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_encode_png_keeps_the_bit_depth(dtype):
    pixels = PNG_DEPTHS["c3_16_pixels"].astype(dtype)
    back = ff.io.decode_png(ff.io.encode_png(pixels), dtype=dtype)
    np.testing.assert_array_equal(back, pixels)
    assert back.dtype == dtype


def test_decode_image_converts_jpegs_as_convert_image_dtype_does(fixtures):
    data = _read(fixtures, "rgb_420.jpg")
    pixels = np.asarray(ff.io.decode_jpeg(data, channels=3))
    wide = ff.io.decode_image(data, channels=3, dtype=ff.uint16)
    np.testing.assert_array_equal(wide, pixels.astype(np.uint16) * 256)
    unit = ff.io.decode_image(data, channels=3, dtype=ff.float32)
    np.testing.assert_array_equal(unit, pixels.astype(np.float32) * np.float32(1 / 255))
    np.testing.assert_array_equal(unit, ff.image.convert_image_dtype(pixels, ff.float32))


def test_decoders_refuse_dtypes_tensorflow_refuses():
    png = PNG_DEPTHS["c3_8_png"].tobytes()
    with pytest.raises(TypeError, match="uint8, uint16"):
        ff.io.decode_png(png, dtype=ff.float32)
    with pytest.raises(TypeError, match="uint8, uint16, float32"):
        ff.io.decode_image(png, dtype=ff.int32)


@pytest.mark.parametrize(
    ("src", "dst", "values", "want"),
    [
        (np.uint8, np.uint16, [0, 1, 255], [0, 256, 65280]),
        (np.uint16, np.uint8, [0, 255, 256, 65535], [0, 0, 1, 255]),
        (np.uint8, np.int8, [0, 3, 255], [0, 1, 127]),
        (np.int8, np.int32, [-128, 1, 127], [-(2**31), 2**24, 127 * 2**24]),
    ],
)
def test_integer_image_conversions_scale_between_ranges(src, dst, values, want):
    # TensorFlow's convert_image_dtype: widening multiplies by the ratio of the ranges,
    # narrowing floor-divides by it.
    out = ff.image.convert_image_dtype(np.array(values, src), dst)
    assert out.dtype == dst
    np.testing.assert_array_equal(out, np.array(want, dst))
    traced = Dataset.from_tensors(np.array(values, src)).map(
        lambda x: ff.image.convert_image_dtype(x, dst)
    )
    np.testing.assert_array_equal(next(iter(traced)), np.array(want, dst))


# tests/data/resize_kernels.npz holds TensorFlow 2.21's outputs and the cases that made them
# (tests/data/make_resize_kernels.py).
GOLDEN = np.load(Path(__file__).parent / "data" / "resize_kernels.npz")
RESIZE_CASES = [
    (name, (int(h), int(w)), method, bool(int(aa)))
    for name, h, w, method, aa in (str(c).split(",") for c in GOLDEN["cases"])
]


@pytest.mark.parametrize(("name", "size", "method", "antialias"), RESIZE_CASES)
def test_antialiased_and_kernel_resizes_match_tensorflow(name, size, method, antialias):
    golden = GOLDEN
    image = golden["input"]
    eager = ff.image.resize(image, size, method=method, antialias=antialias)
    assert eager.dtype == np.float32 and eager.shape == golden[name].shape
    np.testing.assert_allclose(eager, golden[name], atol=1e-3)
    traced = ff.data.Dataset.from_tensors(image).map(
        lambda im: ff.image.resize(im, size, method=method, antialias=antialias)
    )
    np.testing.assert_allclose(next(iter(traced)), golden[name], atol=1e-3)


def test_resize_preserving_the_aspect_ratio_matches_tensorflow():
    golden = GOLDEN
    out = ff.image.resize(golden["input"], (50, 50), preserve_aspect_ratio=True)
    assert out.shape == golden["aspect_50x50"].shape == (50, 40, 3)
    np.testing.assert_allclose(out, golden["aspect_50x50"], atol=1e-3)
    batch = np.stack([golden["input"]] * 2)
    assert ff.image.resize(batch, (10, 100), preserve_aspect_ratio=True).shape == (2, 10, 8, 3)
    with pytest.raises(ff.errors.InvalidArgumentError, match="resize method"):
        ff.image.resize(golden["input"], (4, 4), method="cubic")


@pytest.mark.parametrize("name", ["rgb_420.jpg", "progressive.jpg", "gray.jpg"])
def test_truncated_jpegs_are_refused_as_tensorflow_refuses_them(fixtures, name):
    # TensorFlow's decode_jpeg (try_recover_truncated=False) refuses every file cut short;
    # decoding the rest as gray would hand a training loop a wrong image without a word.
    data = (fixtures / "images" / name).read_bytes()
    for cut in range(2, len(data) - 1, 23):
        # Two bytes are too few to tell the format, as for TensorFlow.
        refusal = "Invalid JPEG data" if cut >= 3 else "Unknown image file format"
        with pytest.raises(ff.errors.InvalidArgumentError, match=refusal):
            ff.io.decode_jpeg(data[:cut], channels=3)
    whole = np.load(fixtures / "images" / f"{name}.decoded.npy")
    assert ff.io.decode_jpeg(data + b"trailing bytes", channels=3).shape == whole.shape


def test_jpegs_wider_than_16384_pixels_decode_as_pillow_decodes_them():
    import io

    from PIL import Image

    rng = np.random.default_rng(0)
    pixels = np.repeat(rng.integers(0, 255, (4, 17000 // 8, 3), dtype=np.uint8), 8, axis=1)
    encoded = io.BytesIO()
    Image.fromarray(pixels).save(encoded, format="JPEG", quality=95)
    reference = np.asarray(Image.open(io.BytesIO(encoded.getvalue())).convert("RGB"))
    decoded = ff.io.decode_jpeg(encoded.getvalue(), channels=3)
    assert decoded.shape == reference.shape == (4, 17000, 3)
    # The tolerance of test_jpeg_decodes_within_idct_tolerance: decoders differ by IDCT
    # rounding and chroma upsampling.
    diff = np.abs(decoded.astype(int) - reference.astype(int))
    assert diff.mean() <= 1.5 and np.percentile(diff, 99.9) <= 6


def test_a_malformed_progressive_scan_is_invalid_data_not_a_broken_kernel():
    # Found by fuzzing: a damaged progressive scan, which crashed an earlier decoder.
    data = (Path(__file__).parent / "data" / "malformed_progressive.jpg").read_bytes()
    with pytest.raises(ff.errors.InvalidArgumentError, match="Invalid JPEG data"):
        ff.io.decode_jpeg(data, channels=3)
    images = ff.data.Dataset.from_tensors(data).map(lambda d: ff.io.decode_jpeg(d, channels=3))
    with pytest.raises(ff.errors.InvalidArgumentError, match="Invalid JPEG data"):
        list(images)
