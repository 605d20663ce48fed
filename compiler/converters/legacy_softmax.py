"""Softmax and LogSoftmax of opsets 1–12 on tensors with symbolic dimensions.

Before opset 13 both flatten their input to 2-D at ``axis`` (``[prod(dims[:axis]),
prod(dims[axis:])]``), normalize each row and reshape back. TVM's converter builds that
reshape from an expression it has not typed yet, which fails as soon as a dim is symbolic
(PaddleOCR's classifiers: batch ``N``). Here the flattened tensor and its softmax are
emitted first; over the last axis the flattening is the identity and is skipped. Static
shapes keep TVM's converter.
"""

from __future__ import annotations

from tvm import relax
from tvm.relax.frontend.onnx.onnx_frontend import LogSoftmax as TvmLogSoftmax
from tvm.relax.frontend.onnx.onnx_frontend import Softmax as TvmSoftmax

from ._common import ndim, normalize_axes, shape_of, static_shape
from .registry import converter

__all__ = ["legacy_log_softmax", "legacy_softmax"]


def _flattened(bb, x, axis: int, normalize, tvm_converter, inputs, attrs, ctx):
    x = bb.normalize(x)
    rank = ndim(x)
    axis = normalize_axes([axis], rank)[0] if rank > 0 else axis
    if rank > 0 and axis == rank - 1:
        return normalize(x, axis=-1)
    if x.ty.shape is None or static_shape(x) is not None:
        return tvm_converter.get_converter(ctx.opset)(bb, inputs, attrs, ctx.params)
    dims = shape_of(x)
    outer, inner = 1, 1
    for dim in dims[:axis]:
        outer = outer * dim
    for dim in dims[axis:]:
        inner = inner * dim
    rows = bb.emit(relax.op.reshape(x, [outer, inner]))
    return relax.op.reshape(bb.emit(normalize(rows, axis=-1)), x.ty.shape)


@converter("", "Softmax", 1)
def legacy_softmax(bb, inputs, attrs, ctx):
    """Y = Softmax(X, axis=1) with the pre-13 flattening."""
    return _flattened(bb, inputs[0], int(attrs.get("axis", 1)), relax.op.nn.softmax,
                      TvmSoftmax, inputs, attrs, ctx)


@converter("", "LogSoftmax", 1)
def legacy_log_softmax(bb, inputs, attrs, ctx):
    """Y = LogSoftmax(X, axis=1) with the pre-13 flattening."""
    return _flattened(bb, inputs[0], int(attrs.get("axis", 1)), relax.op.nn.log_softmax,
                      TvmLogSoftmax, inputs, attrs, ctx)
