"""``gfile`` on objects in stores (``s3://``, ``gs://``, ``az://``, ``http(s)://``): a store
has objects under ``/``-separated names and no directories, so a "directory" is a prefix
that some object's name continues. Objects are written whole: a written object appears
when its ``GFile`` closes, and a ``GFile`` left by an exception leaves no object."""

from __future__ import annotations

import io
import os
from collections.abc import Iterable, Iterator
from typing import Any

from .. import _lib, errors
from .._object_names import glob as glob_objects
from .._object_names import is_remote

#: Bytes read ahead or gathered before a write, per open object.
_BUFFER = 1 << 20


def set_storage_options(prefix: str, options: dict[str, Any] | None) -> None:
    """Uses ``options`` for every object whose URL starts with ``prefix`` (``"s3://"`` for
    every bucket; the longest matching prefix wins), over the cloud's environment variables
    and config files.

    Keys are the ``object_store`` crate's configuration keys, as in ``storage_options`` of
    Polars and delta-rs: for S3 ``endpoint``, ``region``, ``access_key_id``,
    ``secret_access_key``, ``session_token``, ``allow_http``; for GCS
    ``google_service_account``, ``google_service_account_key``, ``google_base_url``; for
    Azure ``azure_storage_account_name``, ``azure_storage_account_key``; for any store the
    HTTP client's ``timeout``, ``connect_timeout``, ``allow_http``. A key the store does not
    know raises ``InvalidArgumentError`` here. ``None`` or ``{}`` removes the prefix's options.
    """
    pairs = [
        (str(k), str(v).lower() if isinstance(v, bool) else str(v))
        for k, v in (options or {}).items()
    ]
    _lib.set_storage_options(prefix, pairs)


def path_str(path: Any) -> str:
    """A path given as ``str``, ``bytes``, ``os.PathLike`` or a scalar string tensor, as a
    ``str``."""
    if hasattr(path, "numpy"):
        path = path.numpy()
    return os.fsdecode(path)


def store_root(url: str) -> str | None:
    """The store an object's URL names (``s3://bucket/``, ``https://host/``); None for a
    local path."""
    if not is_remote(url):
        return None
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}/"


def use_storage_options(paths: Iterable[Any], options: dict[str, Any] | None) -> None:
    """The ``storage_options`` argument of readers and writers: ``set_storage_options`` for
    the store (scheme and bucket, or host) of each remote path in ``paths`` (as
    ``path_str`` takes them). The options
    stay registered for those stores, so later reads of them (an iterator made again, a
    checkpoint restored) use them too. None or ``{}`` changes nothing."""
    if not options:
        return
    roots = {store_root(path_str(p)) for p in paths}
    for root in sorted(r for r in roots if r is not None):
        set_storage_options(root, options)


def _folder(url: str) -> str:
    return url if url.endswith("/") else url + "/"


def _level(url: str) -> tuple[list[tuple[str, int, int]], list[str]]:
    return _lib.list_object_level(_folder(url))


def exists(url: str) -> bool:
    """An object, or a prefix of some object's name."""
    if not url.endswith("/") and _lib.stat_object(url) is not None:
        return True
    return isdir(url)


def isdir(url: str) -> bool:
    """A prefix some object's name continues (a bucket is one)."""
    objects, folders = _level(url)
    return bool(objects or folders)


def listdir(url: str) -> list[str]:
    """The names one level under ``url``: objects, and folders with a trailing ``/`` (as
    TensorFlow lists a bucket)."""
    objects, folders = _level(url)
    if not objects and not folders:
        raise errors.NotFoundError(f"Could not find directory {url}")
    start = len(_folder(url))
    return _names(objects, start) + [name[start:] for name in folders]


def _names(objects: list[tuple[str, int, int]], start: int) -> list[str]:
    # An object named like its folder ("dir/") marks the folder, as S3 consoles make them.
    return [name[start:] for name, _, _ in objects if name[start:]]


def glob(pattern: str) -> list[str]:
    """The URLs of the objects ``pattern`` matches, sorted."""
    return glob_objects(pattern)


def _below(url: str) -> list[str]:
    return list(_lib.list_objects(_folder(url)))


def remove(url: str) -> None:
    """Deletes the object ``url``."""
    try:
        _lib.delete_object(url)  # asks whether it exists first: a store deletes nothing quietly
    except errors.NotFoundError:
        if isdir(url):
            raise errors.FailedPreconditionError(f"{url}; Is a directory") from None
        raise errors.NotFoundError(f"{url}; No such file or directory") from None


