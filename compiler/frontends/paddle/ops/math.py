"""Matrix products and reductions.

    z = matmul(x, y, transpose_x, transpose_y) → MatMul(Transpose?(x), Transpose?(y))
    z = matmul (v1, legacy) with alpha          → MatMul(...) * alpha
    y = mean/sum/max/min(x, axis, keepdim)      → ReduceMean/ReduceSum/ReduceMax/ReduceMin
"""

from __future__ import annotations

import numpy as np

from .registry import register

__all__ = ["matmul", "reduce"]


def _transposed(cx, op, value, index: int):
    rank = op.rank(index)
    if rank < 2:
        return value  # Paddle ignores the flag for vectors
    perm = list(range(rank))
    perm[-1], perm[-2] = perm[-2], perm[-1]
    return cx.op("Transpose", [value], {"perm": perm})


@register("matmul", legacy=("matmul_v2", "matmul"), ins=("X", "Y"))
def matmul(cx, op):
    x, y = op.inputs
    if op.fmt == "paddle-pir":
        flip_x, flip_y = op.attr("transpose_x", False), op.attr("transpose_y", False)
    elif op.type == "matmul_v2":
        flip_x, flip_y = op.attr("trans_x", False), op.attr("trans_y", False)
    else:
        flip_x, flip_y = op.attr("transpose_X", False), op.attr("transpose_Y", False)
    if flip_x:
        x = _transposed(cx, op, x, 0)
    if flip_y:
        y = _transposed(cx, op, y, 1)
    out = cx.op("MatMul", [x, y])
    alpha = float(op.attr("alpha", 1.0)) if op.type == "matmul" and op.fmt != "paddle-pir" \
        else 1.0
    if alpha != 1.0:
        out = cx.op("Mul", [out, cx.const(alpha, op.dtype(0))])
    return [out]


_REDUCE = {"mean": "ReduceMean", "reduce_mean": "ReduceMean", "sum": "ReduceSum",
           "reduce_sum": "ReduceSum", "max": "ReduceMax", "reduce_max": "ReduceMax",
           "min": "ReduceMin", "reduce_min": "ReduceMin", "prod": "ReduceProd",
           "reduce_prod": "ReduceProd"}


@register("mean", "sum", "max", "min", "prod",
          legacy=("reduce_mean", "reduce_sum", "reduce_max", "reduce_min", "reduce_prod"),
          ins=("X", "axis"))
def reduce(cx, op):
    """Opset 17: ReduceSum takes axes as an input, the others as an attribute."""
    x = op.inputs[0]
    if op.fmt == "paddle-pir":
        axes = op.const(1) if op.inputs[1] is not None else np.asarray(op.attr("axis", []))
        if axes is None:
            raise op.unsupported("reduction axes computed at run time")
        keep = bool(op.attr("keepdim", False))
        reduce_all = False
    else:
        axes = np.asarray(op.attr("dim", []))
        keep = bool(op.attr("keep_dim", False))
        reduce_all = bool(op.attr("reduce_all", False))
    axes = [int(a) for a in np.asarray(axes).reshape(-1)]
    if reduce_all:
        axes = []
    onnx_op = _REDUCE[op.type]
    attrs = {"keepdims": int(keep)}
    if op.type in ("sum", "reduce_sum"):
        dtype = op.attr("dtype", None)
        if dtype not in (None, -1, "", "undefined") and np.dtype(op.out_dtype()) != op.dtype(0):
            raise op.unsupported("sum with a dtype cast")
        inputs = [x, cx.ints(axes)] if axes else [x]
        return [cx.op(onnx_op, inputs, attrs)]
    if axes:
        attrs["axes"] = axes
    return [cx.op(onnx_op, [x], attrs)]
