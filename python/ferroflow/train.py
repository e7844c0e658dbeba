"""``ferroflow.train``: tf.train's Example protos (Example, Features, Feature, BytesList,
FloatList, Int64List, SequenceExample, FeatureLists, FeatureList), built like TensorFlow's and
serialised by the Rust wire codec, with no protobuf dependency; and ``Checkpoint``,
``CheckpointManager`` and ``latest_checkpoint`` for iterator states.

Features keep the order they were added (or decoded) in, so re-serialising a decoded record
gives back its exact bytes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from . import _lib
from ._checkpoint import Checkpoint, CheckpointLoadStatus, CheckpointManager, latest_checkpoint


class _Message:
    """Common protobuf-like behaviour: equality, text repr, SerializeToString/FromString."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self._key() == other._key()  # type: ignore[attr-defined]

    def __hash__(self) -> int:  # protobuf messages are unhashable
        raise TypeError(f"unhashable type: {type(self).__name__!r}")

    def __repr__(self) -> str:
        return "\n".join(self._text_lines())

    def _key(self) -> Any:
        raise NotImplementedError

    def _text_lines(self) -> list[str]:
        raise NotImplementedError

    def SerializeToString(self, deterministic: bool | None = None) -> bytes:
        """The protobuf wire encoding."""
        raise NotImplementedError

    @classmethod
    def FromString(cls, data: bytes) -> Any:
        """Decodes a message from its wire encoding."""
        message = cls()
        message.ParseFromString(data)
        return message

    def ParseFromString(self, data: bytes) -> int:
        """Replaces this message's contents with the decoded ``data``; returns its length."""
        raise NotImplementedError


def _varint(value: int) -> bytes:
    """``value`` (non-negative) as a protobuf varint."""
    out = bytearray()
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _c_escape(data: bytes) -> str:
    """Bytes as protobuf's text format writes them: printable ASCII, else octal escapes."""
    return "".join(chr(b) if 32 <= b < 127 and b not in (34, 92) else f"\\{b:03o}" for b in data)


def _indent(lines: list[str]) -> list[str]:
    return ["  " + line for line in lines]


def _block(name: str, lines: list[str]) -> list[str]:
    return [f"{name} {{", *_indent(lines), "}"]


class BytesList(_Message):
    """A list of byte strings (``value``)."""

    __slots__ = ("value",)

    def __init__(self, value: Iterable[bytes | str] = ()) -> None:
        self.value = [v.encode() if isinstance(v, str) else bytes(v) for v in value]

    def _key(self) -> Any:
        return tuple(self.value)

    def _text_lines(self) -> list[str]:
        return [f'value: "{_c_escape(v)}"' for v in self.value]


class FloatList(_Message):
    """A list of float32 values (``value``)."""

    __slots__ = ("value",)

    def __init__(self, value: Iterable[float] = ()) -> None:
        self.value = [float(v) for v in np.asarray(list(value), dtype=np.float32)]

    def _key(self) -> Any:
        return tuple(self.value)

    def _text_lines(self) -> list[str]:
        return [f"value: {v}" for v in self.value]


class Int64List(_Message):
    """A list of int64 values (``value``)."""

    __slots__ = ("value",)

    def __init__(self, value: Iterable[int] = ()) -> None:
        self.value = [int(v) for v in value]

    def _key(self) -> Any:
        return tuple(self.value)

    def _text_lines(self) -> list[str]:
        return [f"value: {v}" for v in self.value]


_KINDS = ("bytes_list", "float_list", "int64_list")


