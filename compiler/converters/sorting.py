"""``values, indices = TopK(x, k, axis=-1, largest=1, sorted=1)`` for every integer type.

TVM 0.27's CPU sort kernels take only float16/32/64 and int32/64 inputs ("Unsupported input
dtype: uint64" at run time). Other types are sorted through an order-preserving key: a
widening cast to int32/int64 (8/16-bit, uint32), float32 for bfloat16, and for uint64 the
bits with the top bit flipped, read as int64 (``x ^ 2**63`` orders like signed numbers).
The values are then gathered from the input with the indices, so they are exact.
"""

from __future__ import annotations

import numpy as np
from tvm import relax, topi

from ._common import dtype_of, ndim, normalize_axes, require_const
from .registry import ConverterError, converter

__all__ = ["top_k"]

_op = relax.op
_NATIVE = frozenset({"float16", "float32", "float64", "int32", "int64"})
_WIDEN = {"int8": "int32", "int16": "int32", "uint8": "int32", "uint16": "int32",
          "uint32": "int64", "bfloat16": "float32", "bool": "int32"}


def _sort_key(bb, x):
    dtype = dtype_of(x)
    if dtype in _NATIVE:
        return x
    if dtype in _WIDEN:
        return bb.emit(_op.astype(x, _WIDEN[dtype]))
    if dtype == "uint64":
        flipped = _op.bitwise_xor(x, relax.const(np.uint64(1 << 63), "uint64"))
        return bb.emit_te(topi.reinterpret, bb.emit(flipped), "int64")
    raise ConverterError(f"TopK of {dtype} is not supported")


def _make(since: int):
    def convert(bb, inputs, attrs, ctx):
        x = inputs[0]
        if since >= 10:
            k = int(np.asarray(require_const(inputs[1], "k")).reshape(-1)[0])
        else:
            k = int(attrs.get("k", 1))
        axis = normalize_axes([int(attrs.get("axis", -1))], ndim(x))[0]
        largest = bool(attrs.get("largest", 1))
        key = _sort_key(bb, x)
        result = bb.emit(_op.topk(key, k, axis, ret_type="both", largest=largest,
                                  dtype="int64"))
        indices = bb.emit(relax.TupleGetItem(result, 1))
        values = (relax.TupleGetItem(result, 0) if key is x
                  else _op.gather_elements(x, indices, axis))
        return relax.Tuple([bb.emit(values), indices])

    convert.__name__ = f"top_k_v{since}"
    convert.__doc__ = "TopK through an order-preserving sort key for every dtype."
    return convert


for _since in (1, 10, 11):
    converter("", "TopK", _since)(_make(_since))
top_k = _make(11)
