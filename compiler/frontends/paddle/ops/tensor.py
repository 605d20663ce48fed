"""Shape and data-movement ops, constants, casts.

    y = reshape(x, shape)          → Reshape(x, shape)      (0 = copy, -1 = infer: same rules)
    y = flatten(x, start, stop)    → Reshape(x, [0]*start + [-1] + trailing static dims)
    y = slice(x, s, e, axes)       → Slice(x, s, e, axes), then Squeeze(decrease_axis)
    y = split(x, sections, axis)   → Split(x, sections, axis)  (-1 resolved from static dims)
    y = shape(x) / shape64(x)      → Cast(Shape(x), int32) / Shape(x)
    y = full / fill_constant / full_int_array → a constant initializer
    y = arange(start, end, step)   → Range(scalar(start), scalar(end), scalar(step))
Operands that PIR passes as tensors (``full_int_array`` outputs) are read as constants when
they are; otherwise they are fed to the ONNX op as run-time int64 inputs.
"""

from __future__ import annotations

import ml_dtypes
import numpy as np
import onnx_ir as ir

from ..params import DTYPES
from .registry import register

__all__ = ["paddle_dtype", "reshape", "transpose", "flatten", "squeeze", "unsqueeze",
           "concat", "split", "slice_", "shape", "cast", "full", "full_int_array", "arange"]

_NAMED = {"bfloat16": np.dtype(ml_dtypes.bfloat16)}


def paddle_dtype(value: object) -> np.dtype:
    """A Paddle dtype attribute (PIR: ``"float32"``; legacy: a ``VarType.Type`` code)."""
    if isinstance(value, str):
        return _NAMED.get(value) or np.dtype(value)
    return DTYPES[int(value)]


def _onnx_type(dtype: np.dtype) -> int:
    return int(ir.DataType.from_numpy(np.dtype(dtype)))


def _int_operand(cx, op, index: int, attr: str, list_index: int | None = None):
    """An int64 1-D IR value from a tensor operand, a list of 1-element tensors, or an attr."""
    const = op.const(index) if op.inputs[index] is not None else None
    if const is not None:
        return cx.ints(const), [int(v) for v in np.asarray(const).reshape(-1)]
    if op.inputs[index] is not None:
        value = cx.op("Cast", [op.inputs[index]], {"to": int(ir.DataType.INT64)})
        return cx.op("Reshape", [value, cx.ints([-1])]), None
    if list_index is not None and op.inputs[list_index]:
        parts = [cx.op("Reshape", [cx.op("Cast", [v], {"to": int(ir.DataType.INT64)}),
                                   cx.ints([-1])]) for v in op.inputs[list_index]]
        return cx.op("Concat", parts, {"axis": 0}), None
    values = [int(v) for v in op.attr(attr)]
    return cx.ints(values), values


@register("reshape", legacy=("reshape2", "reshape"), ins=("X", "Shape", "ShapeTensor*"),
          outs=("Out",))
def reshape(cx, op):
    shape, _ = _int_operand(cx, op, 1, "shape", list_index=2)
    return [cx.op("Reshape", [op.inputs[0], shape])]


@register("transpose", legacy=("transpose2", "transpose"), ins=("X",))
def transpose(cx, op):
    perm = op.attr("perm") if op.fmt == "paddle-pir" else op.attr("axis")
    return [cx.op("Transpose", [op.inputs[0]], {"perm": [int(p) for p in perm]})]


@register("flatten", legacy="flatten_contiguous_range", ins=("X",))
def flatten(cx, op):
    shape = op.shape(0)
    if shape is None:
        raise op.unsupported("input rank unknown")
    rank = len(shape)
    if rank == 0:
        return [cx.op("Reshape", [op.inputs[0], cx.ints([1])])]
    start = int(op.attr("start_axis", 1)) % rank
    stop = int(op.attr("stop_axis", -1)) % rank
    trailing = shape[stop + 1:]
    if any(d < 0 for d in trailing):
        raise op.unsupported("flatten with dynamic dims after stop_axis")
    target = [0] * start + [-1] + trailing
    return [cx.op("Reshape", [op.inputs[0], cx.ints(target)])]


