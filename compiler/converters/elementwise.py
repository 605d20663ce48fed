"""Elementwise ops where TVM 0.27 is missing or wrong: Pow, Mod, BitShift, IsInf, Celu, Swish,
Dropout (inference).

* ``Pow(x, y)``: mixed dtypes and integer bases (TVM requires equal float dtypes); the
  result has x's dtype.
* ``Mod(a, b)`` with ``fmod=0`` on floats: Python's sign rule (``np.mod``), not C's fmod.
* ``BitShift``: shifts that are negative or not below the bit width give 0 (or -1 for a
  right shift of a negative signed value), as the spec's reference does.
* ``IsInf``: honours ``detect_negative`` / ``detect_positive`` (TVM ignores them).
* ``Dropout``: at inference ``y = x`` and the mask is all-true *bool* (TVM returns float).
"""

from __future__ import annotations

import numpy as np
from tvm import relax

from ._common import attr_str, const_value, dtype_of
from .registry import ConverterError, converter

__all__ = ["pow_", "mod", "one_hot", "bit_shift", "is_inf", "celu", "swish", "dropout"]

_op = relax.op


def _is_float(dtype: str) -> bool:
    return dtype.startswith(("float", "bfloat"))


@converter("", "Pow", 1)
def pow_(bb, inputs, attrs, ctx):
    """z = Pow(x, y), computed in float64 for integer bases, cast back to x's dtype."""
    x, y = inputs
    x_dtype, y_dtype = dtype_of(x), dtype_of(y)
    if _is_float(x_dtype):
        return _op.power(x, y if y_dtype == x_dtype else _op.astype(y, x_dtype))
    result = _op.power(_op.astype(x, "float64"), _op.astype(y, "float64"))
    return _op.astype(_op.round(result), x_dtype)


@converter("", "Mod", 10)
def mod(bb, inputs, attrs, ctx):
    """c = Mod(a, b): fmod=1 truncates (C), fmod=0 floors (the result takes b's sign)."""
    a, b = inputs
    fmod = int(attrs.get("fmod", 0))
    if not _is_float(dtype_of(a)):
        return _op.mod(a, b) if fmod else _op.floor_mod(a, b)
    remainder = _op.mod(a, b)
    if fmod:
        return remainder
    zero = relax.const(0.0, dtype_of(a))
    wrong_sign = _op.logical_and(
        _op.not_equal(remainder, zero),
        _op.logical_xor(_op.less(remainder, zero), _op.less(b, zero)))
    return _op.where(wrong_sign, _op.add(remainder, b), remainder)


@converter("", "BitShift", 11)
def bit_shift(bb, inputs, attrs, ctx):
    """z = BitShift(x, y, direction) with out-of-range shifts defined as in the spec."""
    x, y = inputs
    dtype = dtype_of(x)
    bits = np.iinfo(np.dtype(dtype)).bits
    signed = dtype.startswith("int")
    out_of_range = _op.greater_equal(y, relax.const(bits, dtype))
    if signed:
        out_of_range = _op.logical_or(out_of_range, _op.less(y, relax.const(0, dtype)))
    safe = _op.where(out_of_range, _op.zeros_like(y), y)
    zero = relax.const(0, dtype)
    if attr_str(attrs, "direction", "LEFT") == "RIGHT":
        shifted = _op.right_shift(x, safe)
        filler = _op.where(_op.less(x, zero), relax.const(-1, dtype), zero) if signed else zero
    else:
        shifted = _op.left_shift(x, safe)
        filler = zero
    return _op.where(out_of_range, filler, shifted)


@converter("", "IsInf", 10)
def is_inf(bb, inputs, attrs, ctx):
    """y = IsInf(x, detect_negative, detect_positive)."""
    x = inputs[0]
    negative = int(attrs.get("detect_negative", 1))
    positive = int(attrs.get("detect_positive", 1))
    infinite = _op.isinf(x)
    zero = relax.const(0.0, dtype_of(x))
    if negative and positive:
        return infinite
    if negative:
        return _op.logical_and(infinite, _op.less(x, zero))
    if positive:
        return _op.logical_and(infinite, _op.greater(x, zero))
    return _op.zeros_like(x, "bool")


@converter("", "Celu", 12)
def celu(bb, inputs, attrs, ctx):
    """y = max(0, x) + min(0, alpha · (exp(x / alpha) - 1))."""
    x = inputs[0]
    dtype = dtype_of(x)
    alpha = relax.const(float(attrs.get("alpha", 1.0)), dtype)
    zero, one = relax.const(0.0, dtype), relax.const(1.0, dtype)
    negative = _op.multiply(alpha, _op.subtract(_op.exp(_op.divide(x, alpha)), one))
    return _op.add(_op.maximum(x, zero), _op.minimum(negative, zero))


@converter("", "Swish", 24)
def swish(bb, inputs, attrs, ctx):
    """y = x · sigmoid(alpha · x)."""
    x = inputs[0]
    alpha = relax.const(float(attrs.get("alpha", 1.0)), dtype_of(x))
    return _op.multiply(x, _op.sigmoid(_op.multiply(alpha, x)))


@converter("", "Dropout", 1)
def dropout(bb, inputs, attrs, ctx):
    """y, mask = Dropout(x, ratio?, training_mode?): identity with an all-true bool mask.

    Training mode with a non-zero ratio is random by definition and is refused.
    """
    x = inputs[0]
    ratio = const_value(inputs[1]) if len(inputs) > 1 and inputs[1] is not None else None
    training = inputs[2] if len(inputs) > 2 else None
    if training is not None:
        flag = const_value(training)
        if flag is None:
            raise ConverterError("training_mode must be a constant")
        if bool(flag) and (ratio is None or float(ratio) != 0.0):
            raise ConverterError("training-mode dropout draws random numbers; paddlec "
                                 "compiles inference graphs (training_mode=false)")
    if ctx.num_outputs < 2:
        return x
    mask = _op.astype(_op.ones_like(x), "bool")
    return relax.Tuple([x, mask])


@converter("", "OneHot", 9)
def one_hot(bb, inputs, attrs, ctx):
    """y = OneHot(indices, depth, values=[off, on], axis): negative indices count from depth,
    out-of-range ones give an all-off row."""
    indices, depth_expr, values = inputs
    depth = const_value(depth_expr)
    if depth is None:
        raise ConverterError("depth must be a constant")
    depth = int(np.asarray(depth).reshape(-1)[0])
    rank = len(indices.ty.shape.values) + 1
    axis = int(attrs.get("axis", -1))
    axis = axis + rank if axis < 0 else axis
    index = _op.astype(indices, "int64")
    index = _op.where(_op.less(index, relax.const(0, "int64")),
                      _op.add(index, relax.const(depth, "int64")), index)
    view = [1] * rank
    view[axis] = depth
    positions = relax.const(np.arange(depth, dtype="int64").reshape(view))
    hot = _op.equal(_op.expand_dims(index, axis), positions)
    off = _op.take(values, relax.const(0, "int64"), axis=0)
    on = _op.take(values, relax.const(1, "int64"), axis=0)
    return _op.where(hot, on, off)
