#!/usr/bin/env python3
"""Writes the fuzz seeds from the shared TFRecord fixtures.

seeds/tfrecord_framing/: small whole .tfrecord files (plain, gzip, zlib, damaged).
seeds/example_parser/:   single serialized Examples and SequenceExamples taken out of
                         examples.tfrecord and sequence.tfrecord, plus one two-record batch.
seeds/image_decoders/:   the shared JPEG and PNG fixtures, each after a byte choosing the
                         channels and depth.
seeds/cache_reader/:     cache files ferroflow writes (needs ferroflow installed).

Usage: python3 fuzz/make_seeds.py [FIXTURES_DIR]
"""

import shutil
import struct
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
FIXTURES = (
    Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parent.parent / "shared/fixtures/tfrecord"
)
SEPARATOR = b"\xffREC"  # example_parser splits its input into a batch at this marker

FRAMING_FILES = [
    "sequence.tfrecord",
    "empty.tfrecord",
    "bad_magic_length.tfrecord",
    "huge_length_valid_crc.tfrecord",
]


def records(path):
    data = path.read_bytes()
    out, at = [], 0
    while at < len(data):
        (length,) = struct.unpack_from("<Q", data, at)
        out.append(data[at + 12 : at + 12 + length])
        at += 12 + length + 4
    return out


def main():
    framing = HERE / "seeds/tfrecord_framing"
    parser = HERE / "seeds/example_parser"
    for d in (framing, parser):
        d.mkdir(parents=True, exist_ok=True)
    for name in FRAMING_FILES:
        shutil.copyfile(FIXTURES / name, framing / name)
    # The first three records of examples.tfrecord, as a plain, a gzip and a zlib stream.
    plain = FIXTURES / "examples.tfrecord"
    data = plain.read_bytes()
    at = 0
    for _ in range(3):
        (length,) = struct.unpack_from("<Q", data, at)
        at += 12 + length + 4
    (framing / "examples_head.tfrecord").write_bytes(data[:at])
    import gzip
    import zlib

    (framing / "examples_head.tfrecord.gz").write_bytes(gzip.compress(data[:at], mtime=0))
    (framing / "examples_head.tfrecord.zlib").write_bytes(zlib.compress(data[:at]))

    examples = records(plain)
    for i in range(4):
        (parser / f"example_{i}.pb").write_bytes(examples[i])
    sequences = records(FIXTURES / "sequence.tfrecord")
    for i in (0, 2, 4):
        (parser / f"sequence_{i}.pb").write_bytes(sequences[i])
    (parser / "example_batch.pb").write_bytes(examples[0] + SEPARATOR + examples[1])
    (parser / "sequence_batch.pb").write_bytes(sequences[1] + SEPARATOR + sequences[3])
    image_seeds(FIXTURES.parent / "images", HERE / "seeds/image_decoders")
    cache_seeds(HERE / "seeds/cache_reader")


def image_seeds(images, out):
    out.mkdir(parents=True, exist_ok=True)
    for choice, name in enumerate(["gray.jpg", "rgb_420.jpg", "progressive.jpg", "gray.png"]):
        (out / name).write_bytes(bytes([choice * 5]) + (images / name).read_bytes())


def cache_seeds(out):
    """Cache files of int64 scalars and of string vectors, as the fuzz target replays them
    (with an empty pipeline description)."""
    import tempfile

    import numpy as np

    from ferroflow._lib import NativeDataset

    out.mkdir(parents=True, exist_ok=True)
    sources = {
        "range": NativeDataset.range(0, 5, 1, "int64"),
        "strings": NativeDataset.from_tensor_slices([np.array([b"ab", b"", b"cde"], dtype=object)]),
    }
    with tempfile.TemporaryDirectory() as tmp:
        for name, source in sources.items():
            prefix = f"{tmp}/{name}"
            it = source.cache(prefix, "").iter()
            while it.next() is not None:
                pass
            (out / f"{name}.ffcache").write_bytes(Path(f"{prefix}.ffcache").read_bytes())


if __name__ == "__main__":
    main()
