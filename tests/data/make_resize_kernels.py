"""Writes resize_kernels.npz: TensorFlow's tf.image.resize of a crop of the shared rgb.png
fixture with the methods and flags ferroflow must match. Needs TensorFlow; run from the
project root:

    python tests/data/make_resize_kernels.py
"""

from pathlib import Path

import numpy as np
import tensorflow as tf

HERE = Path(__file__).parent
SOURCE = HERE.parent.parent.parent / "shared" / "fixtures" / "images" / "rgb.png.decoded.npy"

# (name, size, method, antialias)
CASES = [
    ("bilinear_aa_down", (13, 11), "bilinear", True),
    ("bicubic_aa_down", (13, 11), "bicubic", True),
    ("lanczos3_aa_down", (13, 11), "lanczos3", True),
    ("lanczos3_down", (13, 11), "lanczos3", False),
    ("lanczos5_aa_down", (17, 9), "lanczos5", True),
    ("gaussian_aa_down", (13, 11), "gaussian", True),
    ("mitchellcubic_aa_down", (13, 11), "mitchellcubic", True),
    ("bilinear_aa_up", (57, 45), "bilinear", True),
    ("lanczos3_up", (57, 45), "lanczos3", False),
    ("area_aa_down", (13, 11), "area", True),
]


def main() -> None:
    image = np.load(SOURCE)[:40, :32]
    out = {"input": image}
    for name, size, method, antialias in CASES:
        out[name] = tf.image.resize(image, size, method=method, antialias=antialias).numpy()
    aspect = tf.image.resize(image, (50, 50), preserve_aspect_ratio=True)
    out["aspect_50x50"] = aspect.numpy()
    out["cases"] = np.array([f"{n},{s[0]},{s[1]},{m},{int(a)}" for n, s, m, a in CASES])
    np.savez_compressed(HERE / "resize_kernels.npz", **out)


if __name__ == "__main__":
    main()
