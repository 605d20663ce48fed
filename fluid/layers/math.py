"""Elementwise, matrix, shape, reduction and activation layers (Paddle 1.x semantics)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..framework import Variable, default_main_program
from ..layer_helper import LayerHelper, dims

__all__ = [
    "elementwise_add",
    "elementwise_sub",
    "elementwise_mul",
    "elementwise_div",
    "matmul",
    "scale",
    "mean",
    "reshape",
    "flatten",
    "concat",
    "relu",
    "sigmoid",
    "tanh",
    "softmax",
    "fill_constant",
    "transpose",
]


def _broadcast(a: list, b: list) -> list:
    rank = max(len(a), len(b))
    a, b = [1] * (rank - len(a)) + a, [1] * (rank - len(b)) + b
    return [y if x == 1 else x for x, y in zip(a, b)]


def _elementwise(op: str, x: Variable, y: Variable, axis: int, act, name) -> Variable:
    """Paddle aligns ``y`` with ``x`` starting at ``axis`` (-1: trailing, i.e. numpy);
    for another axis, ``y`` is reshaped with trailing 1s so that ONNX broadcasting agrees."""
    helper = LayerHelper(f"elementwise_{op.lower()}", name)
    x_dims, y_dims = dims(x), dims(y)
    if axis != -1 and axis + len(y_dims) < len(x_dims):
        trailing = len(x_dims) - axis - len(y_dims)
        shape = helper.const(np.array([0] * len(y_dims) + [1] * trailing, np.int64))
        y_dims = y_dims + [1] * trailing
        y = helper.append("Reshape", [y, shape], {}, [y_dims], [y.dtype])[0]
    (out,) = helper.append(op, [x, y], {}, [_broadcast(x_dims, y_dims)], [x.dtype])
    return helper.append_act(out, act)


def elementwise_add(x, y, axis=-1, act=None, name=None) -> Variable:
    return _elementwise("Add", x, y, axis, act, name)


def elementwise_sub(x, y, axis=-1, act=None, name=None) -> Variable:
    return _elementwise("Sub", x, y, axis, act, name)


def elementwise_mul(x, y, axis=-1, act=None, name=None) -> Variable:
    return _elementwise("Mul", x, y, axis, act, name)


def elementwise_div(x, y, axis=-1, act=None, name=None) -> Variable:
    return _elementwise("Div", x, y, axis, act, name)


def transpose(x: Variable, perm: Sequence[int], name=None) -> Variable:
    helper = LayerHelper("transpose", name)
    x_dims = dims(x)
    out_dims = [x_dims[p] for p in perm]
    return helper.append("Transpose", [x], {"perm": list(perm)}, [out_dims], [x.dtype])[0]


def matmul(x, y, transpose_x=False, transpose_y=False, alpha=1.0, name=None) -> Variable:
    """``alpha * op(x) @ op(y)`` where op transposes the last two dims when asked."""
    helper = LayerHelper("matmul", name)

    def swap_last(var: Variable) -> Variable:
        rank = len(dims(var))
        perm = list(range(rank - 2)) + [rank - 1, rank - 2]
        return transpose(var, perm)

    x = swap_last(x) if transpose_x else x
    y = swap_last(y) if transpose_y else y
    x_dims, y_dims = dims(x), dims(y)
    batch = _broadcast(x_dims[:-2], y_dims[:-2])
    (out,) = helper.append("MatMul", [x, y], {}, [batch + [x_dims[-2], y_dims[-1]]], [x.dtype])
    if alpha != 1.0:
        factor = helper.const(np.array(alpha, dtype=x.dtype))
        (out,) = helper.append("Mul", [out, factor], {}, [dims(out)], [x.dtype])
    return out


def scale(x, scale=1.0, bias=0.0, bias_after_scale=True, act=None, name=None) -> Variable:
    """``scale * x + bias`` (or ``scale * (x + bias)`` when ``bias_after_scale=False``)."""
    helper = LayerHelper("scale", name)
    factor = helper.const(np.array(scale, dtype=x.dtype))
    offset = helper.const(np.array(bias, dtype=x.dtype))
    shape = [dims(x)]
    if bias_after_scale:
        (out,) = helper.append("Mul", [x, factor], {}, shape, [x.dtype])
        (out,) = helper.append("Add", [out, offset], {}, shape, [x.dtype])
    else:
        (out,) = helper.append("Add", [x, offset], {}, shape, [x.dtype])
        (out,) = helper.append("Mul", [out, factor], {}, shape, [x.dtype])
    return helper.append_act(out, act)


def mean(x: Variable, name=None) -> Variable:
    """Mean of all elements (a scalar)."""
    helper = LayerHelper("mean", name)
    return helper.append("ReduceMean", [x], {"keepdims": 0}, [[]], [x.dtype])[0]


def reshape(x, shape, actual_shape=None, act=None, inplace=False, name=None) -> Variable:
    """0 copies the input's dim, -1 is inferred (same rules as ONNX Reshape)."""
    helper = LayerHelper("reshape2", name)
    x_dims = dims(x)
    out_dims = [x_dims[i] if d == 0 else (None if d == -1 else d) for i, d in enumerate(shape)]
    if -1 in shape and all(isinstance(d, int) for d in x_dims):
        known = int(np.prod([d for d in out_dims if d is not None]))
        out_dims[list(shape).index(-1)] = int(np.prod(x_dims)) // known
    target = helper.const(np.array(shape, np.int64))
    (out,) = helper.append("Reshape", [x, target], {}, [out_dims], [x.dtype])
    return helper.append_act(out, act)


