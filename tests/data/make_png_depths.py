"""Writes png_depths.npz: PNGs of 1 to 4 channels at 8 and 16 bits written by TensorFlow, and
what tf.io.decode_png and tf.io.decode_image return for each `channels` and `dtype`. Needs
TensorFlow; run from the project root:

    python tests/data/make_png_depths.py
"""

from pathlib import Path

import numpy as np
import tensorflow as tf

HERE = Path(__file__).parent


def main() -> None:
    rng = np.random.default_rng(7)
    out = {}
    for source_channels in (1, 2, 3, 4):
        for bits, dtype in ((8, np.uint8), (16, np.uint16)):
            image = rng.integers(0, np.iinfo(dtype).max + 1, (6, 5, source_channels), dtype)
            key = f"c{source_channels}_{bits}"
            png = tf.io.encode_png(image).numpy()
            out[f"{key}_png"] = np.frombuffer(png, np.uint8)
            out[f"{key}_pixels"] = image
            for channels in (0, 1, 3, 4):
                for to in ("uint8", "uint16"):
                    decoded = tf.io.decode_png(png, channels=channels, dtype=to)
                    out[f"{key}_png_{channels}_{to}"] = decoded.numpy()
                decoded = tf.io.decode_image(png, channels=channels, dtype="float32")
                out[f"{key}_image_{channels}_float32"] = decoded.numpy()
    np.savez_compressed(HERE / "png_depths.npz", **out)


if __name__ == "__main__":
    main()
