"""Integer convolutions: ConvInteger (opset 10) and QLinearConv (opset 10).

* ``y = ConvInteger(x, w, x_zero_point?, w_zero_point?)``: ``conv(x - x_zp, w - w_zp)``
  computed in int32 (``w_zero_point`` a scalar or one per output channel).
* ``y = QLinearConv(x, x_scale, x_zp, w, w_scale, w_zp, y_scale, y_zp, B?)``: the int32
  convolution plus the int32 bias, requantized as the reference does it
  (``onnx/reference/ops/op_qlinear_conv.py``): ``acc · (x_scale · w_scale / y_scale)`` with
  the multiplier in float32 (per output channel for a 1-D ``w_scale``) and the product in
  float64, plus ``y_zp``, clipped to the output type, rounded half to even.

The convolution itself (pads, auto_pad, strides, dilations, groups) is TVM's ONNX ``Conv``
converter applied to the zero-point-shifted int32 tensors.
"""

from __future__ import annotations

import numpy as np
from tvm import relax
from tvm.relax.frontend.onnx.onnx_frontend import Conv as _TvmConv

from ._common import dtype_of, ndim
from .quantize import _round_half_even
from .registry import ConverterError, converter

__all__ = ["conv_integer", "qlinear_conv"]

_op = relax.op
_EIGHT_BIT = ("int8", "uint8")


def _shifted(bb, value, zero, per_channel_axis: int | None):
    """``int32(value) - int32(zero)``; a 1-D zero point runs along ``per_channel_axis``."""
    shifted = _op.astype(value, "int32")
    if zero is None:
        return bb.normalize(shifted)
    zero = bb.normalize(_op.astype(zero, "int32"))
    if ndim(zero) == 1 and per_channel_axis is not None:
        view = [1] * ndim(value)
        view[per_channel_axis] = -1
        zero = _op.reshape(zero, view)
    elif ndim(zero) > 1:
        raise ConverterError("zero points must be scalars or 1-D")
    return bb.normalize(_op.subtract(shifted, zero))


@converter("", "ConvInteger", 10)
def conv_integer(bb, inputs, attrs, ctx):
    """y = conv(int32(x) - x_zp, int32(w) - w_zp) in int32."""
    x, w = inputs[0], inputs[1]
    x_zero = inputs[2] if len(inputs) > 2 else None
    w_zero = inputs[3] if len(inputs) > 3 else None
    if dtype_of(x) not in _EIGHT_BIT or dtype_of(w) not in _EIGHT_BIT:
        raise ConverterError("x and w must be int8/uint8")
    return _conv_integer(bb, x, w, x_zero, w_zero, attrs, ctx)


def _conv_integer(bb, x, w, x_zero, w_zero, attrs, ctx):
    """TVM's Conv converter on the zero-point-shifted int32 tensors."""
    shifted_x = _shifted(bb, x, x_zero, None)
    shifted_w = _shifted(bb, w, w_zero, 0)
    conv_attrs = {key: value for key, value in attrs.items()
                  if key in ("auto_pad", "dilations", "group", "kernel_shape", "pads",
                             "strides")}
    return _TvmConv.get_converter(11)(bb, [shifted_x, shifted_w, None], conv_attrs,
                                      ctx.params)


@converter("", "QLinearConv", 10)
def qlinear_conv(bb, inputs, attrs, ctx):
    """y = saturate(round_half_even(conv_int32 · x_scale · w_scale / y_scale + y_zp))."""
    x, x_scale, x_zero, w, w_scale, w_zero, y_scale, y_zero = inputs[:8]
    bias = inputs[8] if len(inputs) > 8 else None
    if dtype_of(x) not in _EIGHT_BIT or dtype_of(w) not in _EIGHT_BIT:
        raise ConverterError("x and w must be int8/uint8")
    if bias is not None:
        bias = bb.normalize(_op.astype(bias, "int32"))
    acc = _conv_integer(bb, x, w, x_zero, w_zero, attrs, ctx)
    if bias is not None:
        acc = _op.add(acc, _op.reshape(bias, [1, -1] + [1] * (ndim(x) - 2)))
    w_scale = bb.normalize(_op.astype(w_scale, "float32"))
    if ndim(w_scale) == 1:
        w_scale = _op.reshape(w_scale, [1, -1] + [1] * (ndim(x) - 2))
    multiplier = _op.divide(_op.multiply(_op.astype(x_scale, "float32"), w_scale),
                            _op.astype(y_scale, "float32"))
    scaled = _op.multiply(_op.astype(acc, "float64"), _op.astype(multiplier, "float64"))
    out_dtype = dtype_of(y_zero) if y_zero is not None else dtype_of(x)
    if y_zero is not None:
        scaled = _op.add(scaled, _op.astype(y_zero, "float64"))
    info = np.iinfo(np.dtype(out_dtype))
    clipped = _op.clip(scaled, int(info.min), int(info.max))
    return _op.astype(_round_half_even(clipped, "float64"), out_dtype)
