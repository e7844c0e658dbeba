"""``tf.io.gfile``: file and directory operations with TensorFlow's semantics and its errors
(``NotFoundError``, ``AlreadyExistsError`` ...), and ``GFile``, on local paths and on
objects in stores (``s3://``, ``gs://``, ``az://``, ``http(s)://``; see ``_object_files``
for what a directory is there)."""

from __future__ import annotations

import contextlib
import errno
import glob as _glob
import os
import shutil
from collections.abc import Iterator
from typing import IO, Any

from .. import errors
from .._object_names import is_remote
from . import _object_files as objects

PathLike = str | bytes | os.PathLike


@contextlib.contextmanager
def _as_op_errors(path: str) -> Iterator[None]:
    """Raises OS errors as TensorFlow's error classes, naming ``path``."""
    try:
        yield
    except errors.OpError:
        raise  # already names what failed
    except FileNotFoundError as e:
        raise errors.NotFoundError(f"{path}; No such file or directory") from e
    except FileExistsError as e:
        raise errors.AlreadyExistsError(f"{path}; File exists") from e
    except IsADirectoryError as e:
        raise errors.FailedPreconditionError(f"{path}; Is a directory") from e
    except NotADirectoryError as e:
        raise errors.FailedPreconditionError(f"{path}; Not a directory") from e
    except PermissionError as e:
        raise errors.PermissionDeniedError(f"{path}; Permission denied") from e
    except OSError as e:
        raise errors.UnknownError(f"{path}; {e.strerror or e}") from e


def exists(path: PathLike) -> bool:
    """True when ``path`` names a file or directory."""
    name = objects.path_str(path)
    if is_remote(name):
        return objects.exists(name)
    return os.path.exists(name)


def isdir(path: PathLike) -> bool:
    """True when ``path`` names a directory."""
    name = objects.path_str(path)
    if is_remote(name):
        return objects.isdir(name)
    return os.path.isdir(name)


def listdir(path: PathLike) -> list[str]:
    """The names (not paths) of the entries of directory ``path``; ``NotFoundError`` when it
    is not a directory."""
    directory = objects.path_str(path)
    if is_remote(directory):
        return objects.listdir(directory)
    if not os.path.isdir(directory):
        raise errors.NotFoundError(f"Could not find directory {directory}")
    with _as_op_errors(directory):
        return os.listdir(directory)


def glob(pattern: PathLike | list[PathLike]) -> list[str]:
    """The paths matching ``pattern`` (or any of a list of patterns), in sorted order."""
    patterns = pattern if isinstance(pattern, (list, tuple)) else [pattern]
    return sorted(
        {
            match
            for p in map(objects.path_str, patterns)
            for match in (objects.glob(p) if is_remote(p) else _glob.glob(p))
        }
    )


def makedirs(path: PathLike) -> None:
    """Creates directory ``path`` and any missing parents; nothing if it exists (nor in a
    store, which has no directories: writing an object makes its prefix one)."""
    directory = objects.path_str(path)
    if is_remote(directory):
        return
    with _as_op_errors(directory):
        os.makedirs(directory, exist_ok=True)


def mkdir(path: PathLike) -> None:
    """Creates directory ``path`` (its parent must exist); nothing if it exists (nor in a
    store)."""
    directory = objects.path_str(path)
    if is_remote(directory):
        return
    with _as_op_errors(directory):
        with contextlib.suppress(FileExistsError):
            os.mkdir(directory)


def remove(path: PathLike) -> None:
    """Deletes the file ``path`` (``FailedPreconditionError`` for a directory)."""
    name = objects.path_str(path)
    if is_remote(name):
        return objects.remove(name)
    with _as_op_errors(name):
        if os.path.isdir(name):
            raise IsADirectoryError(errno.EISDIR, "Is a directory", name)
        os.remove(name)


def rmtree(path: PathLike) -> None:
    """Deletes directory ``path`` and everything under it."""
    directory = objects.path_str(path)
    if is_remote(directory):
        return objects.rmtree(directory)
    if not os.path.exists(directory):
        raise errors.NotFoundError(f"{directory} not found")
    with _as_op_errors(directory):
        shutil.rmtree(directory)