def _prod(values: list):
    if all(isinstance(v, int) for v in values):
        return int(np.prod(values))
    return None


def flatten(x: Variable, axis: int = 1, name=None) -> Variable:
    """A 2-D ``[prod(dims[:axis]), prod(dims[axis:])]`` view of ``x``."""
    helper = LayerHelper("flatten2", name)
    x_dims = dims(x)
    head = x_dims[0] if axis == 1 else _prod(x_dims[:axis])
    out_dims = [head, _prod(x_dims[axis:])]
    return helper.append("Flatten", [x], {"axis": axis}, [out_dims], [x.dtype])[0]


def concat(input: Sequence[Variable], axis: int = 0, name=None) -> Variable:
    helper = LayerHelper("concat", name)
    all_dims = [dims(v) for v in input]
    out_dims = list(all_dims[0])
    rank_axis = axis % len(out_dims)
    parts = [d[rank_axis] for d in all_dims]
    out_dims[rank_axis] = sum(parts) if all(isinstance(p, int) for p in parts) else None
    return helper.append("Concat", list(input), {"axis": axis}, [out_dims], [input[0].dtype])[
        0
    ]


def _unary(op: str, layer: str, x: Variable, attrs: dict | None = None, name=None) -> Variable:
    helper = LayerHelper(layer, name)
    return helper.append(op, [x], attrs or {}, [dims(x)], [x.dtype])[0]


def relu(x, name=None) -> Variable:
    return _unary("Relu", "relu", x, name=name)


def sigmoid(x, name=None) -> Variable:
    return _unary("Sigmoid", "sigmoid", x, name=name)


def tanh(x, name=None) -> Variable:
    return _unary("Tanh", "tanh", x, name=name)


def softmax(input, use_cudnn=False, name=None, axis=-1) -> Variable:
    return _unary("Softmax", "softmax", input, {"axis": axis}, name=name)


def fill_constant(
    shape, dtype, value, force_cpu=False, out=None, name=None, block=None
) -> Variable:
    """A constant tensor (an initializer of the graph, so it is folded into saved models)."""
    program = block.program if block is not None else default_main_program()
    const = program.add_constant(np.full(shape, value, dtype=np.dtype(dtype)), prefix="fill")
    return program.add_variable(const, stop_gradient=True)
