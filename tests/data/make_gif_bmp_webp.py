"""Writes gif_bmp_webp.npz: BMP, GIF and WebP files written by Pillow (animated GIFs with
frames smaller than the canvas and transparent pixels, top-down and bottom-up BMPs, lossy,
lossless and animated WebPs), and what TensorFlow's decode_bmp, decode_gif, decode_webp and
decode_image return for them. Needs TensorFlow and Pillow; run from the project root:

    python tests/data/make_gif_bmp_webp.py
"""

import io
import struct
from pathlib import Path

import numpy as np
import tensorflow as tf
from PIL import Image

HERE = Path(__file__).parent


def _encoded(image: Image.Image, format: str, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, format=format, **options)
    return out.getvalue()


def _top_down(bmp: bytes) -> bytes:
    """The same BMP with its rows stored top row first (a negative height)."""
    offset = struct.unpack_from("<i", bmp, 10)[0]
    width, height = struct.unpack_from("<ii", bmp, 18)
    bpp = struct.unpack_from("<h", bmp, 28)[0]
    row = (bpp // 8 * width + 3) // 4 * 4
    rows = [bmp[offset + i * row : offset + (i + 1) * row] for i in range(height)]
    header = bytearray(bmp[:offset])
    struct.pack_into("<i", header, 22, -height)
    return bytes(header) + b"".join(reversed(rows))


def _files(rng: np.random.Generator) -> dict[str, bytes]:
    rgb = Image.fromarray(rng.integers(0, 256, (5, 7, 3), np.uint8))
    rgba = Image.fromarray(rng.integers(0, 256, (6, 3, 4), np.uint8))
    gray = Image.fromarray(rng.integers(0, 256, (4, 6), np.uint8))
    files = {
        "bmp_rgb": _encoded(rgb, "BMP"),
        "bmp_rgba": _encoded(rgba, "BMP"),
        "bmp_gray": _encoded(gray, "BMP"),
    }
    files["bmp_rgb_top_down"] = _top_down(files["bmp_rgb"])

    palette = rng.integers(0, 256, 3 * 16, np.uint8).tolist()
    frames = []
    for k in range(3):
        indices = rng.integers(0, 16, (9, 11), np.uint8)
        indices[2:5, 3:8] = 5  # a block that stays, so later frames are cropped to changes
        if k:
            indices[:4] = frames[-1][:4]
        frames.append(indices)
    images = []
    for indices in frames:
        frame = Image.fromarray(indices, "P")
        frame.putpalette(palette)
        images.append(frame)
    files["gif_single"] = _encoded(images[0], "GIF")
    files["gif_animated"] = _encoded(images[0], "GIF", save_all=True, append_images=images[1:])
    files["gif_transparent"] = _encoded(
        images[0], "GIF", save_all=True, append_images=images[1:], transparency=5, disposal=1
    )

    files["webp_lossless_rgb"] = _encoded(rgb, "WEBP", lossless=True)
    files["webp_lossless_rgba"] = _encoded(rgba, "WEBP", lossless=True)
    photo = Image.fromarray(
        np.clip(
            np.add.outer(np.arange(24), np.arange(32))[..., None] * [4, 3, 2]
            + rng.integers(0, 20, (24, 32, 3)),
            0,
            255,
        ).astype(np.uint8)
    )
    files["webp_lossy_rgb"] = _encoded(photo, "WEBP", quality=80)
    moving = [Image.fromarray(rng.integers(0, 256, (8, 10, 4), np.uint8), "RGBA") for _ in range(3)]
    files["webp_animated"] = _encoded(
        moving[0], "WEBP", save_all=True, append_images=moving[1:], lossless=True
    )
    return files


def main() -> None:
    out = {}
    for name, data in _files(np.random.default_rng(11)).items():
        out[f"{name}_file"] = np.frombuffer(data, np.uint8)
        kind = name.split("_")[0]
        if kind == "bmp":
            for channels in (0, 3, 4):
                out[f"{name}_bmp_{channels}"] = tf.io.decode_bmp(data, channels=channels).numpy()
        elif kind == "gif":
            out[f"{name}_gif"] = tf.io.decode_gif(data).numpy()
        else:
            out[f"{name}_webp"] = tf.io.decode_webp(data).numpy()
        for expand in (True, False):
            for dtype in ("uint8", "uint16", "float32"):
                if name == "bmp_rgb_top_down" and dtype != "uint8":
                    continue  # TensorFlow 2.21 crashes: it sizes the buffer by the negative height
                try:
                    decoded = tf.io.decode_image(data, dtype=dtype, expand_animations=expand)
                except tf.errors.InvalidArgumentError:
                    continue
                out[f"{name}_image_{int(expand)}_{dtype}"] = decoded.numpy()
    np.savez_compressed(HERE / "gif_bmp_webp.npz", **out)


if __name__ == "__main__":
    main()