def _refuse_existing(target: str, overwrite: bool) -> None:
    if not overwrite and exists(target):
        raise errors.AlreadyExistsError(f"{target}; file already exists")


def rename(src: PathLike, dst: PathLike, overwrite: bool = False) -> None:
    """Moves ``src`` (a file or directory) to ``dst``; ``AlreadyExistsError`` when ``dst``
    exists unless ``overwrite``."""
    source, target = objects.path_str(src), objects.path_str(dst)
    _refuse_existing(target, overwrite)
    if is_remote(source) or is_remote(target):
        if is_remote(source) and is_remote(target):
            if objects.rename_tree(source, target):
                return
        elif isdir(source):
            raise errors.UnimplementedError(
                f"{source} to {target}: a directory moves between stores only, not "
                "to or from a local file system"
            )
        objects.copy_object(source, target)
        remove(source)
        return
    with _as_op_errors(source):
        os.replace(source, target)


def copy(src: PathLike, dst: PathLike, overwrite: bool = False) -> None:
    """Copies the file ``src`` to ``dst``; ``AlreadyExistsError`` when ``dst`` exists unless
    ``overwrite``."""
    source, target = objects.path_str(src), objects.path_str(dst)
    _refuse_existing(target, overwrite)
    if is_remote(source) or is_remote(target):
        with _as_op_errors(source):
            objects.copy_object(source, target)
        return
    with _as_op_errors(source):
        shutil.copyfile(source, target)


class FileStatistics:
    """What ``stat`` reports: ``length`` in bytes, ``mtime_nsec``, ``is_directory``."""

    __slots__ = ("length", "mtime_nsec", "is_directory")

    def __init__(self, length: int, mtime_nsec: int, is_directory: bool) -> None:
        self.length = length
        self.mtime_nsec = mtime_nsec
        self.is_directory = is_directory

    def __repr__(self) -> str:
        return (
            f"FileStatistics(length={self.length}, mtime_nsec={self.mtime_nsec}, "
            f"is_directory={self.is_directory})"
        )


def stat(path: PathLike) -> FileStatistics:
    """The size, modification time and kind of ``path``."""
    name = objects.path_str(path)
    if is_remote(name):
        return FileStatistics(*objects.stat(name))
    with _as_op_errors(name):
        info = os.stat(name)
    return FileStatistics(info.st_size, info.st_mtime_ns, os.path.isdir(name))


def walk(
    top: PathLike, topdown: bool = True, onerror: Any = None
) -> Iterator[tuple[str, list[str], list[str]]]:
    """``(directory, subdirectory names, file names)`` for ``top`` and every directory under
    it, parents first unless ``topdown=False``; nothing for a missing ``top``."""
    name = objects.path_str(top)
    if is_remote(name):
        yield from objects.walk(name, topdown)
        return
    yield from os.walk(name, topdown=topdown, onerror=onerror)


def join(path: PathLike, *paths: PathLike) -> str:
    """The paths joined with the separator (``/`` for objects in stores)."""
    first = objects.path_str(path)
    if is_remote(first):
        return "/".join([first.rstrip("/"), *(objects.path_str(p).strip("/") for p in paths)])
    return os.path.join(first, *(objects.path_str(p) for p in paths))


_MODES = ("r", "w", "a", "r+", "w+", "a+")


