"""Sizes that come from data or from arguments are checked before they are allocated. Under
an address-space limit, as clusters and containers impose, a size too large raises
ResourceExhaustedError or InvalidArgumentError and the process goes on, instead of aborting.
Each case runs in a child process of its own under that limit."""

from __future__ import annotations

import struct
import subprocess
import textwrap
import zlib

import pytest

from helpers import run_limited

LIMIT = 3 << 30


def _png_header(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height RGB pixels, with almost no pixel data."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00"))
        + chunk(b"IEND", b"")
    )


CASES = {
    "a PNG header claiming 100000 x 100000": (
        f"ff.io.decode_png({_png_header(100000, 100000)!r})",
        "InvalidArgumentError",
        "PNG size too large for int: 100000 by 100000",
    ),
    "a PNG within TensorFlow's bounds but past the memory left": (
        f"ff.io.decode_png({_png_header(20000, 20000)!r})",
        "ResourceExhaustedError",
        "decode_png: a 20000x20000 image",
    ),
    "one_hot of depth 2**40": (
        "ff.one_hot(np.array([1]), 2**40)",
        "ResourceExhaustedError",
        "one_hot: 1 indices of depth 1099511627776",
    ),
    "resize to 100000 x 100000, eager": (
        "ff.image.resize(np.zeros((8, 8, 3), np.uint8), [100000, 100000])",
        "ResourceExhaustedError",
        "resize: 1 images of 100000x100000x3",
    ),
    "resize to 100000 x 100000, traced": (
        "list(ff.data.Dataset.from_tensors(np.zeros((8, 8, 3), np.uint8))"
        ".map(lambda x: ff.image.resize(x, [100000, 100000])))",
        "ResourceExhaustedError",
        "resize: 1 images of 100000x100000x3",
    ),
    "a line without end (/dev/zero)": (
        "list(ff.data.TextLineDataset('/dev/zero').take(1))",
        "ResourceExhaustedError",
        "/dev/zero, line 1",
    ),
}

PROGRAM = """
import numpy as np
import ferroflow as ff
try:
    {expression}
except ff.errors.{error} as e:
    assert {message!r} in str(e), str(e)
    print("refused:", type(e).__name__)
else:
    raise SystemExit("no error")
# The process goes on.
print("then:", [int(x) for x in ff.data.Dataset.range(3).map(lambda x: x * 2)])
"""


def _run(program: str) -> subprocess.CompletedProcess[str]:
    return run_limited(["-c", textwrap.dedent(program)], address_space=LIMIT, timeout=300)


@pytest.mark.parametrize("case", sorted(CASES))
def test_sizes_past_the_memory_left_are_refused_not_aborted(case):
    expression, error, message = CASES[case]
    result = _run(PROGRAM.format(expression=expression, error=error, message=message))
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout == f"refused: {error}\nthen: [0, 2, 4]\n"


def test_a_prefetch_buffer_of_two_to_the_forty_holds_what_the_data_has():
    result = _run(
        """
        import ferroflow as ff
        print([int(x) for x in ff.data.Dataset.range(5).prefetch(2**40)])
        """
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout == "[0, 1, 2, 3, 4]\n"


def test_many_parallel_calls_under_a_memory_limit():
    result = _run(
        """
        import ferroflow as ff
        ds = ff.data.Dataset.range(1000).map(lambda x: int(x) + 1, num_parallel_calls=256)
        print(int(sum(ds.as_numpy_iterator())))
        """
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout == f"{sum(range(1, 1001))}\n"


def test_a_parallel_map_over_large_elements_stays_near_its_buffers():
    # 8 parallel calls, batch(8), prefetch(2) over 4 MiB elements: 24 elements in flight,
    # waiting or being batched and 4 batches copied, prefetched or held, 224 MiB in all. The
    # elements are freed on another thread than the one that allocated them, which the
    # allocator must reuse: it once held on to them, gigabytes over 300 elements.
    live = (2 * 8 + 8) * (4 << 20) + (1 + 2 + 1) * 8 * (4 << 20)
    result = _run(
        """
        import resource
        import ferroflow as ff
        def fill(x):
            return ff.fill([1 << 20], ff.cast(x, ff.float32))
        ds = ff.data.Dataset.range(300).map(fill, num_parallel_calls=8).batch(8).prefetch(2)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        total = sum(float(b[:, 0].sum()) for b in ds)
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(int(total), (after - before) * 1024)
        """
    )
    assert result.returncode == 0, result.stderr[-3000:]
    total, growth = map(int, result.stdout.split())
    assert total == sum(range(300))
    assert growth < 1.5 * live + (64 << 20), f"peak grew by {growth / 1e6:.0f} MB"
