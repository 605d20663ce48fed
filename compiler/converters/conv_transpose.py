"""``Y = ConvTranspose(X, W, B?)`` with the ``output_shape`` attribute.

TVM 0.27 ignores ``output_shape`` and returns the natural size. As the ONNX reference does
it: without ``auto_pad`` the result is computed with the given pads and then zero-extended
(or cropped) at the end of each axis to ``output_shape``; with ``SAME_UPPER`` /
``SAME_LOWER`` the pads are derived from ``output_shape``. Everything else is TVM's.
"""

from __future__ import annotations

from tvm import relax
from tvm.relax.frontend.onnx import onnx_frontend as tvm_onnx

from ._common import attr_str, static_shape
from .registry import ConverterError, converter

__all__ = ["conv_transpose"]

_op = relax.op


@converter("", "ConvTranspose", 1)
def conv_transpose(bb, inputs, attrs, ctx):
    """Y = ConvTranspose(X, W, B?), sized to ``output_shape`` when given."""
    tvm_convert = tvm_onnx.ConvTranspose.get_converter(ctx.opset)
    inputs = list(inputs) + [None] * (3 - len(inputs))
    target = attrs.pop("output_shape", None)
    if target is None:
        return tvm_convert(bb, inputs, attrs, ctx.params)
    x_shape, w_shape = static_shape(inputs[0]), static_shape(inputs[1])
    if x_shape is None or w_shape is None:
        raise ConverterError("output_shape needs static input and weight shapes")
    target = [int(v) for v in target][-(len(x_shape) - 2):]
    rank = len(target)
    strides = list(attrs.get("strides", [1] * rank))
    dilations = list(attrs.get("dilations", [1] * rank))
    output_padding = list(attrs.get("output_padding", [0] * rank))
    kernel = list(attrs.get("kernel_shape", w_shape[2:]))
    full = [strides[i] * (x_shape[2 + i] - 1) + output_padding[i]
            + (kernel[i] - 1) * dilations[i] + 1 for i in range(rank)]
    auto_pad = attr_str(attrs, "auto_pad", "NOTSET")
    if auto_pad in ("SAME_UPPER", "SAME_LOWER"):
        total = [full[i] - target[i] for i in range(rank)]
        if min(total) < 0:
            raise ConverterError(f"output_shape {target} exceeds the full size {full}")
        small = [t // 2 for t in total]
        big = [t - t // 2 for t in total]
        attrs["pads"] = small + big if auto_pad == "SAME_UPPER" else big + small
        attrs.pop("auto_pad")
        return tvm_convert(bb, inputs, attrs, ctx.params)
    result = bb.emit(tvm_convert(bb, inputs, attrs, ctx.params))
    natural = static_shape(result)[2:]
    crop = [i for i in range(rank) if target[i] < natural[i]]
    if crop:
        result = bb.emit(_op.strided_slice(result, [2 + i for i in crop], [0] * len(crop),
                                           [target[i] for i in crop]))
    grow = [max(target[i] - natural[i], 0) for i in range(rank)]
    if any(grow):
        widths = [0, 0, 0, 0] + [w for g in grow for w in (0, g)]
        result = _op.nn.pad(result, widths, pad_value=0.0)
    return result