def _axes(cx, op, index: int, attr: str) -> list[int]:
    const = op.const(index) if op.inputs[index] is not None else None
    if op.inputs[index] is not None and const is None:
        raise op.unsupported("axes computed at run time")
    values = const if const is not None else op.attr(attr, [])
    return [int(a) for a in np.asarray(values).reshape(-1)]


@register("squeeze", legacy=("squeeze2", "squeeze"), ins=("X", "axis"))
def squeeze(cx, op):
    """Paddle skips listed axes whose size is not 1; ONNX would fail, so drop them first."""
    axes = _axes(cx, op, 1, "axes")
    shape = op.shape(0)
    if shape is not None and axes:
        rank = len(shape)
        axes = [a for a in axes if shape[a % rank] == 1 or shape[a % rank] < 0]
        if not axes:
            return [op.inputs[0]]
    inputs = [op.inputs[0]] + ([cx.ints(axes)] if axes else [])
    return [cx.op("Squeeze", inputs)]


@register("unsqueeze", legacy=("unsqueeze2", "unsqueeze"), ins=("X", "AxesTensor"))
def unsqueeze(cx, op):
    axes = _axes(cx, op, 1, "axes")
    return [cx.op("Unsqueeze", [op.inputs[0], cx.ints(axes)])]


@register("concat", ins=("X*", "AxisTensor"))
def concat(cx, op):
    const = op.const(1) if op.inputs[1] is not None else None
    if op.inputs[1] is not None and const is None:
        raise op.unsupported("concat axis computed at run time")
    axis = int(np.asarray(const).reshape(-1)[0]) if const is not None else int(op.attr("axis"))
    return [cx.op("Concat", list(op.inputs[0]), {"axis": axis})]


def _split(cx, op, axis: int, sections: list[int] | None, count: int):
    if sections is not None and -1 in sections:
        shape = op.shape(0)
        size = shape[axis] if shape is not None else -1
        if size < 0:
            raise op.unsupported("split with -1 section over a dynamic dim")
        sections[sections.index(-1)] = size - sum(s for s in sections if s != -1)
    inputs = [op.inputs[0]] + ([cx.ints(sections)] if sections else [])
    return [cx.ops("Split", inputs, {"axis": axis}, count)]


def _axis_operand(op, index: int, attr: str) -> int:
    if op.inputs[index] is not None:
        const = op.const(index)
        if const is None:
            raise op.unsupported("split axis computed at run time")
        return int(np.asarray(const).reshape(-1)[0])
    return int(op.attr(attr, 0))


@register("split", ins=("X", "sections", "AxisTensor"), outs=("Out*",))
def split(cx, op):
    axis = _axis_operand(op, 2, "axis")
    count = op.num_outputs(0)
    if op.fmt == "paddle-pir":
        sections = op.const(1)
        if sections is None:
            raise op.unsupported("split sections computed at run time")
        sections = [int(s) for s in np.asarray(sections).reshape(-1)]
    else:
        sections = [int(s) for s in op.attr("sections", [])] or None
    return _split(cx, op, axis, sections, count)


@register("split_with_num", legacy=(), ins=("X", "AxisTensor"), outs=("Out*",))
def split_with_num(cx, op):
    return _split(cx, op, _axis_operand(op, 1, "axis"), None, op.num_outputs(0))


@register("slice", ins=("Input", "StartsTensor", "EndsTensor", "StartsTensorList*",
                        "EndsTensorList*"))
