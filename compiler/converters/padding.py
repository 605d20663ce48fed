"""``y = Pad(x, pads, constant_value?, axes?)`` with pads computed at run time.

TVM 0.27 raises "Dynamic pads are not supported yet" unless ``pads`` is a constant. Graphs
that derive pads from a runtime shape (``CenterCropPad``'s function body: ``Max(Shape(x),
shape) - Shape(x)``) need them. With ``mode="constant"`` (and constant ``axes`` if
given), this reads the pads into symbolic dimensions (``tensor_to_shape`` +
``match_cast``) and builds each axis as a gather of ``arange(-before, size + after)`` with
out-of-range positions set to the constant, so negative pads (crops) work as the spec
says. Constant pads, and every other mode, go to TVM's converter.
"""

from __future__ import annotations

from tvm import relax
from tvm.relax.frontend.onnx import onnx_frontend as tvm_onnx

from ._common import (attr_str, const_value, dtype_of, normalize_axes, require_const,
                      static_shape)
from .registry import ConverterError, converter

__all__ = ["pad"]

_op = relax.op


def _dynamic_pad(bb, x, pads, value, axes: list[int] | None):
    dims = static_shape(x)
    if dims is None:
        raise ConverterError("runtime pads need a static input shape")
    rank = len(dims)
    axes = list(range(rank)) if axes is None else normalize_axes(axes, rank)
    pads = bb.emit(_op.astype(pads, "int64")) if dtype_of(pads) != "int64" else pads
    amounts = tvm_onnx._tensor_to_shape_expr(bb, pads, 2 * len(axes), "pad").values
    result, inside = x, None
    for number, axis in enumerate(axes):
        size = dims[axis]
        before, after = amounts[number], amounts[len(axes) + number]
        position = bb.emit(_op.arange(-before, size + after, 1, "int64"))
        valid = _op.logical_and(_op.greater_equal(position, relax.const(0, "int64")),
                                _op.less(position, relax.const(size, "int64")))
        result = bb.emit(_op.take(result, _op.clip(position, 0, size - 1), axis=axis))
        valid = _op.expand_dims(valid, [d for d in range(rank) if d != axis]) if rank > 1 \
            else valid
        inside = valid if inside is None else _op.logical_and(inside, valid)
        inside = bb.emit(inside)
    return _op.where(inside, result, _op.astype(value, dtype_of(x)))


@converter("", "Pad", 11)
def pad(bb, inputs, attrs, ctx):
    """y = Pad(x, pads, value, axes): runtime pads here (constant mode), the rest via TVM."""
    inputs = list(inputs) + [None] * (4 - len(inputs))
    if inputs[1] is None or const_value(inputs[1]) is not None:
        return tvm_onnx.Pad.get_converter(ctx.opset)(bb, inputs, attrs, ctx.params)
    if attr_str(attrs, "mode", "constant") != "constant":
        raise ConverterError("runtime pads are supported for mode='constant' only")
    axes = None if inputs[3] is None else [
        int(a) for a in require_const(inputs[3], "axes").reshape(-1)]
    value = inputs[2] if inputs[2] is not None else relax.const(0, dtype_of(inputs[0]))
    return _dynamic_pad(bb, inputs[0], inputs[1], _op.reshape(value, []), axes)
