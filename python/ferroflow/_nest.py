"""Element structures, with tf.data's rules: tuples, namedtuples and dicts nest (dict keys in
sorted order); sparse and ragged values (and their specs) nest as their component arrays;
everything else, lists included, is one component."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any


def is_nested(value: Any) -> bool:
    """True for a tuple, namedtuple, mapping, or a sparse or ragged value or spec."""
    return (
        isinstance(value, (tuple, Mapping))
        or hasattr(value, "_ff_components")
        or hasattr(value, "_ff_component_specs")
    )


def _children(value: Any) -> list[Any]:
    if isinstance(value, Mapping):
        return [value[k] for k in sorted(value)]
    if hasattr(value, "_ff_components"):
        return value._ff_components()
    if hasattr(value, "_ff_component_specs"):
        return value._ff_component_specs()
    return list(value)


def flatten(structure: Any) -> list[Any]:
    """The leaves of ``structure`` in tf.data's order."""
    if not is_nested(structure):
        return [structure]
    out: list[Any] = []
    for child in _children(structure):
        out.extend(flatten(child))
    return out


def flatten_up_to(structure: Any, value: Any) -> list[Any]:
    """The parts of ``value`` at the leaves of ``structure``: a tuple yielded where one
    component is expected stays whole (it becomes an array)."""
    if not is_nested(structure):
        return [value]
    if isinstance(structure, Mapping):
        return [x for k in sorted(structure) for x in flatten_up_to(structure[k], value[k])]
    return [x for s, v in zip(_children(structure), list(value)) for x in flatten_up_to(s, v)]


def _rebuild(template: Any, children: list[Any]) -> Any:
    if hasattr(template, "_ff_value_from_components"):
        return template._ff_value_from_components(children)
    if hasattr(template, "_ff_components"):
        return template._ff_spec()._ff_value_from_components(children)
    if isinstance(template, Mapping):
        # Children come in sorted key order; the result keeps the template's key order, as
        # tf.nest does.
        by_key = dict(zip(sorted(template), children))
        items = ((k, by_key[k]) for k in template)
        return dict(items) if type(template) is dict else type(template)(items)
    if hasattr(template, "_fields"):
        return type(template)(*children)
    return tuple(children)


def pack_sequence_as(structure: Any, flat: list[Any]) -> Any:
    """Rebuilds ``structure`` with the leaves of ``flat``."""
    return make_packer(structure)(flat)


def map_structure(func: Callable[[Any], Any], structure: Any) -> Any:
    """Applies ``func`` to every leaf, keeping the structure."""
    return pack_sequence_as(structure, [func(x) for x in flatten(structure)])


def make_packer(structure: Any) -> Callable[[list[Any]], Any]:
    """A fast function from a flat list to ``structure``'s shape (built once per dataset)."""
    if not is_nested(structure):
        return lambda flat: flat[0]
    children = _children(structure)
    if type(structure) is tuple and not any(is_nested(c) for c in children):
        return tuple

    sizes = [len(flatten(c)) for c in children]
    packers = [make_packer(c) for c in children]

    def pack(flat: list[Any]) -> Any:
        parts, at = [], 0
        for size, packer in zip(sizes, packers):
            parts.append(packer(flat[at : at + size]))
            at += size
        return _rebuild(structure, parts)

    return pack


def assert_same_structure(a: Any, b: Any) -> None:
    """Raises ValueError (TypeError for differing kinds) when the nestings differ."""
    if is_nested(a) != is_nested(b):
        raise ValueError(
            f"The two structures don't have the same nested structure: {a!r} and {b!r}"
        )
    if not is_nested(a):
        return
    if isinstance(a, Mapping) != isinstance(b, Mapping):
        raise TypeError(f"The two structures don't have the same sequence type: {a!r} and {b!r}")
    if isinstance(a, Mapping) and sorted(a) != sorted(b):
        raise ValueError(
            f"The two dictionaries don't have the same set of keys: {sorted(a)} and {sorted(b)}"
        )
    ca, cb = _children(a), _children(b)
    if len(ca) != len(cb):
        raise ValueError(
            f"The two structures don't have the same number of elements: {a!r} and {b!r}"
        )
    for x, y in zip(ca, cb):
        assert_same_structure(x, y)
