"""``ferroflow.nn``: the activations of ``tf.nn`` that input pipelines use."""

from ._reduce import log_softmax, softmax
from ._unary import elu, gelu, relu, relu6, selu, sigmoid, softplus, softsign, tanh

__all__ = [
    "elu",
    "gelu",
    "log_softmax",
    "relu",
    "relu6",
    "selu",
    "sigmoid",
    "softmax",
    "softplus",
    "softsign",
    "tanh",
]
