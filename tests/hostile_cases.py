"""Seeded mutations of every input format the readers and decoders take, run in a child
process by tests/test_hostile_inputs.py: python tests/hostile_cases.py FORMAT CASES SEED.

Each case damages a valid input (flips bits, overwrites, cuts, deletes or inserts bytes)
and reads it through the public API. A case passes when reading raises a ferroflow error
or returns values, with no signal and no hang (the parent watches for both), and, where
the format carries checksums (TFRecord, GZIP/ZLIB TFRecord, the cache file), every value
returned is one of the original values, in their order: damage is never handed out as
data. The child prints a line per case, so a crash names the case that caused it.
"""

from __future__ import annotations

import random
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

import ferroflow as ff

FIXTURES = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures"


def mutate(data: bytes, rng: random.Random) -> bytes:
    """One to three random edits of `data`."""
    out = bytearray(data)
    for _ in range(rng.randint(1, 3)):
        if not out:
            break
        at = rng.randrange(len(out))
        kind = rng.choice(["flip", "byte", "cut", "delete", "insert"])
        if kind == "flip":
            out[at] ^= 1 << rng.randrange(8)
        elif kind == "byte":
            out[at] = rng.randrange(256)
        elif kind == "cut":
            del out[at:]
        elif kind == "delete":
            del out[at : at + rng.randint(1, 64)]
        else:
            out[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
    return bytes(out)


def is_subsequence(values: list, original: list) -> bool:
    """Whether `values` are some of `original`'s, in its order."""
    rest = iter(original)
    return all(any(v == o for o in rest) for v in values)


def read_until_error(
    dataset, convert: Callable[[object], object] = lambda v: v
) -> tuple[list, Exception | None]:
    """The values iterating `dataset` yields (through `convert`), and the ferroflow error
    that ended it, if one did (opening the iterator included)."""
    values = []
    try:
        for value in dataset:
            values.append(convert(value))
    except ff.errors.OpError as e:
        return values, e
    return values, None


def checked_records(compression: str, source: Path) -> Callable[[bytes, Path], str]:
    original = [
        bytes(r) for r in ff.data.TFRecordDataset(str(source), compression_type=compression)
    ]

    def case(data: bytes, path: Path) -> str:
        path.write_bytes(data)
        ds = ff.data.TFRecordDataset(str(path), compression_type=compression)
        values, error = read_until_error(ds, bytes)
        if not is_subsequence(values, original):
            raise AssertionError("a damaged file yielded a record that was never written")
        return type(error).__name__ if error else f"{len(values)} records"

    return case


def parsed(kind: str) -> Callable[[bytes, Path], str]:
    spec = {
        "label": ff.io.FixedLenFeature([], ff.int64, default_value=-1),
        "tokens": ff.io.VarLenFeature(ff.int64),
        "name": ff.io.FixedLenFeature([], ff.string, default_value=b""),
    }

    def case(data: bytes, path: Path) -> str:
        try:
            if kind == "example":
                ff.io.parse_single_example(data, spec)
            else:
                ff.io.parse_single_sequence_example(
                    data,
                    context_features={"video_id": ff.io.FixedLenFeature([], ff.int64, -1)},
                    sequence_features={"frames": ff.io.VarLenFeature(ff.float32)},
                )
            return "parsed"
        except ff.errors.OpError as e:
            return type(e).__name__

    return case


def columnar(kind: str) -> Callable[[bytes, Path], str]:
    def case(data: bytes, path: Path) -> str:
        path.write_bytes(data)
        try:
            ds = ff.data.ParquetDataset if kind == "parquet" else ff.data.ArrowIPCDataset
            values, error = read_until_error(ds(str(path)))
        except ff.errors.OpError as e:
            return type(e).__name__
        return type(error).__name__ if error else f"{len(values)} rows"

    return case


def csv_case(data: bytes, path: Path) -> str:
    path.write_bytes(data)
    try:
        ds = ff.data.experimental.CsvDataset(str(path), [0, 0.0, ""], header=True)
        values, error = read_until_error(ds)
    except ff.errors.OpError as e:
        return type(e).__name__
    return type(error).__name__ if error else f"{len(values)} rows"


def image(decode: Callable[..., object]) -> Callable[[bytes, Path], str]:
    def case(data: bytes, path: Path) -> str:
        try:
            return f"decoded {np.asarray(decode(data)).shape}"
        except ff.errors.OpError as e:
            return type(e).__name__

    return case


def cache_case(folder: Path) -> tuple[bytes, Callable[[bytes, Path], str]]:
    def dataset() -> ff.data.Dataset:
        return ff.data.Dataset.range(200).map(lambda x: (x, ff.strings.as_string(x)))

    prefix = folder / "base"
    original = [(int(a), bytes(b)) for a, b in dataset().cache(str(prefix))]
    data = Path(f"{prefix}.ffcache").read_bytes()

    def case(mutated: bytes, path: Path) -> str:
        target = path.with_name("damaged")
        Path(f"{target}.ffcache").write_bytes(mutated)
        ds = dataset().cache(str(target))
        values, error = read_until_error(ds, lambda e: (int(e[0]), bytes(e[1])))
        if not is_subsequence(values, original):
            raise AssertionError("a damaged cache file replayed a value never cached")
        return type(error).__name__ if error else f"{len(values)} elements"

    return data, case


def csv_text() -> bytes:
    lines = ["id,score,name"] + [f'{i},{i / 7:.5f},"row {i}, quoted"' for i in range(200)]
    return ("\n".join(lines) + "\n").encode()


def png_bytes() -> bytes:
    pixels = np.arange(48 * 64 * 3, dtype=np.uint8).reshape(48, 64, 3)
    return bytes(ff.io.encode_png(pixels))


def formats(folder: Path) -> dict[str, tuple[bytes, Callable[[bytes, Path], str]]]:
    tfrecord = FIXTURES / "tfrecord"
    examples = [bytes(r) for r in ff.data.TFRecordDataset(str(tfrecord / "examples.tfrecord"))]
    sequences = [bytes(r) for r in ff.data.TFRecordDataset(str(tfrecord / "sequence.tfrecord"))]
    return {
        "tfrecord": (
            (tfrecord / "raw.tfrecord").read_bytes(),
            checked_records("", tfrecord / "raw.tfrecord"),
        ),
        "tfrecord-gzip": (
            (tfrecord / "examples.tfrecord.gz").read_bytes(),
            checked_records("GZIP", tfrecord / "examples.tfrecord.gz"),
        ),
        "tfrecord-zlib": (
            (tfrecord / "examples.tfrecord.zlib").read_bytes(),
            checked_records("ZLIB", tfrecord / "examples.tfrecord.zlib"),
        ),
        "example": (max(examples, key=len), parsed("example")),
        "sequence-example": (max(sequences, key=len), parsed("sequence")),
        "parquet": (
            (FIXTURES / "parquet" / "table_snappy.parquet").read_bytes(),
            columnar("parquet"),
        ),
        "arrow-ipc": ((FIXTURES / "parquet" / "table.arrow").read_bytes(), columnar("arrow")),
        "csv": (csv_text(), csv_case),
        "jpeg": ((FIXTURES / "images" / "rgb_420.jpg").read_bytes(), image(ff.io.decode_jpeg)),
        "png": (png_bytes(), image(ff.io.decode_png)),
        "cache": cache_case(folder),
    }


def main(name: str, cases: int, seed: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        data, case = formats(folder)[name]
        rng = random.Random(f"{name}-{seed}")
        for i in range(cases):
            mutated = mutate(data, rng)
            print(f"case {i}: {case(mutated, folder / f'case{i}')}", flush=True)
    print(f"done {cases}", flush=True)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
