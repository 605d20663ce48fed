"""``y = LpNormalization(x, axis=-1, p=2)``: ``x / ||x||_p`` along one axis (p is 1 or 2).

TVM 0.27 has no converter. A zero norm gives 0, not NaN, as the spec's reference says.
"""

from __future__ import annotations

from tvm import relax

from ._common import dtype_of, ndim, normalize_axes
from .registry import ConverterError, converter

__all__ = ["lp_normalization"]

_op = relax.op


@converter("", "LpNormalization", 1)
def lp_normalization(bb, inputs, attrs, ctx):
    """y = x / sum(|x|^p, axis)^(1/p), 0 where the norm is 0."""
    x = inputs[0]
    axis = normalize_axes([int(attrs.get("axis", -1))], ndim(x))[0]
    p = int(attrs.get("p", 2))
    if p == 1:
        norm = _op.sum(_op.abs(x), [axis], keepdims=True)
    elif p == 2:
        norm = _op.sqrt(_op.sum(_op.multiply(x, x), [axis], keepdims=True))
    else:
        raise ConverterError(f"p must be 1 or 2, got {p}")
    norm = bb.emit(norm)
    zero = relax.const(0, dtype_of(x))
    is_zero = _op.equal(norm, zero)
    safe = _op.where(is_zero, relax.const(1, dtype_of(x)), norm)
    return _op.where(is_zero, zero, _op.divide(x, safe))
