"""Constants and shapes: ``Constant`` (every attribute form) and ``Shape`` (start/end).

TVM 0.27 reads only ``Constant``'s ``value`` attribute (``value_float``, ``value_ints``...
raise "no value in Constant", which breaks most function-expanded graphs), and returns
``Shape`` as a ``ShapeExpr`` that cannot be a graph output. A static shape becomes an int64
constant here; a symbolic one still goes to TVM's converter.
"""

from __future__ import annotations

import numpy as np
from onnx import numpy_helper
from tvm import relax
from tvm.relax.frontend.onnx import onnx_frontend as tvm_onnx

from ._common import dtype_of, static_shape
from .registry import ConverterError, converter

__all__ = ["cast", "cast_like", "constant", "shape"]


@converter("", "Constant", 1)
def constant(bb, inputs, attrs, ctx):
    """y = Constant(value | value_float(s) | value_int(s) | sparse_value)."""
    if "value" in attrs:
        array = numpy_helper.to_array(attrs["value"])
    elif "value_float" in attrs:
        array = np.array(attrs["value_float"], np.float32)
    elif "value_floats" in attrs:
        array = np.array(attrs["value_floats"], np.float32)
    elif "value_int" in attrs:
        array = np.array(attrs["value_int"], np.int64)
    elif "value_ints" in attrs:
        array = np.array(attrs["value_ints"], np.int64)
    elif "sparse_value" in attrs:
        array = numpy_helper.to_array(attrs["sparse_value"].values)
        raise ConverterError("sparse_value constants are not supported")
    else:
        raise ConverterError("string or empty constants are not supported")
    if array.dtype.kind not in "biuf":
        raise ConverterError(f"constants of dtype {array.dtype} are not supported")
    return relax.const(array, array.dtype.name)


@converter("", "Shape", 1)
def shape(bb, inputs, attrs, ctx):
    """y = Shape(x)[start:end] as an int64 constant when the shape is static."""
    dims = static_shape(inputs[0])
    if dims is None:
        tvm_shape = tvm_onnx.Shape.get_converter(ctx.opset)
        return tvm_shape(bb, inputs, attrs, ctx.params)
    start = int(attrs.get("start", 0))
    end = attrs.get("end")
    selected = dims[start:] if end is None else dims[start:int(end)]
    return relax.const(np.array(selected, np.int64), "int64")


# TensorProto codes of float8 / float4 / 4-bit / 2-bit element types
_EXOTIC_CODES = frozenset({17, 18, 19, 20, 21, 22, 23, 24, 25, 26})
_EXOTIC_NAMES = ("float8", "float4", "int4", "uint4", "int2", "uint2", "e8m0")


def _refuse_exotic(source_dtype: str, target_code: int | None, target_dtype: str = "") -> None:
    """TVM 0.27's llvm backend cannot cast these types (it builds wrong code or fails)."""
    names = (source_dtype, target_dtype)
    if source_dtype.startswith("float8_e8m0") and target_code in (1, 10, 11, 16):
        return  # e8m0 → float is a plain exponent load, which TVM gets right (suite-checked)
    if target_code in _EXOTIC_CODES or any(n.startswith(_EXOTIC_NAMES) for n in names):
        raise ConverterError(
            "float8 / float4 / 4-bit / 2-bit element types are not supported "
            f"(from {source_dtype}; TVM's llvm backend cannot cast them)")


@converter("", "Cast", 1)
def cast(bb, inputs, attrs, ctx):
    """y = Cast(x, to): TVM's converter, but refusing the types TVM miscompiles."""
    if not isinstance(inputs[0].ty, relax.ShapeType):
        _refuse_exotic(dtype_of(inputs[0]), int(attrs.get("to", 1)))
    return tvm_onnx.Cast.get_converter(ctx.opset)(bb, inputs, attrs, ctx.params)


@converter("", "CastLike", 15)
def cast_like(bb, inputs, attrs, ctx):
    """y = CastLike(x, like): as Cast."""
    if not any(isinstance(value.ty, relax.ShapeType) for value in inputs[:2]):
        _refuse_exotic(dtype_of(inputs[0]), None, dtype_of(inputs[1]))
    return tvm_onnx.CastLike.get_converter(ctx.opset)(bb, inputs, attrs, ctx.params)
