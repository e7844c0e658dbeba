"""Adapters between user functions and the engine. The engine calls them with a flat list of
component values; they rebuild the element, call the user's function the way tf.data does
(a tuple element is unpacked into arguments) and flatten what it returns."""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import _nest
from .._convert import ENGINE_SCALARS, engine_leaf
from ..errors import InvalidArgumentError
from ._structure import Structure, structure_of

if TYPE_CHECKING:
    from .dataset import Dataset


def _caller(func: Callable[..., Any], input_structure: Structure) -> Callable[[tuple], Any]:
    """A function of the flat components that calls ``func`` with the rebuilt element."""
    state: dict[str, Any] = {}

    def call(flat: tuple) -> Any:
        pack = state.get("pack")
        if pack is None:
            structure = input_structure.get()
            pack = state["pack"] = _nest.make_packer(structure)
            state["unpack"] = type(structure) is tuple
        element = pack(list(flat))
        return func(*element) if state["unpack"] else func(element)

    return call


def _output_check(output: Structure) -> Callable[[Any, list[Any]], None]:
    """Records the output structure at the first result (``template``: the value, or its
    structure with any leaves) and checks later results have as many components.

    It holds ``output`` weakly: the engine holds this function where Python's garbage
    collector cannot see, and ``output`` leads back to the dataset (its ``resolve``), so a
    strong reference would keep the dataset, and any worker processes it owns, for good."""
    expected: list[int] = []
    structure = weakref.ref(output)

    def check(template: Any, flat: list[Any]) -> None:
        if not expected:
            output = structure()  # None once no dataset asks for the structure any more
            known = None if output is None else output.peek()
            if known is None:
                value = flat[0] if template is None else _nest.pack_sequence_as(template, flat)
                known = structure_of(value)
                if output is not None:
                    output.record(known)
            expected.append(len(_nest.flatten(known)))
        if len(flat) != expected[0]:
            raise InvalidArgumentError(
                f"the function returned {len(flat)} components, but its first call returned "
                f"{expected[0]}; a dataset's elements must share one structure"
            )

    return check


def element_fn(
    func: Callable[..., Any], input_structure: Structure, output: Structure
) -> Callable[..., list[Any]]:
    """For ``map``: returns the new element's flat components. The first call records the
    output structure; later calls must return as many components."""
    call = _caller(func, input_structure)
    check = _output_check(output)

    def run(*flat_in: Any) -> list[Any]:
        template, flat = flat_result(call(flat_in))
        check(template, flat)
        return flat

    return run


def flat_result(value: Any) -> tuple[Any, list[Any]]:
    """A function's result as the engine takes it: its flat components, and the structure
    they pack into (None for one value; a list counts as a tuple of components)."""
    kind = type(value)
    if kind is np.ndarray or kind in ENGINE_SCALARS:
        return None, [engine_leaf(value)]
    if isinstance(value, list):
        value = tuple(value)
    return value, [engine_leaf(v) for v in _nest.flatten(value)]


def process_element_fn(
    func: Callable[..., Any], input_structure: Structure, output: Structure, processes: int
) -> Callable[[list[tuple]], list[Any]]:
    """``element_fn`` for runs of elements, with ``func`` run in ``processes`` worker
    processes: takes a list of elements' flat components and returns, for each, the new
    element's flat components or the exception its call raised."""
    from ._processes import ProcessPool

    input_structure.get()  # resolved here, before the workers are forked
    pool = ProcessPool(_caller(func, input_structure), processes)
    check = _output_check(output)

    def checked(outcome: Any) -> Any:
        if isinstance(outcome, BaseException):
            return outcome
        template, flat = outcome
        try:
            check(template, flat)
        except InvalidArgumentError as e:
            return e
        return flat

    def run(flat_ins: list[tuple]) -> list[Any]:
        return [checked(outcome) for outcome in pool.run(flat_ins)]

    run.pool = pool  # type: ignore[attr-defined]
    return run


def predicate_fn(func: Callable[..., Any], input_structure: Structure) -> Callable[..., list]:
    """For ``filter`` and ``take_while``: returns ``[bool]``."""
    call = _caller(func, input_structure)

    def run(*flat: Any) -> list[Any]:
        result = call(flat)
        if isinstance(result, (bool, np.bool_)):
            return [np.asarray(result)]
        arr = np.asarray(result)
        if arr.dtype != np.bool_ or arr.shape != ():
            raise InvalidArgumentError(
                f"a predicate must return a scalar bool, got {arr.dtype} of shape {arr.shape}"
            )
        return [arr]

    return run


def int_scalar_fn(
    func: Callable[..., Any], input_structure: Structure, what: str
) -> Callable[..., list]:
    """For functions giving a length, key or size (``what`` names it): returns ``[int64]``."""
    call = _caller(func, input_structure)

    def run(*flat: Any) -> list[Any]:
        arr = np.asarray(call(flat))
        if arr.shape != () or arr.dtype.kind not in "iu":
            raise InvalidArgumentError(
                f"{what} must return a scalar integer, got {arr.dtype} of shape {arr.shape}"
            )
        return [arr.astype(np.int64)]

    return run


def dataset_fn(
    func: Callable[..., Any], input_structure: Structure, output: Structure
) -> Callable[..., Any]:
    """For ``flat_map`` and ``interleave``: returns the native handle of the dataset made."""
    from .dataset import Dataset

    call = _caller(func, input_structure)

    def run(*flat: Any) -> Any:
        result = call(flat)
        if not isinstance(result, Dataset):
            raise TypeError(f"the function must return a Dataset, got {type(result).__name__}")
        if output.peek() is None:
            output.record(result.element_spec)
        return result._native

    return run


def resolver(dataset: Dataset) -> Callable[[], None]:
    """Resolves a dataset's structure by pulling its first element."""

    def resolve() -> None:
        dataset._native.take(1).iter(probe=True).next()

    return resolve