class GFile:
    """A file, as ``tf.io.gfile.GFile``: opened on first use; text modes read ``str`` and
    binary modes (``"rb"`` ...) ``bytes``; ``write`` takes either in any mode. Iterating
    gives lines; it is a context manager. ``storage_options`` (not in TensorFlow) are the
    store's options for an object's URL (``ff.io.set_storage_options``)."""

    def __init__(
        self, name: PathLike, mode: str = "r", *, storage_options: dict[str, Any] | None = None
    ) -> None:
        if mode.replace("b", "") not in _MODES:
            raise errors.InvalidArgumentError(
                "mode is not 'r' or 'w' or 'a' or 'r+' or 'w+' or 'a+'"
            )
        self.name = objects.path_str(name)
        objects.use_storage_options([self.name], storage_options)
        self.mode = mode
        self._binary = "b" in mode
        self._file: IO[bytes] | None = None

    def _open(self) -> IO[bytes]:
        if self._file is None:
            with _as_op_errors(self.name):
                if is_remote(self.name):
                    self._file = objects.open_stream(self.name, self.mode.replace("b", ""))
                else:
                    self._file = open(self.name, self.mode.replace("b", "") + "b")  # noqa: SIM115
        return self._file

    def _readable(self) -> IO[bytes]:
        if self.mode.replace("b", "") in ("w", "a"):
            raise errors.PermissionDeniedError("File isn't open for reading")
        return self._open()

    def _text(self, data: bytes) -> str | bytes:
        return data if self._binary else data.decode("utf-8")

    def read(self, n: int = -1) -> str | bytes:
        """``n`` bytes (all that are left when -1), as ``str`` in text mode."""
        return self._text(self._readable().read(n))

    def readline(self) -> str | bytes:
        """The next line, with its newline."""
        return self._text(self._readable().readline())

    def readlines(self) -> list[str | bytes]:
        """Every remaining line."""
        return [self._text(line) for line in self._readable().readlines()]

    def __iter__(self) -> Iterator[str | bytes]:
        return self

    def __next__(self) -> str | bytes:
        line = self.readline()
        if not line:
            raise StopIteration
        return line

    def write(self, file_content: str | bytes) -> None:
        """Writes ``file_content`` (``str`` is written as UTF-8)."""
        if self.mode.replace("b", "") == "r":
            raise errors.PermissionDeniedError("File isn't open for writing")
        data = file_content.encode("utf-8") if isinstance(file_content, str) else file_content
        self._open().write(bytes(data))

    def seek(self, offset: int | None = None, whence: int = 0, position: int | None = None) -> None:
        """Moves to byte ``offset`` from the start (``whence=0``), the current position (1) or
        the end (2)."""
        where = position if offset is None else offset
        self._open().seek(0 if where is None else where, whence)

    def tell(self) -> int:
        """The current byte position."""
        return self._open().tell()

    def size(self) -> int:
        """The file's length in bytes."""
        if self._file is not None:
            self._file.flush()
        return stat(self.name).length

    def seekable(self) -> bool:
        """True, except for an object in a store being written."""
        return not (is_remote(self.name) and self.mode.replace("b", "") != "r")

    def flush(self) -> None:
        """Writes buffered data to the file."""
        if self._file is not None:
            self._file.flush()

    def close(self) -> None:
        """Flushes and closes the file."""
        if self._file is not None:
            self._file.close()
            self._file = None

    def __enter__(self) -> GFile:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        # An object whose writing raised is dropped rather than stored incomplete.
        if exc_type is not None and self._file is not None:
            objects.abort_stream(self._file)
        self.close()


Open = GFile


def write_file(filename: Any, contents: Any, name: str | None = None) -> None:
    """Writes the string ``contents`` to ``filename``, creating missing parent directories
    (``tf.io.write_file``). In a traced function the engine writes as each element is
    computed."""
    from .. import _trace

    if _trace.is_symbol(filename) or _trace.is_symbol(contents):
        from .._ops import apply_multi

        apply_multi("write_file", [filename, contents], None, lambda s: [], 0)
        return None
    path = objects.path_str(filename)
    data = contents.numpy() if hasattr(contents, "numpy") else contents
    if isinstance(data, str):
        data = data.encode("utf-8")
    parent = os.path.dirname(path)
    if parent:
        makedirs(parent)
    with GFile(path, "wb") as f:
        f.write(bytes(data))


__all__ = [
    "FileStatistics",
    "GFile",
    "Open",
    "copy",
    "exists",
    "glob",
    "isdir",
    "join",
    "listdir",
    "makedirs",
    "mkdir",
    "remove",
    "rename",
    "rmtree",
    "stat",
    "walk",
]
