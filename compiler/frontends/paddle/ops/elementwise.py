"""Two-input element-wise ops and ``scale``.

    z = elementwise_add(x, y, axis)  → Add(x, y'), where y' = y reshaped so that its dims line
                                       up with x's from ``axis`` (Paddle's legacy broadcast);
                                       axis = -1 or equal ranks is numpy broadcasting as is.
    z = not_equal(x, y)              → Not(Equal(x, y))
    y = scale(x, s, b)               → x * s + b  (or (x + b) * s when not bias_after_scale)
"""

from __future__ import annotations

import numpy as np

from .registry import register

__all__ = ["binary", "scale"]

# (PIR type, legacy type, ONNX op)
_BINARY = [
    ("add", "elementwise_add", "Add"), ("subtract", "elementwise_sub", "Sub"),
    ("multiply", "elementwise_mul", "Mul"), ("divide", "elementwise_div", "Div"),
    ("maximum", "elementwise_max", "Max"), ("minimum", "elementwise_min", "Min"),
    ("elementwise_pow", "elementwise_pow", "Pow"), ("equal", "equal", "Equal"),
    ("not_equal", "not_equal", "Equal"), ("less_than", "less_than", "Less"),
    ("less_equal", "less_equal", "LessOrEqual"), ("greater_than", "greater_than", "Greater"),
    ("greater_equal", "greater_equal", "GreaterOrEqual"),
    ("logical_and", "logical_and", "And"), ("logical_or", "logical_or", "Or"),
]
_ONNX = {name: onnx for pir, legacy, onnx in _BINARY for name in (pir, legacy)}


def _align(cx, op, y):
    """Legacy ``axis``: y's dims start at x's dim ``axis``; append ones to y's shape."""
    axis = int(op.attr("axis", -1))
    if op.fmt == "paddle-pir" or axis == -1:
        return y
    x_rank, y_rank = op.rank(0), op.rank(1)
    if x_rank == y_rank:
        return y
    if y_rank > x_rank:
        raise op.unsupported(f"axis={axis} with y of higher rank than x")
    trailing = x_rank - axis - y_rank
    if trailing < 0:
        raise op.unsupported(f"axis={axis} does not fit ranks {x_rank} and {y_rank}")
    if trailing == 0:
        return y
    return cx.op("Unsqueeze", [y, cx.ints(range(y_rank, y_rank + trailing))])


def binary(cx, op):
    x, y = op.inputs
    y = _align(cx, op, y)
    out = cx.op(_ONNX[op.type], [x, y])
    if op.type == "not_equal":
        out = cx.op("Not", [out])
    return [out]


for _pir, _legacy, _ in _BINARY:
    register(_pir, legacy=_legacy, ins=("X", "Y"))(binary)


@register("scale", ins=("X", "ScaleTensor"))
def scale(cx, op):
    x = op.inputs[0]
    dtype = op.dtype(0)
    factor = op.inputs[1]
    if factor is None:
        factor = cx.const(float(op.attr("scale", 1.0)), dtype)
    elif op.const(1) is not None:
        factor = cx.const(np.asarray(op.const(1)).reshape(-1)[0], dtype)
    else:
        factor = cx.op("Cast", [factor], {"to": _onnx_dtype(dtype)})
    bias = float(op.attr("bias", 0.0))
    if op.attr("bias_after_scale", True):
        out = cx.op("Mul", [x, factor])
        return [cx.op("Add", [out, cx.const(bias, dtype)]) if bias else out]
    shifted = cx.op("Add", [x, cx.const(bias, dtype)]) if bias else x
    return [cx.op("Mul", [shifted, factor])]


def _onnx_dtype(dtype: np.dtype) -> int:
    import onnx_ir as ir

    return int(ir.DataType.from_numpy(dtype))
