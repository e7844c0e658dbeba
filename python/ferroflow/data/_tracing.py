"""Deciding how a ``map`` function (and a predicate, and a ``flat_map`` or ``interleave``
function) runs: traced into a native graph when it only uses ferroflow operations, otherwise
as Python with numpy values."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .. import _nest
from .._composite import RaggedTensor, RaggedTensorSpec, SparseTensor, SparseTensorSpec
from .._lib import NativeGraph, NativeSourceGraph
from .._spec import TensorSpec
from .._trace import GraphBuilder, Symbol, SymbolicSource, TraceUnsupported, tracing
from ._structure import Structure

_MODES = ("auto", "python", "native")
_mode = "auto"


def set_map_tracing(mode: str) -> None:
    """How ``map`` runs functions: ``"auto"`` (the default) traces a function into a native
    graph when it only uses ferroflow operations and runs it as Python otherwise;
    ``"python"`` always calls Python with numpy values; ``"native"`` raises ``TypeError``
    for a function that cannot be traced."""
    global _mode
    if mode not in _MODES:
        raise ValueError(f"mode must be one of {_MODES}, got {mode!r}")
    _mode = mode


def map_tracing() -> str:
    """The current mode (see ``set_map_tracing``)."""
    return _mode


def _structure_of(value: Any) -> Any:
    if isinstance(value, Symbol):
        return TensorSpec(value.shape, value.dtype)
    if isinstance(value, SparseTensor):
        rank = value.dense_shape.shape[0]
        return SparseTensorSpec(None if rank is None else [None] * rank, value.values.dtype)
    if isinstance(value, RaggedTensor):
        return RaggedTensorSpec(None, value.flat_values.dtype, value.ragged_rank)
    if isinstance(value, Mapping):
        return {k: _structure_of(v) for k, v in value.items()}
    if isinstance(value, tuple):
        parts = [_structure_of(v) for v in value]
        return type(value)(*parts) if hasattr(value, "_fields") else tuple(parts)
    raise TraceUnsupported(f"the function returned a {type(value).__name__}")


def _call_traced(func: Callable[..., Any], spec: Any) -> tuple[GraphBuilder, Any]:
    """Calls ``func`` once with symbols of ``spec``; returns the graph recorded and the
    result."""
    leaves = _nest.flatten(spec)
    if not all(isinstance(s, TensorSpec) for s in leaves):
        raise TraceUnsupported("its input has sparse or ragged components")
    builder = GraphBuilder(len(leaves))
    symbols = [Symbol(builder, i, s.dtype, s.shape) for i, s in enumerate(leaves)]
    element = _nest.pack_sequence_as(spec, symbols)
    with tracing(builder):
        result = func(*element) if type(spec) is tuple else func(element)
    return builder, result


def _trace(func: Callable[..., Any], spec: Any) -> tuple[NativeGraph, Any]:
    builder, result = _call_traced(func, spec)
    if isinstance(result, list):
        result = tuple(result)
    parts = []
    for leaf in _nest.flatten(result):
        if not isinstance(leaf, Symbol):
            leaf = builder.constant(leaf)
        elif leaf.graph is not builder:
            raise TraceUnsupported("it returned a tensor traced elsewhere")
        parts.append(leaf)
    result = _nest.pack_sequence_as(result, parts) if _nest.is_nested(result) else parts[0]
    graph = NativeGraph(builder.inputs, builder.nodes, [p.index for p in parts])
    return graph, _structure_of(result)


def _trace_source(func: Callable[..., Any], spec: Any) -> tuple[NativeSourceGraph, Any]:
    builder, result = _call_traced(func, spec)
    if not isinstance(result, SymbolicSource) or result.builder is not builder:
        raise TraceUnsupported(
            "it does not return Dataset.from_tensors, from_tensor_slices or TFRecordDataset "
            "of values computed from its input"
        )
    graph = NativeGraph(builder.inputs, builder.nodes, [s.index for s in result.outputs])
    return NativeSourceGraph(graph, result.kind, *result.options), result.spec


def _traced_or_reason(
    trace: Callable[[Callable[..., Any], Any], Any], func: Callable[..., Any], structure: Structure
) -> Any:
    """``trace(func, spec)``, or the reason (a string) the function runs as Python."""
    if _mode == "python":
        return "runs as Python: tracing is off (ff.data.experimental.set_map_tracing)"
    spec = structure.peek()
    reason = None
    if spec is None:
        reason = "its input structure is only known after the first element"
    else:
        try:
            return trace(func, spec)
        except TraceUnsupported as e:
            reason = str(e)
        except Exception as e:  # the function failed on symbols: Python will show the error
            reason = f"tracing it raised {type(e).__name__}: {e}"
    if _mode == "native":
        raise TypeError(f"the function cannot run natively: {reason}")
    return f"runs as Python: {reason}"


def trace_map(func: Callable[..., Any], structure: Structure) -> tuple[NativeGraph, Any] | str:
    """The traced graph and output structure of ``func``, or why it runs as Python."""
    return _traced_or_reason(_trace, func, structure)


def trace_dataset_fn(
    func: Callable[..., Any], structure: Structure
) -> tuple[NativeSourceGraph, Any] | str:
    """For ``flat_map`` and ``interleave``: a function that returns a source dataset
    (``from_tensors``, ``from_tensor_slices``, ``TFRecordDataset``) built from values it
    computes with ferroflow operations runs natively; the traced function and the element
    spec of the datasets it makes, or why it runs as Python."""
    return _traced_or_reason(_trace_source, func, structure)


def trace_predicate(func: Callable[..., Any], structure: Structure) -> NativeGraph | None:
    """The traced graph of a predicate (one scalar bool out), or None to run it as Python."""
    return trace_scalar(
        func, structure, lambda d: d.name == "bool", "a predicate must return one scalar bool"
    )


def trace_scalar(
    func: Callable[..., Any], structure: Structure, accepts: Callable[[Any], bool], message: str
) -> NativeGraph | None:
    """The traced graph of a function returning one scalar of a dtype ``accepts`` takes, or
    None to run it as Python (``message`` is the error when tracing is forced)."""
    if _mode == "python":
        return None
    traced = trace_map(func, structure)
    if not isinstance(traced, tuple):
        return None
    graph, spec = traced
    if not isinstance(spec, TensorSpec) or not accepts(spec.dtype) or spec.shape.rank != 0:
        if _mode == "native":
            raise TypeError(message)
        return None
    return graph
