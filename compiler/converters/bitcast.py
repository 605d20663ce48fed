"""``y = BitCast(x, to)`` (opset 26): the same bits read as another element type.

Emitted as TOPI's ``reinterpret`` (``tirx.reinterpret`` per element). Both types must have
the same width, as the spec requires; ``bool`` ↔ 8-bit integers is a plain cast (TVM
stores ``bool`` as one byte holding 0 or 1, the bits the spec's reference reads).
Refused: strings and the sub-byte / float8 types TVM's llvm backend cannot load.
"""

from __future__ import annotations

import numpy as np
from onnx import helper
from tvm import relax, topi

from ._common import dtype_of
from .registry import ConverterError, converter

__all__ = ["bit_cast"]

_NUMPY_TO_TVM = {"bool": "bool", "float16": "float16", "float32": "float32",
                 "float64": "float64", "int8": "int8", "int16": "int16", "int32": "int32",
                 "int64": "int64", "uint8": "uint8", "uint16": "uint16", "uint32": "uint32",
                 "uint64": "uint64"}
_WIDTH = {"bool": 8, "bfloat16": 16}


def _width(dtype: str) -> int:
    return _WIDTH.get(dtype) or np.dtype(dtype).itemsize * 8


@converter("", "BitCast", 26)
def bit_cast(bb, inputs, attrs, ctx):
    """y = BitCast(x, to): reinterpret the element bits, shape unchanged."""
    x = inputs[0]
    code = int(attrs["to"])
    target = "bfloat16" if code == 16 else _NUMPY_TO_TVM.get(
        helper.tensor_dtype_to_np_dtype(code).name if code not in (0, 8) else "")
    source = dtype_of(x)
    if target is None or (source not in _NUMPY_TO_TVM and source != "bfloat16"):
        raise ConverterError(f"BitCast from {source} to TensorProto type {code} is not "
                             "supported (strings, float8 and sub-byte types)")
    if _width(source) != _width(target):
        raise ConverterError(f"BitCast needs types of the same width, got {source} "
                             f"({_width(source)} bits) and {target} ({_width(target)} bits)")
    if source == target:
        return x
    if "bool" in (source, target):
        return relax.op.astype(x, target)
    return bb.emit_te(topi.reinterpret, x, target)