def rmtree(url: str) -> None:
    """Deletes every object under the prefix ``url``."""
    names = _below(url)
    if not names:
        raise errors.NotFoundError(f"{url} not found")
    _lib.delete_objects(names)


def rename_tree(source: str, target: str) -> bool:
    """Moves every object under the prefix ``source`` to the same name under ``target``;
    False, moving nothing, when no object is under it. All are copied before any is deleted,
    so a move that fails part way leaves ``source`` whole (and copies under ``target``)."""
    start = len(_folder(source))
    names = _below(source)
    for name in names:
        if name[start:]:  # a folder's own marker object is not copied: it has no name there
            copy_object(name, _folder(target) + name[start:])
    if names:
        _lib.delete_objects(names)
    return bool(names)


def stat(url: str) -> tuple[int, int, bool]:
    """``(length, mtime_nsec, is_directory)`` of an object or a prefix."""
    found = None if url.endswith("/") else _lib.stat_object(url)
    if found is not None:
        return found[1], found[2], False
    if isdir(url):
        return 0, 0, True
    raise errors.NotFoundError(f"{url}; No such file or directory")


def walk(top: str, topdown: bool) -> Iterator[tuple[str, list[str], list[str]]]:
    """``(prefix, folder names, object names)`` for ``top`` and every prefix under it."""
    objects, folders = _level(top)
    if not objects and not folders:
        return
    start = len(_folder(top))
    names = _names(objects, start)
    subfolders = [name[start:].rstrip("/") for name in folders]
    if topdown:
        yield top, subfolders, names
    for name in folders:
        yield from walk(name.rstrip("/"), topdown)
    if not topdown:
        yield top, subfolders, names


def copy_object(source: str, target: str) -> None:
    """Copies ``source`` to ``target`` (either may be local): within one store by the
    store itself, otherwise through a read and a write."""
    if is_remote(source) and is_remote(target) and _root(source) == _root(target):
        _lib.copy_object(source, target)
        return
    with open_stream(source, "r") as src, open_stream(target, "w") as dst:
        while chunk := src.read(_BUFFER):
            dst.write(chunk)


def _root(url: str) -> str:
    scheme, _, rest = url.partition("://")
    return scheme + "://" + rest.split("/", 1)[0]


class _ReadStream(io.RawIOBase):
    """An object read from any position, fetching ranges ahead."""

    def __init__(self, name: str) -> None:
        self._native = _lib.NativeObjectReader(name)
        self._position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        data = self._native.read(len(view))
        view[: len(data)] = data
        self._position += len(data)
        return len(data)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._native.size}[whence]
        if base + offset < 0:
            raise errors.InvalidArgumentError(f"seek to {base + offset}, before the start")
        self._position = self._native.seek(base + offset)
        return self._position

    def tell(self) -> int:
        return self._position


class _WriteStream(io.RawIOBase):
    """An object being written; it appears when closed, and never after ``abort``."""

    def __init__(self, name: str) -> None:
        self._native = _lib.NativeObjectWriter(name)
        self._aborted = False

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        if self._aborted:
            return len(data)
        return int(self._native.write(bytes(data)))

    def abort(self) -> None:
        self._aborted = True
        self._native.abort()

    def close(self) -> None:
        if not self.closed:
            try:
                self._native.close()
            finally:
                super().close()


def open_stream(name: str, mode: str) -> Any:
    """A buffered binary stream on the object ``name`` (or a local file, for ``copy``):
    ``mode`` "r" or "w"; a store's objects cannot be appended to or updated in place."""
    if not is_remote(name):
        return open(name, mode + "b")  # noqa: SIM115
    if mode == "r":
        # Opening asks the store for the object's size: a missing one is NotFoundError.
        return io.BufferedReader(_ReadStream(name), _BUFFER)
    if mode == "w":
        return io.BufferedWriter(_WriteStream(name), _BUFFER)
    raise errors.UnimplementedError(
        f"{name}: objects in a store are written whole; mode {mode!r} is not supported"
    )


def abort_stream(stream: Any) -> None:
    """Drops what a write stream on an object holds, so closing it creates nothing."""
    raw = getattr(stream, "raw", None)
    if isinstance(raw, _WriteStream):
        raw.abort()
