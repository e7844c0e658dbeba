"""Writes resize_v1.npz: what tf.compat.v1.image.resize_bilinear and
resize_nearest_neighbor (align_corners on and off, half_pixel_centers) and TF2's
tf.image.resize return for a batch of uint8 images. Needs TensorFlow; run from the
project root:

    python tests/data/make_resize_v1.py

Keys: "input", "<bilinear|nearest>|<h>x<w>|<align_corners>", "bilinear_hp|<h>x<w>",
"v2|<h>x<w>".
"""

from pathlib import Path

import numpy as np
import tensorflow as tf

HERE = Path(__file__).parent

rng = np.random.default_rng(3)
images = rng.integers(0, 256, (2, 13, 17, 3)).astype(np.uint8)
out = {"input": images}
for size in ((5, 7), (26, 9), (1, 1)):
    tag = f"{size[0]}x{size[1]}"
    for align in (False, True):
        v1 = tf.compat.v1.image
        out[f"bilinear|{tag}|{align}"] = v1.resize_bilinear(images, size, align).numpy()
        out[f"nearest|{tag}|{align}"] = v1.resize_nearest_neighbor(images, size, align).numpy()
    out[f"bilinear_hp|{tag}"] = tf.compat.v1.image.resize_bilinear(
        images, size, half_pixel_centers=True
    ).numpy()
    out[f"v2|{tag}"] = tf.image.resize(images, size).numpy()
np.savez(HERE / "resize_v1.npz", **out)
print(f"wrote {len(out)} arrays to {HERE / 'resize_v1.npz'}")
