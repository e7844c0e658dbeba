"""ferroflow: tf.data's Dataset API without TensorFlow, on a Rust engine.

``import ferroflow as tf`` runs the data-pipeline part of TensorFlow code: ``tf.data.Dataset``,
the dtype names, ``tf.TensorSpec``, ``tf.py_function``. Elements come out as numpy values,
ready for ``torch.from_numpy`` or ``jax.device_put``.
"""

from . import data, errors, image, io, random, strings, train
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
from ._lib import __version__
from ._ops import (
    argmax,
    argmin,
    cast,
    clip_by_value,
    concat,
    one_hot,
    reshape,
    stack,
    transpose,
)
from ._pyfunc import numpy_function, py_function
from ._spec import TensorShape, TensorSpec
from .data import AUTOTUNE, Dataset

bool = bool_  # noqa: A001 - TensorFlow's name for the dtype

__all__ = [
    "AUTOTUNE",
    "DType",
    "Dataset",
    "RaggedTensor",
    "RaggedTensorSpec",
    "SparseTensor",
    "SparseTensorSpec",
    "TensorShape",
    "TensorSpec",
    "__version__",
    "argmax",
    "argmin",
    "as_dtype",
    "bool",
    "bool_",
    "cast",
    "clip_by_value",
    "concat",
    "data",
    "double",
    "errors",
    "float16",
    "float32",
    "float64",
    "half",
    "image",
    "int16",
    "int32",
    "int64",
    "int8",
    "io",
    "numpy_function",
    "one_hot",
    "py_function",
    "random",
    "reshape",
    "stack",
    "string",
    "strings",
    "train",
    "transpose",
    "uint16",
    "uint32",
    "uint64",
    "uint8",
]