def slice_(cx, op):
    starts, start_values = _int_operand(cx, op, 1, "starts", list_index=3)
    ends, end_values = _int_operand(cx, op, 2, "ends", list_index=4)
    axes = [int(a) for a in op.attr("axes")]
    decrease = [int(a) for a in op.attr("decrease_axis", [])]
    declared = _declared_rank(cx, op)
    in_shape = op.shape(0)
    squeeze = bool(decrease) and in_shape is not None and not (
        declared == 1 and len(decrease) == len(in_shape))  # old style keeps a [1] result
    folded = _static_dims(cx, op, axes, start_values, end_values)
    if folded is not None:
        return [cx.const(folded.reshape(()) if squeeze else folded)]
    out = cx.op("Slice", [op.inputs[0], starts, ends, cx.ints(axes)])
    if squeeze:
        out = cx.op("Squeeze", [out, cx.ints(decrease)])
    return [out]


def _static_dims(cx, op, axes, starts, ends) -> np.ndarray | None:
    """``shape(x)[i:j]`` where x's dims i..j are static → those dims as a constant.

    TVM's importer loses track of shape values that pass through casts, and a ``Range`` over
    such a value gets an unknown length, so static sequence lengths are folded here.
    """
    dims = cx.shape_dims.get(op.inputs[0])
    if dims is None or axes != [0] or starts is None or ends is None or len(starts) != 1:
        return None
    picked = dims[slice(starts[0], min(ends[0], len(dims)))]
    if len(picked) != 1 or picked[0] < 0:
        return None
    return np.asarray(picked, dtype=cx.shape_dtype[op.inputs[0]])


def _declared_rank(cx, op) -> int | None:
    names = next(iter(op.op.outputs.values()), [])
    var = cx.program.vars.get(names[0]) if names else None
    return None if var is None or var.shape is None else len(var.shape)


@register("shape", "shape64", ins=("Input",))
def shape(cx, op):
    out = cx.op("Shape", [op.inputs[0]])
    dtype = np.int64
    if op.type == "shape":  # Paddle's shape op yields int32
        out = cx.op("Cast", [out], {"to": int(ir.DataType.INT32)})
        dtype = np.int32
    if op.shape(0) is not None:  # lets slice_ fold static dims
        cx.shape_dims[out], cx.shape_dtype[out] = op.shape(0), dtype
    return [out]


@register("cast", ins=("X",))
def cast(cx, op):
    dtype = paddle_dtype(op.attr("dtype") if op.fmt == "paddle-pir" else op.attr("out_dtype"))
    return [cx.op("Cast", [op.inputs[0]], {"to": _onnx_type(dtype)})]


@register("full", legacy="fill_constant", ins=("ValueTensor", "ShapeTensor",
                                                "ShapeTensorList*"))
def full(cx, op):
    if op.inputs[0] is not None or op.inputs[1] is not None or op.inputs[2]:
        raise op.unsupported("fill_constant with a run-time shape or value")
    dtype = paddle_dtype(op.attr("dtype"))
    value = op.attr("value", 0.0)
    text = op.attr("str_value", "") if op.fmt != "paddle-pir" else ""
    if text:
        value = float(text) if dtype.kind == "f" else int(float(text))
    dims = [int(d) for d in (op.attr("shape", []) or [])]
    if dtype.kind in "iu":
        value = int(value)
    elif dtype.kind == "b":
        value = bool(value)
    return [cx.const(np.full(dims, value, dtype=dtype))]


@register("full_int_array", legacy=(), ins=())
def full_int_array(cx, op):
    dtype = paddle_dtype(op.attr("dtype", "int64"))
    return [cx.const(np.asarray([int(v) for v in op.attr("value")], dtype=dtype).reshape(-1))]


@register("arange", legacy="range", ins=("Start", "End", "Step"))
def arange(cx, op):
    dtype = paddle_dtype(op.attr("dtype")) if op.fmt == "paddle-pir" else op.out_dtype()
    if dtype is None:
        raise op.unsupported("output dtype unknown")
    scalars = [cx.op("Reshape", [cx.op("Cast", [v], {"to": _onnx_type(dtype)}), cx.ints([])])
               for v in op.inputs]
    return [cx.op("Range", scalars)]
