"""Writes image_boxes.npz: what TensorFlow returns for the HSV conversions,
crop_and_resize, extract_jpeg_shape, is_jpeg and web-safe base64 on small inputs. Needs
TensorFlow; run from the project root:

    python tests/data/make_image_boxes.py

Keys: "hsv|input", "rgb_to_hsv", "hsv_to_rgb" (of "hsv|hsv_input"), "crop|image",
"crop|boxes", "crop|indices", "crop|<method>|<h>x<w>|<extrapolation>", "jpeg_shape|<file>",
"is_jpeg|<file>", "base64|input", "base64|pad", "base64|nopad".
"""

from pathlib import Path

import numpy as np
import tensorflow as tf

HERE = Path(__file__).parent
IMAGES = HERE.parents[1].parent / "shared" / "fixtures" / "images"

rng = np.random.default_rng(7)
out = {}
rgb = rng.random((6, 5, 3), dtype=np.float32)
rgb[0, 0] = [0.5, 0.5, 0.5]  # gray: hue and saturation 0
rgb[0, 1] = [0.0, 0.0, 0.0]
rgb[0, 2] = [1.0, 0.0, 0.0]
rgb[0, 3] = [0.2, 0.9, 0.9]  # a tie between green and blue
out["hsv|input"] = rgb
out["rgb_to_hsv"] = tf.image.rgb_to_hsv(rgb).numpy()
hsv = rng.random((4, 7, 3), dtype=np.float32)
out["hsv|hsv_input"] = hsv
out["hsv_to_rgb"] = tf.image.hsv_to_rgb(hsv).numpy()

image = rng.integers(0, 255, (2, 9, 11, 3)).astype(np.float32)
boxes = np.array(
    [[0.1, 0.2, 0.8, 0.9], [0.0, 0.0, 1.0, 1.0], [-0.2, 0.5, 0.6, 1.3], [0.7, 0.6, 0.2, 0.1]],
    np.float32,
)
indices = np.array([0, 1, 1, 0], np.int32)
out["crop|image"], out["crop|boxes"], out["crop|indices"] = image, boxes, indices
for method in ("bilinear", "nearest"):
    for size in ((4, 5), (1, 1), (7, 3)):
        for extrapolation in (0.0, -1.5):
            key = f"crop|{method}|{size[0]}x{size[1]}|{extrapolation}"
            out[key] = tf.image.crop_and_resize(
                image, boxes, indices, size, method=method, extrapolation_value=extrapolation
            ).numpy()

for path in sorted(IMAGES.glob("*")):
    if path.suffix in (".jpg", ".png") and ".npy" not in path.name:
        data = path.read_bytes()
        out[f"is_jpeg|{path.name}"] = np.asarray(tf.io.is_jpeg(data).numpy())
        if path.suffix == ".jpg" and path.name != "bad.jpg":
            out[f"jpeg_shape|{path.name}"] = tf.io.extract_jpeg_shape(data).numpy()

raw = np.array([b"", b"f", b"fo", b"foo", b"\xff\xfe\xfd?>", bytes(range(40))], dtype=object)
# Stored as numpy bytes ("S"), which drop trailing NUL bytes: none of these has one.
out["base64|input"] = raw.astype("S")
out["base64|pad"] = tf.io.encode_base64(raw, pad=True).numpy().astype("S")
out["base64|nopad"] = tf.io.encode_base64(raw).numpy().astype("S")
np.savez(HERE / "image_boxes.npz", **out)
print(f"wrote {len(out)} arrays to {HERE / 'image_boxes.npz'}")
