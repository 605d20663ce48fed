"""MatMul and Softmax on float16 / bfloat16 computed in numpy's precision.

TOPI accumulates a float16 matmul or row sum in float16, rounding every partial sum; numpy
(and so ONNX's reference, and onnxruntime's float32-accumulating kernels) sums float16 products
and rows in float32 and rounds once. Over a 64-long row the float16 accumulation is off by
several ulps, enough to fail a 1e-3 relative tolerance. These converters:

* ``Y = MatMul(A, B)`` (opset 13) for 16-bit floats: a float32-accumulating matmul rounded to
  the input type; other types go to TVM's converter unchanged.
* ``Y = Softmax(X, axis)`` (opset 13) for 16-bit floats: ``exp(x - max)`` in the input type,
  the row sum in float32 (float16) or element by element with bfloat16 rounding
  (ml_dtypes' bfloat16 adds), then the division; other types go to TVM's converter.

bfloat16 steps are rounded explicitly (``attention.rounder``), since TVM evaluates a fused
bfloat16 chain in float32.
"""

from __future__ import annotations

from tvm import relax
from tvm.relax.frontend.onnx.onnx_frontend import MatMul as _TvmMatMul
from tvm.relax.frontend.onnx.onnx_frontend import Softmax as _TvmSoftmax

from ._common import dtype_of, ndim, normalize_axes, static_shape
from .attention import rounder
from .reduce import exact_max
from .registry import converter

__all__ = ["matmul", "softmax"]

_op = relax.op
_HALF = ("float16", "bfloat16")


@converter("", "MatMul", 13)
def matmul(bb, inputs, attrs, ctx):
    """Y = A @ B; 16-bit floats accumulate in float32 and round once."""
    a, b = inputs[0], inputs[1]
    dtype = dtype_of(a)
    if dtype not in _HALF:
        return _TvmMatMul.get_converter(13)(bb, inputs, attrs, ctx.params)
    return rounder(bb, dtype)(_op.astype(_op.matmul(a, b, out_dtype="float32"), dtype))


def _sum_like_numpy(bb, x, axis: int, dtype: str, rnd):
    """Sum over ``axis`` (kept): float16 in float32, bfloat16 one element after another."""
    if dtype == "float16":
        return _op.astype(_op.sum(_op.astype(x, "float32"), axis=[axis], keepdims=True), dtype)
    length = static_shape(bb.normalize(x))[axis]
    total = _op.strided_slice(x, axes=[axis], begin=[0], end=[1])
    for j in range(1, length):
        total = rnd(_op.add(total, _op.strided_slice(x, axes=[axis], begin=[j], end=[j + 1])))
    return total


@converter("", "Softmax", 13)
def softmax(bb, inputs, attrs, ctx):
    """Y = exp(X - max) / sum(exp(X - max)) along ``axis``, summed as numpy does."""
    x = inputs[0]
    dtype = dtype_of(x)
    shape = static_shape(x)
    if dtype not in _HALF or (dtype == "bfloat16" and shape is None):
        return _TvmSoftmax.get_converter(13)(bb, inputs, attrs, ctx.params)
    axis = normalize_axes([int(attrs.get("axis", -1))], ndim(x))[0]
    rnd = rounder(bb, dtype)
    exps = rnd(_op.exp(rnd(_op.subtract(x, exact_max(x, [axis], True, dtype)))))
    return rnd(_op.divide(exps, _sum_like_numpy(bb, exps, axis, dtype, rnd)))
