"""cache(filename): the file names the pipeline's elements, checks each one and is complete
only once its end is written; any file that fails is refused with DataLossError naming it,
never replayed."""

from __future__ import annotations

import os

import numpy as np
import pytest

import ferroflow as ff


def _cached(path, n=10):
    return ff.data.Dataset.range(n).map(lambda x: x * 3).cache(str(path))


def _values(ds):
    return [int(x) for x in ds]


def test_the_second_pass_replays_the_file(tmp_path):
    ds = _cached(tmp_path / "c")
    assert _values(ds) == [3 * i for i in range(10)]
    assert (tmp_path / "c.ffcache").exists()
    # Only the finished file is left in the folder: the temporary one was renamed.
    assert sorted(os.listdir(tmp_path)) == ["c.ffcache"]
    assert _values(ds) == [3 * i for i in range(10)]


def test_a_flipped_bit_is_refused(tmp_path):
    ds = _cached(tmp_path / "c")
    _values(ds)
    path = tmp_path / "c.ffcache"
    data = bytearray(path.read_bytes())
    # The value 3 * 7 = 21 of element 7, as the file stores an int64.
    data[data.index((21).to_bytes(8, "little"))] ^= 0x10
    path.write_bytes(bytes(data))
    with pytest.raises(ff.errors.DataLossError, match="c.ffcache.*checksum"):
        _values(ds)


@pytest.mark.parametrize("keep", [0.5, 0.9])
def test_a_file_cut_short_is_refused_even_at_an_element_boundary(tmp_path, keep):
    ds = _cached(tmp_path / "c", n=100)
    _values(ds)
    path = tmp_path / "c.ffcache"
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(ff.errors.DataLossError, match="c.ffcache.*(end marker|too few)"):
        _values(ds)
    # Cut exactly where an element ends and the end marker would begin.
    path.write_bytes(data[:-20])
    with pytest.raises(ff.errors.DataLossError, match="no end marker"):
        _values(ds)


def test_another_pipelines_file_is_refused(tmp_path):
    strings = ff.data.Dataset.from_tensor_slices(np.array([b"a", b"b"])).cache(str(tmp_path / "c"))
    assert [bytes(x) for x in strings] == [b"a", b"b"]
    with pytest.raises(ff.errors.DataLossError, match="another pipeline"):
        _values(_cached(tmp_path / "c"))


def test_a_file_of_the_same_elements_from_another_definition_is_refused(tmp_path):
    # Same element type and count: only the pipelines' fingerprints tell them apart.
    assert _values(_cached(tmp_path / "c")) == [3 * i for i in range(10)]
    other = ff.data.Dataset.range(10).map(lambda x: x * 4).cache(str(tmp_path / "c"))
    with pytest.raises(ff.errors.DataLossError, match="c.ffcache.*another pipeline"):
        _values(other)
    # The same definition, made again, reads the file.
    assert _values(_cached(tmp_path / "c")) == [3 * i for i in range(10)]


def test_a_link_at_the_old_temporary_name_is_left_alone(tmp_path):
    victim = tmp_path / "victim"
    victim.write_bytes(b"precious")
    # The names a writer used to pick: the cache's name, the process, a counter.
    for n in range(4):
        os.symlink(victim, tmp_path / f"c.ffcache.tmp-{os.getpid()}-{n}")
    assert _values(_cached(tmp_path / "c")) == [3 * i for i in range(10)]
    assert victim.read_bytes() == b"precious"
    assert _values(_cached(tmp_path / "c")) == [3 * i for i in range(10)]