class Feature(_Message):
    """One feature: exactly one of ``bytes_list``, ``float_list`` or ``int64_list`` (or none)."""

    __slots__ = ("_kind", "_list")

    def __init__(
        self,
        bytes_list: BytesList | None = None,
        float_list: FloatList | None = None,
        int64_list: Int64List | None = None,
    ) -> None:
        given = [
            (k, v) for k, v in zip(_KINDS, (bytes_list, float_list, int64_list)) if v is not None
        ]
        if len(given) > 1:
            raise ValueError("a Feature holds one of bytes_list, float_list or int64_list")
        self._kind, self._list = given[0] if given else (None, None)

    def WhichOneof(self, oneof_group: str) -> str | None:
        """The name of the list that is set (``"kind"`` is the only oneof)."""
        if oneof_group != "kind":
            raise ValueError(f"Protocol message has no oneof {oneof_group!r} field.")
        return self._kind

    def HasField(self, field_name: str) -> bool:
        """True when ``field_name`` is the list that is set."""
        return self._kind == field_name

    def SerializeToString(self, deterministic: bool | None = None) -> bytes:
        """The protobuf wire encoding of this one feature, as TensorFlow writes it."""
        if self._kind is None:
            return b""
        field = _KINDS.index(self._kind) + 1
        values = list(self._list.value)  # type: ignore[union-attr]
        if self._kind == "bytes_list":
            body = b"".join(b"\x0a" + _varint(len(v)) + bytes(v) for v in values)
        elif self._kind == "float_list":
            packed = np.asarray(values, "<f4").tobytes()
            body = b"\x0a" + _varint(len(packed)) + packed if values else b""
        else:
            packed = b"".join(_varint(int(v) & (2**64 - 1)) for v in values)
            body = b"\x0a" + _varint(len(packed)) + packed if values else b""
        return bytes([field << 3 | 2]) + _varint(len(body)) + body

    def ParseFromString(self, data: bytes) -> int:
        """Replaces this feature with the decoded ``data``."""
        data = bytes(data)
        # Read as the only feature of an Example, by the engine's parser.
        entry = b"\x0a\x01f\x12" + _varint(len(data)) + data
        features = b"\x0a" + _varint(len(entry)) + entry
        example = Example.FromString(b"\x0a" + _varint(len(features)) + features)
        parsed = example.features.feature.get("f", Feature())
        self._kind, self._list = parsed._kind, parsed._list
        return len(data)

    def _get(self, kind: str, cls: type) -> Any:
        if self._kind == kind:
            return self._list
        return cls()

    @property
    def bytes_list(self) -> BytesList:
        """The bytes values (empty if another kind is set)."""
        return self._get("bytes_list", BytesList)

    @property
    def float_list(self) -> FloatList:
        """The float values (empty if another kind is set)."""
        return self._get("float_list", FloatList)

    @property
    def int64_list(self) -> Int64List:
        """The int64 values (empty if another kind is set)."""
        return self._get("int64_list", Int64List)

    def _key(self) -> Any:
        return (self._kind, None if self._list is None else self._list._key())

    def _text_lines(self) -> list[str]:
        return [] if self._kind is None else _block(self._kind, self._list._text_lines())

    def _wire(self) -> tuple[int, Any]:
        if self._kind is None:
            return 0, None
        if self._kind == "bytes_list":
            arr = np.empty(len(self._list.value), dtype=object)
            arr[:] = self._list.value
            return 1, arr
        if self._kind == "float_list":
            return 2, np.asarray(self._list.value, dtype=np.float32)
        return 3, np.asarray(self._list.value, dtype=np.int64)

    @classmethod
    def _from_wire(cls, kind: int, values: Any) -> Feature:
        if kind == 0:
            return cls()
        if kind == 1:
            return cls(bytes_list=BytesList(values.tolist()))
        if kind == 2:
            return cls(float_list=FloatList(values))
        return cls(int64_list=Int64List(values.tolist()))


def _feature_map(entries: Mapping[str, Feature] | None) -> dict[str, Feature]:
    out = dict(entries or {})
    for k, v in out.items():
        if not isinstance(v, Feature):
            raise TypeError(f"feature {k!r} must be a ferroflow.train.Feature, got {type(v)}")
    return out


def _map_lines(field: str, entries: Mapping[str, Any]) -> list[str]:
    lines: list[str] = []
    for k, v in entries.items():
        lines += _block(field, [f'key: "{k}"', *_block("value", v._text_lines())])
    return lines


