"""Writes jpeg_decode.npz: what TensorFlow's decode_jpeg and decode_and_crop_jpeg return for
small JPEGs of every layout (4:2:0, 4:2:2, 4:4:4, gray, progressive, Adobe CMYK) with each decoding
option. Needs TensorFlow and Pillow; run from the project root:

    python tests/data/make_jpeg_decode.py

Keys: "options" (OPTIONS as JSON), "file|<name>" (the JPEG's bytes, uint8),
"decode|<name>|<options>" and "crop|<name>|<y>,<x>,<height>,<width>|<options>", where
<options> is a key of OPTIONS.
"""

import io
import json
from pathlib import Path

import numpy as np
import tensorflow as tf
from PIL import Image

HERE = Path(__file__).parent

# Option sets, by name; stored with the goldens for the test.
OPTIONS = {
    "fast": {"dct_method": "INTEGER_FAST"},
    "accurate": {"dct_method": "INTEGER_ACCURATE"},
    "box": {"dct_method": "INTEGER_ACCURATE", "fancy_upscaling": False},
    "ratio2": {"dct_method": "INTEGER_ACCURATE", "ratio": 2},
    "ratio4": {"dct_method": "INTEGER_FAST", "ratio": 4},
    "ratio8": {"dct_method": "INTEGER_ACCURATE", "ratio": 8},
    "gray": {"dct_method": "INTEGER_ACCURATE", "channels": 1},
    "own": {"dct_method": "INTEGER_ACCURATE", "channels": 0},
}

rng = np.random.default_rng(11)
height, width = 51, 43  # not whole MCUs either way
noise = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
smooth = np.cumsum(np.cumsum(noise.astype(np.int64) - 127, 0), 1)
pixels = ((smooth - smooth.min()) * 255 // max(1, np.ptp(smooth))).astype(np.uint8)

# The shared fixtures' own goldens are TensorFlow's default decode (INTEGER_FAST).
files = {}
for name, mode, options in [
    ("gen_420.jpg", "RGB", {"subsampling": 2}),
    ("gen_422.jpg", "RGB", {"subsampling": 1}),
    ("gen_444.jpg", "RGB", {"subsampling": 0}),
    ("gen_gray.jpg", "L", {}),
    ("gen_progressive.jpg", "RGB", {"progressive": True}),
    ("gen_cmyk.jpg", "CMYK", {}),
]:
    buffer = io.BytesIO()
    Image.fromarray(pixels).convert(mode).save(buffer, "JPEG", quality=88, **options)
    files[name] = buffer.getvalue()

out = {"options": np.array(json.dumps(OPTIONS))}
for name, data in files.items():
    out[f"file|{name}"] = np.frombuffer(data, np.uint8)
    h, w = (int(v) for v in tf.io.extract_jpeg_shape(data).numpy()[:2])
    for key, options in OPTIONS.items():
        options = {"channels": 3, **options}
        if name == "gen_cmyk.jpg" and options["channels"] == 1:
            continue  # libjpeg refuses CMYK to gray
        out[f"decode|{name}|{key}"] = tf.io.decode_jpeg(data, **options).numpy()
    windows = [[0, 0, h // 3, w // 3], [h // 4 + 1, w // 5 + 3, h // 2, w // 2]]
    windows += [[h - 9, w - 7, 9, 7], [5, 16, h - 5, w - 16], [1, 8, 3, 17]]
    # Cropped rows of two chroma samples (three or four columns from an iMCU boundary).
    windows += [[1, 16, 3, 3], [2, 17, 5, 3], [0, 1, 4, 2], [4, 32, 2, 4]]
    for key in ("fast", "accurate", "box", "gray"):
        options = {"channels": 3, **OPTIONS[key]}
        if name == "gen_cmyk.jpg" and options["channels"] == 1:
            continue
        for window in windows:
            where = ",".join(str(v) for v in window)
            got = tf.image.decode_and_crop_jpeg(data, window, **options)
            out[f"crop|{name}|{where}|{key}"] = got.numpy()
    half = [2, 3, (h + 1) // 4, (w + 1) // 4]  # in pixels of the half-size image
    got = tf.image.decode_and_crop_jpeg(data, half, channels=3, **OPTIONS["ratio2"])
    out[f"crop|{name}|{','.join(str(v) for v in half)}|ratio2"] = got.numpy()

np.savez_compressed(HERE / "jpeg_decode.npz", **out)
print(f"wrote {len(out)} arrays to {HERE / 'jpeg_decode.npz'}")
