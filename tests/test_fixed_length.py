"""``FixedLengthRecordDataset``: records between a header and a footer, plain or GZIP,
what TensorFlow 2.21 returned for the same files, and the CIFAR-10 binary pipeline."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

import ferroflow as ff
from ferroflow.data import FixedLengthRecordDataset


def _write(path, data: bytes) -> str:
    path.write_bytes(data)
    return str(path)


def test_records_between_header_and_footer_as_tensorflow(tmp_path):
    a = _write(tmp_path / "a.bin", b"HH" + b"abcdefghi" + b"ZZZ")
    b = _write(tmp_path / "b.bin", b"HH" + b"jklmno" + b"ZZZ")
    ds = FixedLengthRecordDataset([a, b], 3, header_bytes=2, footer_bytes=3)
    assert list(ds) == [b"abc", b"def", b"ghi", b"jkl", b"mno"]
    both = FixedLengthRecordDataset([a, b], 3, 2, 3, num_parallel_reads=2)
    assert list(both) == [b"abc", b"jkl", b"def", b"mno", b"ghi"]
    packed = _write(tmp_path / "a.gz", gzip.compress(b"HH" + b"abcdefghi" + b"ZZZ"))
    gz = FixedLengthRecordDataset(packed, 3, 2, 3, compression_type="GZIP")
    assert list(gz) == [b"abc", b"def", b"ghi"]
    assert list(FixedLengthRecordDataset(a, 2)) == [b"HH", b"ab", b"cd", b"ef", b"gh", b"iZ", b"ZZ"]


def test_a_partial_record_is_refused_naming_the_file(tmp_path):
    bad = _write(tmp_path / "bad.bin", b"HH" + b"abcde" + b"ZZZ")
    message = 'bad.bin" has body length 5 bytes, which is not an exact multiple'
    with pytest.raises(ff.errors.InvalidArgumentError, match=message):
        list(FixedLengthRecordDataset(bad, 3, 2, 3))
    packed = _write(tmp_path / "bad.gz", gzip.compress(b"HH" + b"abcde" + b"ZZZ"))
    with pytest.raises(ff.errors.DataLossError, match='bad.gz" has body length 5 bytes'):
        list(FixedLengthRecordDataset(packed, 3, 2, 3, compression_type="GZIP"))
    with pytest.raises(ValueError, match="record_bytes"):
        FixedLengthRecordDataset(bad, 0)


def test_cifar10_binary_records_parse_natively(tmp_path):
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 10, 5, dtype=np.uint8)
    images = rng.integers(0, 256, (5, 3, 32, 32), dtype=np.uint8)  # channels first on disk
    body = b"".join(bytes([lab]) + img.tobytes() for lab, img in zip(labels, images))
    path = _write(tmp_path / "data_batch_1.bin", body)

    def parse(record):
        raw = ff.io.decode_raw(record, ff.uint8)
        label = ff.cast(raw[0], ff.int32)
        image = ff.transpose(ff.reshape(raw[1:], [3, 32, 32]), [1, 2, 0])
        return image, label

    it = iter(FixedLengthRecordDataset(path, 1 + 32 * 32 * 3).map(parse))
    out = list(it)
    assert [int(label) for _, label in out] == labels.tolist()
    for (image, _), expected in zip(out, images):
        np.testing.assert_array_equal(image, expected.transpose(1, 2, 0))
    assert all(s["notes"] == [] for s in it.stats())
