"""``y = Slice(x, starts, ends, axes?, steps?)`` with starts / ends computed at run time.

TVM 0.27 lowers runtime starts/ends to ``dynamic_strided_slice``, and paddlec's CPU build
(``FoldConstant`` before legalization) then fails with "There is no definition of
shape_func" (TVM folds part of that op's legalization into a function it drops). Here the
spec's clamping is computed on tensors, the per-axis lengths become symbolic dimensions
(``tensor_to_shape`` + ``match_cast``), and each sliced axis is a ``take`` of
``start + arange(length) * step``. ``axes`` and ``steps`` must be constants. An
all-constant Slice, and one of a ``ShapeExpr`` (``Shape → Slice``, which TVM keeps
symbolic), go to TVM's converter unchanged (the importer passes ShapeExprs through).
"""

from __future__ import annotations

import numpy as np
from tvm import relax
from tvm.relax.frontend.onnx import onnx_frontend as tvm_onnx

from ._common import const_value, dtype_of, ndim, normalize_axes, require_const, static_shape
from .registry import ConverterError, converter

__all__ = ["slice_"]

_op = relax.op


def _is_shape(value) -> bool:
    return value is not None and isinstance(value.ty, relax.ShapeType)


def _i64(value):
    return relax.const(np.asarray(value, np.int64), "int64")


def _clamped_bounds(bb, starts, ends, dims, steps: np.ndarray):
    """(start, length) int64 tensors per sliced axis, clamped as the spec says; ``dims``
    is an int64 tensor of the sliced axes' sizes (symbolic sizes allowed)."""
    starts = _op.where(_op.less(starts, _i64(0)), _op.add(starts, dims), starts)
    ends = _op.where(_op.less(ends, _i64(0)), _op.add(ends, dims), ends)
    forward = relax.const(steps > 0, "bool")
    last = bb.emit(_op.where(forward, dims, _op.subtract(dims, _i64(1))))
    start = bb.emit(_op.minimum(_op.maximum(starts, _i64(0)), last))
    end = _op.maximum(ends, _i64(np.where(steps > 0, 0, -1)))
    end = bb.emit(_op.minimum(end, last))
    span = _op.where(forward, _op.subtract(end, start), _op.subtract(start, end))
    stride = np.abs(steps)
    length = _op.floor_divide(_op.add(span, _i64(stride - 1)), _i64(stride))
    return start, bb.emit(_op.maximum(length, _i64(0)))


def _make(since: int):
    def convert(bb, inputs, attrs, ctx):
        inputs = list(inputs) + [None] * (5 - len(inputs))
        if _is_shape(inputs[0]) or all(value is None or const_value(value) is not None
                                       or _is_shape(value) for value in inputs[1:]):
            # constants, and ShapeExprs (Shape → Slice), are TVM's converter's cases
            return tvm_onnx.Slice.get_converter(ctx.opset)(bb, inputs, attrs, ctx.params)
        inputs = [bb.emit(_op.shape_to_tensor(value)) if _is_shape(value) else value
                  for value in inputs]
        x = inputs[0]
        rank = ndim(x)
        count = (static_shape(inputs[1]) or [None])[0]
        if count is None:
            raise ConverterError("starts needs a static length")
        axes = (list(range(count)) if inputs[3] is None
                else [int(a) for a in require_const(inputs[3], "axes").reshape(-1)])
        axes = normalize_axes(axes, rank)
        steps = (np.ones(count, np.int64) if inputs[4] is None
                 else require_const(inputs[4], "steps").reshape(-1).astype(np.int64))
        if (steps == 0).any():
            raise ConverterError("steps must not be 0")
        all_dims = bb.emit(_op.shape_to_tensor(_op.shape_of(x)))
        dims = bb.emit(_op.take(all_dims, _i64(axes), axis=0))
        starts, ends = (bb.emit(_op.astype(v, "int64")) if dtype_of(v) != "int64" else v
                        for v in inputs[1:3])
        start, length = _clamped_bounds(bb, starts, ends, dims, steps)
        sizes = tvm_onnx._tensor_to_shape_expr(bb, length, count, "slice").values
        result = x
        for j, axis in enumerate(axes):
            first = _op.reshape(_op.strided_slice(start, [0], [j], [j + 1]), [])
            index = _op.add(_op.multiply(_op.arange(0, sizes[j], 1, "int64"),
                                         _i64(steps[j])), first)
            result = bb.emit(_op.take(result, bb.emit(index), axis=axis))
        return result

    convert.__name__ = f"slice_v{since}"
    convert.__doc__ = "Slice: runtime starts/ends as gathers, the rest through TVM."
    return convert


for _since in (10, 11, 13):
    converter("", "Slice", _since)(_make(_since))
slice_ = _make(13)
