"""Tensors generated from a shape: ``y = EyeLike(x, dtype?, k=0)``.

TVM 0.27's EyeLike rejects a ``dtype`` attribute that differs from the input's ("dtype
mismatch"), though the spec says the attribute picks the output type. Ones where
``column - row == k``, from two broadcast ranges (symbolic dimensions work too).
"""

from __future__ import annotations

from onnx import helper
from tvm import relax

from ._common import dtype_of, shape_of
from .registry import ConverterError, converter

__all__ = ["eye_like"]

_op = relax.op


@converter("", "EyeLike", 9)
def eye_like(bb, inputs, attrs, ctx):
    """y[i, j] = 1 if j - i == k else 0, shaped like the 2-D input."""
    x = inputs[0]
    dims = shape_of(x)
    if len(dims) != 2:
        raise ConverterError("the input must be 2-D")
    code = attrs.get("dtype")
    dtype = dtype_of(x) if code is None else helper.tensor_dtype_to_np_dtype(int(code)).name
    k = int(attrs.get("k", 0))
    rows = _op.reshape(_op.arange(0, dims[0], 1, "int64"), [dims[0], 1])
    cols = _op.reshape(_op.arange(0, dims[1], 1, "int64"), [1, dims[1]])
    diagonal = _op.equal(_op.subtract(cols, rows), relax.const(k, "int64"))
    return _op.astype(diagonal, dtype)
