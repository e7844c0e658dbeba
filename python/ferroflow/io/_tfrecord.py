"""Writing TFRecord files: ``TFRecordWriter`` and ``TFRecordOptions``."""

from __future__ import annotations

import os
from typing import Any

from .._lib import NativeTfRecordWriter

_COMPRESSION = {None: "", "": "", "NONE": "", "GZIP": "GZIP", "ZLIB": "ZLIB"}


class TFRecordOptions:
    """How a TFRecord file is compressed: ``compression_type`` None, "", "GZIP" or "ZLIB".
    The zlib tuning arguments TensorFlow accepts are taken and ignored."""

    def __init__(self, compression_type: str | None = None, **zlib_options: Any) -> None:
        if compression_type not in _COMPRESSION:
            raise ValueError(f"unknown compression_type {compression_type!r}")
        self.compression_type = compression_type or ""
        self.zlib_options = zlib_options

    @staticmethod
    def get_compression_type_string(options: Any) -> str:
        """The compression name of ``options`` (a TFRecordOptions, a string or None)."""
        if isinstance(options, TFRecordOptions):
            return options.compression_type
        if options not in _COMPRESSION:
            raise ValueError(f"unknown compression_type {options!r}")
        return _COMPRESSION[options]


class TFRecordWriter:
    """Writes records to a TFRecord file, in the format TensorFlow reads. A context manager:
    the file is closed (and flushed) on exit. ``storage_options`` are the credentials and
    endpoint of the store an ``s3://`` (``gs://``, ...) path names, as
    ``ff.io.set_storage_options`` takes them (registered for that store)."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        options: Any = None,
        storage_options: dict[str, Any] | None = None,
    ) -> None:
        from ._object_files import use_storage_options

        use_storage_options([path], storage_options)
        compression = TFRecordOptions.get_compression_type_string(options)
        self._native = NativeTfRecordWriter(os.fspath(path), compression)

    def write(self, record: bytes | str) -> None:
        """Appends one record (bytes; a str is written as UTF-8)."""
        self._native.write(record.encode() if isinstance(record, str) else bytes(record))

    def flush(self) -> None:
        """Pushes buffered records to the file."""
        self._native.flush()

    def close(self) -> None:
        """Finishes the file (the compressed stream's trailer included)."""
        self._native.close()

    def __enter__(self) -> TFRecordWriter:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
