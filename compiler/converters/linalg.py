"""``y = Det(x)`` (opset 11): determinants of the trailing ``[n, n]`` matrices.

TVM 0.27 has no determinant. For a static ``n`` this unrolls Gaussian elimination with
partial pivoting (what LAPACK's ``getrf`` does, and numpy's ``det`` through it) into
``n`` steps of Relax ops over the whole batch: pick the largest pivot of the column, swap
it into place (flipping the sign), multiply it into the determinant, eliminate below it.
A zero pivot column gives a zero determinant. Computed in float32 (float64 for float64).
"""

from __future__ import annotations

from tvm import relax

from ._common import dtype_of, static_shape
from .registry import ConverterError, converter

__all__ = ["det"]

_op = relax.op


def _const(value, dtype: str):
    return relax.const(value, dtype)


@converter("", "Det", 11)
def det(bb, inputs, attrs, ctx):
    """y = det(x[..., :, :])."""
    x = inputs[0]
    shape = static_shape(x)
    if shape is None or len(shape) < 2 or shape[-1] != shape[-2]:
        raise ConverterError("the input needs a static shape [..., n, n]")
    n = shape[-1]
    out_dtype = dtype_of(x)
    dtype = "float64" if out_dtype == "float64" else "float32"
    a = bb.emit(_op.astype(x, dtype)) if out_dtype != dtype else x
    rank = len(shape)
    rows = _op.reshape(_op.arange(0, n, 1, "int64"), [1] * (rank - 2) + [n, 1])
    result = None
    for k in range(n):
        column = _op.strided_slice(a, [rank - 2, rank - 1], [k, k], [n, k + 1])
        pivot_row = bb.emit(_op.add(_op.argmax(_op.abs(column), axis=rank - 2, keepdims=True),
                                    _const(k, "int64")))  # [..., 1, 1]
        if k < n - 1:  # swap rows k and pivot_row
            source = _op.where(_op.equal(rows, _const(k, "int64")), pivot_row,
                               _op.where(_op.equal(rows, pivot_row), _const(k, "int64"),
                                         rows))
            source = bb.emit(_op.broadcast_to(source, shape))
            a = bb.emit(_op.gather_elements(a, source, rank - 2))
        pivot = bb.emit(_op.strided_slice(a, [rank - 2, rank - 1], [k, k], [k + 1, k + 1]))
        swapped = _op.not_equal(pivot_row, _const(k, "int64"))
        signed = _op.where(swapped, _op.negative(pivot), pivot)
        result = signed if result is None else _op.multiply(result, signed)
        result = bb.emit(result)
        if k == n - 1:
            break
        safe = _op.where(_op.equal(pivot, _const(0.0, dtype)), _const(1.0, dtype), pivot)
        column = _op.strided_slice(a, [rank - 1], [k], [k + 1])  # [..., n, 1]
        below = _op.greater(rows, _const(k, "int64"))
        factor = _op.where(below, _op.divide(column, safe), _const(0.0, dtype))
        pivot_line = _op.strided_slice(a, [rank - 2], [k], [k + 1])  # [..., 1, n]
        a = bb.emit(_op.subtract(a, _op.multiply(factor, pivot_line)))
    result = _op.reshape(result, shape[:-2])
    return _op.astype(result, out_dtype) if out_dtype != dtype else result
