"""Small helpers the converter families share: constants, static shapes, dtypes."""

from __future__ import annotations

import numpy as np
import tvm
from tvm import relax, tirx

from .registry import ConverterError

__all__ = ["const_value", "require_const", "shape_of", "static_shape", "ndim", "dtype_of",
           "normalize_axes", "attr_str"]


def const_value(expr) -> np.ndarray | None:
    """The value of ``expr`` when it is a Relax constant (an initializer or a folded value)."""
    if isinstance(expr, tvm.ir.GenericConst):
        return expr.value.numpy()
    return None


def require_const(expr, what: str) -> np.ndarray:
    """``const_value`` or a ConverterError saying that ``what`` must be a constant."""
    value = const_value(expr)
    if value is None:
        raise ConverterError(
            f"{what} must be a constant (an initializer); bind the input with "
            "const_inputs / --const-input to compile for one value"
        )
    return value


def shape_of(expr) -> list:
    """Dimensions of a tensor expression: ints where static, PrimExprs where symbolic."""
    shape = expr.ty.shape
    if shape is None:
        raise ConverterError("an input has unknown rank")
    return [int(d.value) if isinstance(d, tirx.IntImm) else d for d in shape.values]


def static_shape(expr) -> list[int] | None:
    dims = shape_of(expr)
    return dims if all(isinstance(d, int) for d in dims) else None


def ndim(expr) -> int:
    return int(expr.ty.ndim)


def dtype_of(expr) -> str:
    return str(expr.ty.dtype)


def normalize_axes(axes, rank: int) -> list[int]:
    return [int(a) + rank if int(a) < 0 else int(a) for a in axes]


def attr_str(attrs: dict, name: str, default: str) -> str:
    value = attrs.get(name, default)
    return value.decode() if isinstance(value, bytes) else value
