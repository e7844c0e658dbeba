"""Names of objects in object stores (``s3://bucket/key``, ``gs://``, ``az://``,
``http(s)://host/path``), and glob
patterns over them: ``*``, ``?`` and ``[...]`` match within one ``/``-separated part, as
they do for ``glob.glob`` on local paths."""

from __future__ import annotations

import fnmatch

_SCHEMES = ("s3", "s3a", "gs", "az", "adl", "azure", "abfs", "abfss", "http", "https")
_WILDCARDS = "*?["


def is_remote(name: str) -> bool:
    """Whether ``name`` is an object's URL rather than a local path."""
    scheme, sep, _ = name.partition("://")
    return bool(sep) and scheme in _SCHEMES


def glob(pattern: str) -> list[str]:
    """The URLs of the objects that ``pattern`` matches, sorted."""
    from . import _lib

    wild = [i for i in (pattern.find(c) for c in _WILDCARDS) if i >= 0]
    if not wild:
        return [name for name in _lib.list_objects(pattern) if name == pattern]
    # The listing starts at the last whole part before the first wildcard.
    prefix = pattern[: pattern.rfind("/", 0, min(wild)) + 1]
    parts = pattern.split("/")
    return sorted(
        name
        for name in _lib.list_objects(prefix)
        if len(name.split("/")) == len(parts)
        and all(fnmatch.fnmatchcase(n, p) for n, p in zip(name.split("/"), parts))
    )
