"""Generated TFRecord shards shared by the benchmarks: records holding a ~20 KB JPEG, an int64
label, 64 floats and a variable-length int64 list, written with ferroflow's own writer.
ferroflow is imported only to write them, so a benchmark process of another system that
finds them written never loads it."""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path

import numpy as np


def features(module) -> dict:
    """The records' features, for ``module.io.parse_example`` (ferroflow or TensorFlow)."""
    return {
        "image": module.io.FixedLenFeature([], module.string),
        "label": module.io.FixedLenFeature([], module.int64),
        "embedding": module.io.FixedLenFeature([64], module.float32),
        "tokens": module.io.VarLenFeature(module.int64),
    }


def _jpegs(count: int, side: int, rng: np.random.Generator) -> list[bytes]:
    try:
        from PIL import Image
    except ImportError:  # without Pillow the payload is random bytes of the same size
        return [rng.bytes(20_000) for _ in range(count)]
    out = []
    for _ in range(count):
        base = rng.integers(0, 255, (side // 8, side // 8, 3), dtype=np.uint8)
        img = np.kron(base, np.ones((8, 8, 1), np.uint8))
        img = np.clip(img + rng.integers(-20, 20, img.shape), 0, 255).astype(np.uint8)
        buf = io.BytesIO()
        Image.fromarray(img).save(buf, format="JPEG", quality=95)
        out.append(buf.getvalue())
    return out


def _example(jpeg: bytes, label: int, rng: np.random.Generator) -> bytes:
    import ferroflow as ff

    feature = {
        "image": ff.train.Feature(bytes_list=ff.train.BytesList(value=[jpeg])),
        "label": ff.train.Feature(int64_list=ff.train.Int64List(value=[label])),
        "embedding": ff.train.Feature(
            float_list=ff.train.FloatList(value=rng.standard_normal(64).astype(np.float32))
        ),
        "tokens": ff.train.Feature(
            int64_list=ff.train.Int64List(value=rng.integers(0, 30000, rng.integers(0, 40)))
        ),
    }
    return ff.train.Example(features=ff.train.Features(feature=feature)).SerializeToString()


def write_shards(
    directory: Path | None = None,
    shards: int = 16,
    per_shard: int = 600,
    compression: str | None = None,
    side: int = 168,
) -> list[str]:
    """Writes the shards (once per directory and settings) and returns their paths."""
    directory = Path(directory or os.environ.get("FERROFLOW_BENCH_DIR", tempfile.gettempdir()))
    tag = f"ff-bench-{shards}x{per_shard}-{side}-{compression or 'none'}"
    folder = directory / tag
    paths = [str(folder / f"shard-{i:03d}.tfrecord") for i in range(shards)]
    if all(Path(p).exists() for p in paths):
        return paths
    import ferroflow as ff

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    jpegs = _jpegs(32, side, rng)
    for i, path in enumerate(paths):
        with ff.io.TFRecordWriter(path + ".tmp", compression) as w:
            for j in range(per_shard):
                w.write(_example(jpegs[(i * per_shard + j) % len(jpegs)], j % 1000, rng))
        os.replace(path + ".tmp", path)
    return paths
