"""ferroflow: tf.data's Dataset API without TensorFlow, on a Rust engine.

``import ferroflow as tf`` runs the data-pipeline part of TensorFlow code: ``tf.data.Dataset``,
the dtype names, ``tf.TensorSpec``, ``tf.py_function``. Elements come out as ``Tensor``s:
numpy arrays with TensorFlow's ``.numpy()``, ``.shape`` and ``.dtype``, ready for
``torch.from_numpy`` or ``jax.device_put`` without a copy.
"""

import atexit as _atexit
from typing import Any

from . import (
    _lib,
    compat,
    data,
    distribute,
    dtypes,
    errors,
    image,
    io,
    linalg,
    math,
    nn,
    ragged,
    random,
    sparse,
    strings,
    train,
)
from ._array_ops import (
    argsort,
    boolean_mask,
    broadcast_to,
    ensure_shape,
    expand_dims,
    gather,
    identity,
    matmul,
    newaxis,
    pad,
    range,
    reverse,
    roll,
    sequence_mask,
    slice,
    sort,
    split,
    squeeze,
    tile,
    unique,
    unstack,
    where,
)
from ._composite import RaggedTensor, RaggedTensorSpec, SparseTensor, SparseTensorSpec
from ._control import (
    cond,
    einsum,
    map_fn,
    name_scope,
    print,
    vectorized_map,
)
from ._dtypes import (
    DType,
    as_dtype,
    bool_,
    double,
    float16,
    float32,
    float64,
    half,
    int8,
    int16,
    int32,
    int64,
    string,
    uint8,
    uint16,
    uint32,
    uint64,
)
from ._keras import adapter as _keras_adapter
from ._lib import __version__
from ._math import (
    abs,
    add,
    divide,
    equal,
    greater,
    greater_equal,
    less,
    less_equal,
    logical_and,
    logical_not,
    logical_or,
    maximum,
    minimum,
    multiply,
    negative,
    not_equal,
    pow,
    subtract,
)
from ._ops import (
    argmax,
    argmin,
    cast,
    clip_by_value,
    concat,
    constant,
    convert_to_tensor,
    fill,
    one_hot,
    ones,
    ones_like,
    reshape,
    shape,
    stack,
    transpose,
    zeros,
    zeros_like,
)
from ._pyfunc import numpy_function, py_function
from ._reduce import (
    cumsum,
    norm,
    reduce_all,
    reduce_any,
    reduce_logsumexp,
    reduce_max,
    reduce_mean,
    reduce_min,
    reduce_prod,
    reduce_sum,
)
from ._spec import TensorShape, TensorSpec
from ._string_tensor import StringTensor
from ._tensor import Tensor, is_tensor
from ._unary import (
    acos,
    acosh,
    asin,
    asinh,
    atan,
    atanh,
    cos,
    cosh,
    exp,
    floor,
    round,
    sigmoid,
    sign,
    sin,
    sinh,
    sqrt,
    square,
    tan,
    tanh,
)
from .data import AUTOTUNE, Dataset

bool = bool_  # noqa: A001 - TensorFlow's name for the dtype

# Keras takes ferroflow datasets in fit / evaluate / predict once its adapters load; this
# watches for them without importing Keras.
_keras_adapter.install()


def __getattr__(name: str) -> Any:
    # ``ff.keras`` is the installed Keras 3, imported on first touch, never with ferroflow.
    if name == "keras":
        from . import _keras

        module = _keras.load()
        globals()["keras"] = module
        return module
    # ``ff.ray`` needs Ray, an optional dependency: it is imported when first touched.
    if name == "ray":
        import importlib

        return importlib.import_module(".ray", __name__)
    raise AttributeError(f"module 'ferroflow' has no attribute {name!r}")


__all__ = [
    "__version__",
    "abs",
    "acos",
    "acosh",
    "add",
    "argmax",
    "argmin",
    "argsort",
    "as_dtype",
    "asin",
    "asinh",
    "atan",
    "atanh",
    "AUTOTUNE",
    "bool",
    "bool_",
    "boolean_mask",
    "broadcast_to",
    "cast",
    "clip_by_value",
    "compat",
    "concat",
    "cond",
    "constant",
    "convert_to_tensor",
    "cos",
    "cosh",
    "cumsum",
    "data",
    "Dataset",
    "divide",
    "double",
    "DType",
    "distribute",
    "dtypes",
    "einsum",
    "ensure_shape",
    "equal",
    "errors",
    "exp",
    "expand_dims",
    "fill",
    "float16",
    "float32",
    "float64",
    "floor",
    "gather",
    "greater",
    "greater_equal",
    "half",
    "identity",
    "image",
    "int16",
    "int32",
    "int64",
    "int8",
    "io",
    "is_tensor",
    "less",
    "less_equal",
    "linalg",
    "logical_and",
    "logical_not",
    "logical_or",
    "map_fn",
    "math",
    "matmul",
    "maximum",
    "minimum",
    "multiply",
    "name_scope",
    "negative",
    "newaxis",
    "nn",
    "norm",
    "not_equal",
    "numpy_function",
    "one_hot",
    "ones",
    "ones_like",
    "pad",
    "pow",
    "print",
    "py_function",
    "RaggedTensor",
    "RaggedTensorSpec",
    "ragged",
    "random",
    "range",
    "reduce_all",
    "reduce_any",
    "reduce_logsumexp",
    "reduce_max",
    "reduce_mean",
    "reduce_min",
    "reduce_prod",
    "reduce_sum",
    "reshape",
    "reverse",
    "roll",
    "round",
    "sequence_mask",
    "shape",
    "sigmoid",
    "sign",
    "sin",
    "sinh",
    "slice",
    "sort",
    "sparse",
    "SparseTensor",
    "SparseTensorSpec",
    "split",
    "sqrt",
    "square",
    "squeeze",
    "stack",
    "string",
    "strings",
    "subtract",
    "tan",
    "tanh",
    "StringTensor",
    "Tensor",
    "TensorShape",
    "TensorSpec",
    "tile",
    "train",
    "transpose",
    "uint16",
    "uint32",
    "uint64",
    "uint8",
    "unique",
    "unstack",
    "vectorized_map",
    "where",
    "zeros",
    "zeros_like",
]

# Before the interpreter finalizes, pipeline threads stop entering Python and the calls
# already running (a map function, a generator step) get this long to return: a thread
# still in Python while CPython tears down aborts the process.
_EXIT_WAIT_SECONDS = 30.0
_atexit.register(_lib.shut_down, _EXIT_WAIT_SECONDS)
