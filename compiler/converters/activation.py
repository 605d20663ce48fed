"""Activations TVM 0.27 lacks or types wrongly: SwiGLU (opset 28), Elu.

* ``y = SwiGLU(a, b, alpha=1) = a * sigmoid(alpha * a) * b`` (same shapes, no broadcast).
* ``y = Elu(x, alpha)``: TVM builds ``1 - exp(x)`` with a float32 constant, which fails
  for float16 / bfloat16 inputs (the ``Celu`` function body uses Elu); here every
  constant has the input's dtype.
"""

from __future__ import annotations

from tvm import relax

from ._common import dtype_of
from .registry import converter

__all__ = ["elu", "swiglu"]

_op = relax.op


@converter("", "SwiGLU", 28)
def swiglu(bb, inputs, attrs, ctx):
    """y = a * sigmoid(alpha * a) * b."""
    a, b = inputs[0], inputs[1]
    alpha = float(attrs.get("alpha", 1.0))
    scaled = a if alpha == 1.0 else _op.multiply(a, relax.const(alpha, dtype_of(a)))
    return _op.multiply(_op.multiply(a, _op.sigmoid(scaled)), b)


@converter("", "Elu", 6)
def elu(bb, inputs, attrs, ctx):
    """y = x if x >= 0 else alpha * (exp(x) - 1)."""
    x = inputs[0]
    dtype = dtype_of(x)
    alpha = relax.const(float(attrs.get("alpha", 1.0)), dtype)
    negative = _op.multiply(alpha, _op.subtract(_op.exp(x), relax.const(1.0, dtype)))
    return _op.where(_op.less(x, relax.const(0.0, dtype)), negative, x)
