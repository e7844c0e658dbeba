"""ferroflow: tf.data's Dataset API without TensorFlow, on a Rust engine.

``import ferroflow as tf`` runs the data-pipeline part of TensorFlow code: ``tf.data.Dataset``,
the dtype names, ``tf.TensorSpec``, ``tf.py_function``. Elements come out as ``Tensor``s:
numpy arrays with TensorFlow's ``.numpy()``, ``.shape`` and ``.dtype``, ready for
``torch.from_numpy`` or ``jax.device_put`` without a copy.
"""

import atexit as _atexit
from typing import Any

from . import _lib, data, errors, image, io, math, random, strings, train
from ._composite import RaggedTensor, RaggedTensorSpec, SparseTensor, SparseTensorSpec
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
from ._spec import TensorShape, TensorSpec
from ._tensor import Tensor, is_tensor
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
    raise AttributeError(f"module 'ferroflow' has no attribute {name!r}")


__all__ = [
    "__version__",
    "abs",
    "add",
    "argmax",
    "argmin",
    "as_dtype",
    "AUTOTUNE",
    "bool",
    "bool_",
    "cast",
    "clip_by_value",
    "concat",
    "constant",
    "convert_to_tensor",
    "data",
    "Dataset",
    "divide",
    "double",
    "DType",
    "equal",
    "errors",
    "fill",
    "float16",
    "float32",
    "float64",
    "greater",
    "greater_equal",
    "half",
    "image",
    "int16",
    "int32",
    "int64",
    "int8",
    "io",
    "is_tensor",
    "less",
    "less_equal",
    "logical_and",
    "logical_not",
    "logical_or",
    "math",
    "maximum",
    "minimum",
    "multiply",
    "negative",
    "not_equal",
    "numpy_function",
    "one_hot",
    "ones",
    "ones_like",
    "pow",
    "py_function",
    "RaggedTensor",
    "RaggedTensorSpec",
    "random",
    "reshape",
    "shape",
    "SparseTensor",
    "SparseTensorSpec",
    "stack",
    "string",
    "strings",
    "subtract",
    "Tensor",
    "TensorShape",
    "TensorSpec",
    "train",
    "transpose",
    "uint16",
    "uint32",
    "uint64",
    "uint8",
    "zeros",
    "zeros_like",
]

# Before the interpreter finalizes, pipeline threads stop entering Python and the calls
# already running (a map function, a generator step) get this long to return: a thread
# still in Python while CPython tears down aborts the process.
_EXIT_WAIT_SECONDS = 30.0
_atexit.register(_lib.shut_down, _EXIT_WAIT_SECONDS)