class Features(_Message):
    """A map from names to ``Feature``s (``feature``)."""

    __slots__ = ("feature",)

    def __init__(self, feature: Mapping[str, Feature] | None = None) -> None:
        self.feature = _feature_map(feature)

    def _key(self) -> Any:
        return {k: v._key() for k, v in self.feature.items()}

    def _text_lines(self) -> list[str]:
        return _map_lines("feature", self.feature)

    def _wire(self) -> list[tuple[str, int, Any]]:
        return [(k, *v._wire()) for k, v in self.feature.items()]


class Example(_Message):
    """``tf.train.Example``: one record's ``features``."""

    __slots__ = ("features",)

    def __init__(self, features: Features | None = None) -> None:
        self.features = features if features is not None else Features()

    def _key(self) -> Any:
        return self.features._key()

    def _text_lines(self) -> list[str]:
        return _block("features", self.features._text_lines()) if self.features.feature else []

    def SerializeToString(self, deterministic: bool | None = None) -> bytes:
        """The protobuf wire encoding, features in insertion order."""
        return _lib.encode_example(self.features._wire())

    def ParseFromString(self, data: bytes) -> int:
        """Replaces this Example with the decoded ``data``."""
        entries = _lib.decode_example(bytes(data))
        self.features = Features({k: Feature._from_wire(kind, v) for k, kind, v in entries})
        return len(data)


class FeatureList(_Message):
    """The steps of one sequence feature (``feature``, a list of ``Feature``)."""

    __slots__ = ("feature",)

    def __init__(self, feature: Iterable[Feature] = ()) -> None:
        self.feature = list(feature)

    def _key(self) -> Any:
        return tuple(f._key() for f in self.feature)

    def _text_lines(self) -> list[str]:
        return [x for f in self.feature for x in _block("feature", f._text_lines())]


class FeatureLists(_Message):
    """A map from names to ``FeatureList``s (``feature_list``)."""

    __slots__ = ("feature_list",)

    def __init__(self, feature_list: Mapping[str, FeatureList] | None = None) -> None:
        self.feature_list = dict(feature_list or {})

    def _key(self) -> Any:
        return {k: v._key() for k, v in self.feature_list.items()}

    def _text_lines(self) -> list[str]:
        return _map_lines("feature_list", self.feature_list)


class SequenceExample(_Message):
    """``tf.train.SequenceExample``: ``context`` features and ``feature_lists`` of steps."""

    __slots__ = ("context", "feature_lists")

    def __init__(
        self, context: Features | None = None, feature_lists: FeatureLists | None = None
    ) -> None:
        self.context = context if context is not None else Features()
        self.feature_lists = feature_lists if feature_lists is not None else FeatureLists()

    def _key(self) -> Any:
        return (self.context._key(), self.feature_lists._key())

    def _text_lines(self) -> list[str]:
        lines = _block("context", self.context._text_lines()) if self.context.feature else []
        if self.feature_lists.feature_list:
            lines += _block("feature_lists", self.feature_lists._text_lines())
        return lines

    def SerializeToString(self, deterministic: bool | None = None) -> bytes:
        """The protobuf wire encoding, entries in insertion order."""
        lists = [
            (k, [f._wire() for f in v.feature]) for k, v in self.feature_lists.feature_list.items()
        ]
        return _lib.encode_sequence_example(self.context._wire(), lists)

    def ParseFromString(self, data: bytes) -> int:
        """Replaces this SequenceExample with the decoded ``data``."""
        context, lists = _lib.decode_sequence_example(bytes(data))
        self.context = Features({k: Feature._from_wire(kind, v) for k, kind, v in context})
        self.feature_lists = FeatureLists(
            {
                k: FeatureList([Feature._from_wire(kind, v) for kind, v in steps])
                for k, steps in lists
            }
        )
        return len(data)


__all__ = [
    "BytesList",
    "Checkpoint",
    "CheckpointLoadStatus",
    "CheckpointManager",
    "Example",
    "Feature",
    "FeatureList",
    "FeatureLists",
    "Features",
    "FloatList",
    "Int64List",
    "SequenceExample",
    "latest_checkpoint",
]
