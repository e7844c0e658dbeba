"""Element-wise functions of one tensor (``tf.math.exp``, ``tf.nn.relu`` ...): each is one
entry of the native unary kernel's table, run eagerly or recorded while tracing. Floats
only, except where TensorFlow also takes signed integers (``square``, ``sign``, ``relu``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ._dtypes import bool_
from ._ops import _apply
from ._spec import TensorSpec


def _unary(op: str, doc: str, predicate: bool = False) -> Callable[..., Any]:
    def function(x: Any, name: str | None = None) -> Any:
        def spec(s: list[TensorSpec]) -> TensorSpec:
            return TensorSpec(s[0].shape, bool_ if predicate else s[0].dtype)

        return _apply("unary", [x], op, spec)

    function.__name__ = function.__qualname__ = op
    function.__doc__ = doc
    return function


exp = _unary("exp", "``e ** x`` element-wise.")
expm1 = _unary("expm1", "``e ** x - 1``, exact for small ``x``.")
log = _unary("log", "The natural logarithm (``-inf`` at 0, NaN below).")
log1p = _unary("log1p", "``log(1 + x)``, exact for small ``x``.")
sqrt = _unary("sqrt", "The square root (NaN below 0).")
rsqrt = _unary("rsqrt", "``1 / sqrt(x)``.")
square = _unary("square", "``x * x`` (integers wrap).")
reciprocal = _unary("reciprocal", "``1 / x``.")
sign = _unary("sign", "-1, 0 or 1 by the sign of ``x`` (NaN stays NaN, -0.0 stays -0.0).")
sin = _unary("sin", "The sine.")
cos = _unary("cos", "The cosine.")
tan = _unary("tan", "The tangent.")
asin = _unary("asin", "The inverse sine.")
acos = _unary("acos", "The inverse cosine.")
atan = _unary("atan", "The inverse tangent.")
sinh = _unary("sinh", "The hyperbolic sine.")
cosh = _unary("cosh", "The hyperbolic cosine.")
tanh = _unary("tanh", "The hyperbolic tangent.")
asinh = _unary("asinh", "The inverse hyperbolic sine.")
acosh = _unary("acosh", "The inverse hyperbolic cosine.")
atanh = _unary("atanh", "The inverse hyperbolic tangent.")
round = _unary("round", "Rounds to the nearest integer, half to even (``tf.math.round``).")  # noqa: A001
rint = _unary("round", "Rounds to the nearest integer, half to even (``tf.math.rint``).")
rint.__name__ = rint.__qualname__ = "rint"
floor = _unary("floor", "Rounds down.")
ceil = _unary("ceil", "Rounds up.")
erf = _unary("erf", "The error function.")
erfc = _unary("erfc", "``1 - erf(x)``, exact for large ``x``.")
lgamma = _unary("lgamma", "The log of the absolute value of the gamma function.")
sigmoid = _unary("sigmoid", "``1 / (1 + exp(-x))``.")
log_sigmoid = _unary("log_sigmoid", "``log(sigmoid(x))``, without overflow.")
softplus = _unary("softplus", "``log(1 + exp(x))``, without overflow.")
softsign = _unary("softsign", "``x / (1 + |x|)``.")
relu = _unary("relu", "``max(x, 0)`` (``tf.nn.relu``).")
relu6 = _unary("relu6", "``min(max(x, 0), 6)`` (``tf.nn.relu6``).")
elu = _unary("elu", "``x`` above 0, else ``exp(x) - 1`` (``tf.nn.elu``).")
selu = _unary("selu", "The scaled ELU of Klambauer et al. (``tf.nn.selu``).")
is_nan = _unary("is_nan", "True where ``x`` is NaN.", predicate=True)
is_inf = _unary("is_inf", "True where ``x`` is infinite.", predicate=True)
is_finite = _unary("is_finite", "True where ``x`` is neither infinite nor NaN.", predicate=True)

_gelu = _unary("gelu", "")
_gelu_tanh = _unary("gelu_tanh", "")


def gelu(features: Any, approximate: bool = False, name: str | None = None) -> Any:
    """``x * Φ(x)`` with Φ the normal CDF, or its tanh approximation when ``approximate``
    (``tf.nn.gelu``)."""
    return _gelu_tanh(features) if approximate else _gelu(features)


__all__ = [
    "acos",
    "acosh",
    "asin",
    "asinh",
    "atan",
    "atanh",
    "ceil",
    "cos",
    "cosh",
    "elu",
    "erf",
    "erfc",
    "exp",
    "expm1",
    "floor",
    "gelu",
    "is_finite",
    "is_inf",
    "is_nan",
    "lgamma",
    "log",
    "log1p",
    "log_sigmoid",
    "reciprocal",
    "relu",
    "relu6",
    "rint",
    "round",
    "rsqrt",
    "selu",
    "sigmoid",
    "sign",
    "sin",
    "sinh",
    "softplus",
    "softsign",
    "sqrt",
    "square",
    "tan",
    "tanh",
]
