"""Exceptions mirroring ``tf.errors``. Each also subclasses the natural builtin, so code that
catches ``ValueError`` or ``OSError`` keeps working."""

from __future__ import annotations


class OpError(Exception):
    """The base of every ferroflow pipeline error, as ``tf.errors.OpError``."""

    def __init__(self, message: str = "", *args: object) -> None:
        super().__init__(message, *args)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InvalidArgumentError(OpError, ValueError):
    """An argument or an element value is not acceptable to the operation."""


class OutOfRangeError(OpError, IndexError):
    """Read past the end of a sequence."""


class DataLossError(OpError, OSError):
    """Corrupt or truncated data; the message names the file and the byte offset."""


class NotFoundError(OpError, FileNotFoundError):
    """A file or resource does not exist."""


class AlreadyExistsError(OpError, FileExistsError):
    """A file or resource exists already."""


class PermissionDeniedError(OpError, PermissionError):
    """The caller may not do this."""


class FailedPreconditionError(OpError, RuntimeError):
    """The system is not in a state where the operation can run."""


class ResourceExhaustedError(OpError, MemoryError):
    """A buffer, budget or system resource ran out."""


class UnimplementedError(OpError, NotImplementedError):
    """The operation is not supported for these inputs."""


class CancelledError(OpError, RuntimeError):
    """The operation was cancelled."""


class InternalError(OpError, RuntimeError):
    """An invariant of ferroflow itself broke; please report it."""


class UnknownError(OpError, OSError):
    """An error without a better class, most often an I/O failure."""


__all__ = [
    "AlreadyExistsError",
    "CancelledError",
    "DataLossError",
    "FailedPreconditionError",
    "InternalError",
    "InvalidArgumentError",
    "NotFoundError",
    "OpError",
    "OutOfRangeError",
    "PermissionDeniedError",
    "ResourceExhaustedError",
    "UnimplementedError",
    "UnknownError",
]
