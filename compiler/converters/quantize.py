"""Linear quantization: QuantizeLinear, DequantizeLinear (per-tensor, per-axis, blocked) and
QLinearMatMul, for the 8/16/32-bit integer types.

``y = saturate(round_half_even(x / scale) + zero_point)`` and ``x = (y - zero_point) · scale``
with the scale broadcast along ``axis`` (a 1-D scale) or repeated ``block_size`` times along
it (blocked quantization, which TVM 0.27 refuses). QLinearMatMul accumulates in int32 and
requantizes in float64 like the reference. Float8 / 4-bit / 2-bit types are refused: TVM's
llvm backend cannot cast them and the runtime cannot exchange packed sub-byte tensors.
"""

from __future__ import annotations

import numpy as np
from onnx import helper
from tvm import relax

from ._common import const_value, dtype_of, ndim, normalize_axes, static_shape
from .registry import ConverterError, converter

__all__ = ["quantize_linear", "dequantize_linear", "qlinear_matmul"]

_op = relax.op
_INTEGERS = ("int8", "uint8", "int16", "uint16", "int32")


def _broadcast_param(bb, param, x, axis: int, block_size: int):
    """``param`` shaped to broadcast against ``x`` (scalar, per-axis or blocked)."""
    param = bb.normalize(param)
    if ndim(param) == 0:
        return param
    rank = ndim(x)
    axis = normalize_axes([axis], rank)[0]
    if block_size > 0:
        size = static_shape(x)[axis]
        repeated = _op.repeat(param, block_size, axis=axis)
        return _op.strided_slice(repeated, axes=[axis], begin=[0], end=[size])
    view = [1] * rank
    view[axis] = -1
    return _op.reshape(param, view)


def _check_integer(dtype: str, what: str) -> None:
    if dtype not in _INTEGERS:
        raise ConverterError(f"{what} of type {dtype} is not supported (8/16/32-bit integers)")


@converter("", "DequantizeLinear", 10)
def dequantize_linear(bb, inputs, attrs, ctx):
    """x = (y - zero_point) · scale."""
    y, scale = inputs[0], inputs[1]
    zero = inputs[2] if len(inputs) > 2 else None
    _check_integer(dtype_of(y), "DequantizeLinear input")
    axis, block = int(attrs.get("axis", 1)), int(attrs.get("block_size", 0))
    out_dtype = dtype_of(scale)
    values = _op.astype(y, "int32")
    if zero is not None:
        values = _op.subtract(values, _broadcast_param(bb, _op.astype(zero, "int32"), y,
                                                       axis, block))
    return _op.multiply(_op.astype(values, out_dtype),
                        _broadcast_param(bb, scale, y, axis, block))


@converter("", "QuantizeLinear", 10)
def quantize_linear(bb, inputs, attrs, ctx):
    """y = saturate(round_half_even(x / scale) + zero_point)."""
    x, scale = inputs[0], inputs[1]
    zero = inputs[2] if len(inputs) > 2 else None
    if zero is not None:
        out_dtype = dtype_of(zero)
    elif attrs.get("output_dtype"):
        out_dtype = str(helper.tensor_dtype_to_np_dtype(int(attrs["output_dtype"])))
    else:
        out_dtype = "uint8"
    _check_integer(out_dtype, "QuantizeLinear output")
    axis, block = int(attrs.get("axis", 1)), int(attrs.get("block_size", 0))
    scaled = _op.divide(_op.astype(x, "float32"),
                        _op.astype(_broadcast_param(bb, scale, x, axis, block), "float32"))
    rounded = _round_half_even(scaled)
    if zero is not None:
        rounded = _op.add(rounded, _op.astype(_broadcast_param(bb, zero, x, axis, block),
                                              "float32"))
    info = np.iinfo(np.dtype(out_dtype))
    return _op.astype(_op.clip(rounded, int(info.min), int(info.max)), out_dtype)


def _round_half_even(x, dtype: str = "float32"):
    """np.rint: round to nearest, ties to even (TVM's round goes away from zero)."""
    floor = _op.floor(x)
    diff = _op.subtract(x, floor)
    half = relax.const(0.5, dtype)
    two = relax.const(2.0, dtype)
    floor_is_even = _op.equal(_op.subtract(floor, _op.multiply(
        two, _op.floor(_op.divide(floor, two)))), relax.const(0.0, dtype))
    up = _op.add(floor, relax.const(1.0, dtype))
    tie = _op.where(floor_is_even, floor, up)
    return _op.where(_op.less(diff, half), floor, _op.where(_op.greater(diff, half), up, tie))


@converter("", "QLinearMatMul", 10)
def qlinear_matmul(bb, inputs, attrs, ctx):
    """y = requantize((a - a_zp) @ (b - b_zp), a_scale · b_scale / y_scale, y_zp)."""
    a, a_scale, a_zero, b, b_scale, b_zero, y_scale, y_zero = inputs
    scales = [const_value(s) for s in (a_scale, b_scale, y_scale)]
    if any(s is None for s in scales):
        raise ConverterError("the scales must be constants")
    multiplier = scales[0] * scales[1] / scales[2]  # in the scales' dtype, as the reference
    left = _op.subtract(_op.astype(a, "int32"), _op.astype(a_zero, "int32"))
    right = _op.subtract(_op.astype(b, "int32"), _op.astype(b_zero, "int32"))
    product = _op.astype(_op.matmul(left, right), "float64")
    scaled = _op.multiply(product, relax.const(np.asarray(multiplier, np.float64), "float64"))
    scaled = _op.add(scaled, _op.astype(y_zero, "float64"))
    out_dtype = dtype_of(y_zero)
    info = np.iinfo(np.dtype(out_dtype))
    return _op.astype(_op.clip(_round_half_even(scaled, "float64"), int(info.min),
                               int(info.max)), out_dtype)
