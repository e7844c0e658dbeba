"""decode_bmp, decode_gif, decode_webp and decode_image on those formats, against what
TensorFlow 2.21 returns for the same files (tests/data/make_gif_bmp_webp.py wrote them with
Pillow: animated GIFs whose later frames are cropped to what changed, with and without
transparency; bottom-up, top-down and 8-bit BMPs; lossless, lossy and animated WebPs)."""

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import ferroflow as ff

GOLDEN = np.load(Path(__file__).parent / "data" / "gif_bmp_webp.npz")
NAMES = sorted({k[: -len("_file")] for k in GOLDEN.files if k.endswith("_file")})


def _file(name: str) -> bytes:
    return GOLDEN[f"{name}_file"].tobytes()


def test_the_gifs_have_frames_smaller_than_the_canvas():
    # Otherwise the composing rules would go untested.
    with Image.open(io.BytesIO(_file("gif_animated"))) as gif:
        gif.seek(1)
        assert gif.tile[0][1] != (0, 0, 11, 9)


@pytest.mark.parametrize("name", [n for n in NAMES if n.startswith("bmp")])
@pytest.mark.parametrize("channels", [0, 3, 4])
def test_decode_bmp_matches_tensorflow(name, channels):
    got = ff.io.decode_bmp(_file(name), channels=channels)
    np.testing.assert_array_equal(got.numpy(), GOLDEN[f"{name}_bmp_{channels}"])
    assert got.dtype == ff.uint8


@pytest.mark.parametrize("name", [n for n in NAMES if n.startswith("gif")])
def test_decode_gif_matches_tensorflow(name):
    got = ff.io.decode_gif(_file(name))
    np.testing.assert_array_equal(got.numpy(), GOLDEN[f"{name}_gif"])


@pytest.mark.parametrize("name", [n for n in NAMES if n.startswith("webp")])
def test_decode_webp_matches_tensorflow(name):
    # Lossy files included: the chroma is upsampled and rounded as libwebp does.
    np.testing.assert_array_equal(ff.io.decode_webp(_file(name)).numpy(), GOLDEN[f"{name}_webp"])


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("expand", [True, False])
@pytest.mark.parametrize("dtype", ["uint8", "uint16", "float32"])
def test_decode_image_matches_tensorflow(name, expand, dtype):
    key = f"{name}_image_{int(expand)}_{dtype}"
    if key not in GOLDEN.files:
        # TensorFlow refuses it (WebP other than uint8), or crashed writing it.
        if name.startswith("webp"):
            with pytest.raises(ff.errors.InvalidArgumentError, match="only supports uint8"):
                ff.io.decode_image(_file(name), dtype=dtype, expand_animations=expand)
        return
    got = ff.io.decode_image(_file(name), dtype=dtype, expand_animations=expand).numpy()
    want = GOLDEN[key]
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)


def test_decode_image_in_a_traced_map_gives_each_files_rank():
    files = [_file("gif_animated"), _file("bmp_rgb"), _file("webp_animated")]
    ds = ff.data.Dataset.from_tensor_slices(files)
    expanded = ds.map(ff.io.decode_image)
    assert expanded.element_spec == ff.TensorSpec(None, ff.uint8)
    assert [x.shape for x in expanded] == [(3, 9, 11, 3), (5, 7, 3), (3, 8, 10, 4)]
    first = ds.map(lambda b: ff.io.decode_image(b, expand_animations=False))
    assert first.element_spec == ff.TensorSpec([None, None, None], ff.uint8)
    got = list(first.as_numpy_iterator())
    np.testing.assert_array_equal(got[0], GOLDEN["gif_animated_gif"][0])
    np.testing.assert_array_equal(got[2], GOLDEN["webp_animated_webp"][0])
    frames = ds.take(1).map(ff.io.decode_gif)
    assert frames.element_spec == ff.TensorSpec([None, None, None, 3], ff.uint8)
    np.testing.assert_array_equal(next(iter(frames)).numpy(), GOLDEN["gif_animated_gif"])


def test_each_op_takes_the_formats_tensorflows_does():
    png = ff.io.encode_png(np.full((2, 3, 3), 7, np.uint8)).numpy()
    # decode_gif gives a still image one frame; decode_png reads a one-frame GIF.
    assert ff.io.decode_gif(png).shape == (1, 2, 3, 3)
    np.testing.assert_array_equal(
        ff.io.decode_png(_file("gif_single")).numpy(), GOLDEN["gif_single_gif"][0]
    )
    with pytest.raises(ff.errors.InvalidArgumentError, match="Got 3 frames, but animated gifs"):
        ff.io.decode_jpeg(_file("gif_animated"))
    with pytest.raises(ff.errors.InvalidArgumentError, match="using DecodeBmp"):
        ff.io.decode_bmp(png)
    with pytest.raises(ff.errors.InvalidArgumentError, match="using DecodePng"):
        ff.io.decode_png(_file("bmp_rgb"))
    with pytest.raises(ff.errors.InvalidArgumentError, match="Unknown image file format"):
        ff.io.decode_image(b"not an image at all")


def test_bad_input_is_refused_with_what_is_wrong():
    bmp = _file("bmp_rgb")
    with pytest.raises(ff.errors.InvalidArgumentError, match="differ by -1"):
        ff.io.decode_bmp(bmp[:-1])
    with pytest.raises(ff.errors.InvalidArgumentError, match="requires at least 32 bytes"):
        ff.io.decode_bmp(bmp[:20])
    with pytest.raises(ff.errors.InvalidArgumentError, match="must be 0, 3 or 4 for BMP"):
        ff.io.decode_bmp(bmp, channels=1)
    gif = _file("gif_animated")
    with pytest.raises(ff.errors.InvalidArgumentError, match=r"Invalid GIF data \(size 200\)"):
        ff.io.decode_gif(gif[:200])
    with pytest.raises(ff.errors.InvalidArgumentError, match="channels must be 0 or 3 for GIF"):
        ff.io.decode_image(gif, channels=4)
    webp = _file("webp_lossless_rgb")
    with pytest.raises(ff.errors.InvalidArgumentError, match="does not match input"):
        ff.io.decode_webp(webp, channels=4)
    with pytest.raises(ff.errors.InvalidArgumentError, match="WebP"):
        ff.io.decode_webp(webp[:40])
    # Every prefix of every file is refused cleanly or decodes; none crashes the process.
    for name in NAMES:
        data = _file(name)
        for end in range(0, len(data), max(1, len(data) // 40)):
            try:
                ff.io.decode_image(data[:end])
            except ff.errors.InvalidArgumentError:
                pass
