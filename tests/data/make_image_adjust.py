"""Writes image_adjust.npz: what tf.image's colour adjustments, rotations, flips,
crop-or-pad and resize-with-pad return for a few uint8 and float32 images. Needs
TensorFlow; run from the project root:

    python tests/data/make_image_adjust.py

Each output is stored under "<op>|<input>|<argument>", the inputs under "input|<name>".
"""

from pathlib import Path

import numpy as np
import tensorflow as tf

HERE = Path(__file__).parent

# (op name, arguments): each is applied to every input image.
CASES = [
    ("adjust_brightness", (0.2,)),
    ("adjust_brightness", (-0.35,)),
    ("adjust_contrast", (1.7,)),
    ("adjust_contrast", (0.4,)),
    ("adjust_saturation", (2.5,)),
    ("adjust_saturation", (0.3,)),
    ("adjust_hue", (0.2,)),
    ("adjust_hue", (-0.45,)),
    ("adjust_gamma", (0.6,)),
    ("adjust_gamma", (2.0, 1.3)),
    ("rgb_to_grayscale", ()),
    ("flip_up_down", ()),
    ("transpose", ()),
    ("rot90", (1,)),
    ("rot90", (2,)),
    ("rot90", (3,)),
    ("resize_with_crop_or_pad", (5, 10)),
    ("resize_with_crop_or_pad", (12, 4)),
    ("pad_to_bounding_box", (1, 2, 12, 10)),
    ("resize_with_pad", (12, 5)),
    ("resize_with_pad", (4, 11)),
]


def main() -> None:
    rng = np.random.default_rng(11)
    inputs = {
        "uint8": rng.integers(0, 256, (9, 7, 3), dtype=np.uint8),
        "uint8_batch": rng.integers(0, 256, (2, 9, 7, 3), dtype=np.uint8),
        "float32": rng.random((9, 7, 3), dtype=np.float32),
    }
    out = {f"input|{name}": image for name, image in inputs.items()}
    for op, args in CASES:
        for name, image in inputs.items():
            result = getattr(tf.image, op)(tf.constant(image), *args).numpy()
            out[f"{op}|{name}|{','.join(map(str, args))}"] = result
    np.savez_compressed(HERE / "image_adjust.npz", **out)


if __name__ == "__main__":
    main()
