"""Activations and other one-input element-wise ops.

    relu6(x)        → Clip(x, 0, threshold)
    hardswish(x)    → x * Clip(x + offset, 0, threshold) / scale (HardSwish for 3/6/6)
    hardsigmoid(x)  → HardSigmoid(x, alpha=slope, beta=offset)
    gelu(x)         → 0.5 x (1 + erf(x / sqrt 2)), or the tanh form when approximate
    swish/silu(x)   → x * Sigmoid(x)
    softmax(x)      → Softmax(x, axis)   (opset 13+ softmax is per-axis, as in Paddle)
"""

from __future__ import annotations

import math

from .registry import register

__all__ = ["unary", "relu6", "hardswish", "hardsigmoid", "gelu", "swish", "softmax",
           "leaky_relu"]

_UNARY = {"relu": "Relu", "sigmoid": "Sigmoid", "tanh": "Tanh", "exp": "Exp", "log": "Log",
          "sqrt": "Sqrt", "abs": "Abs", "erf": "Erf", "floor": "Floor", "ceil": "Ceil",
          "sin": "Sin", "cos": "Cos", "reciprocal": "Reciprocal", "assign": "Identity",
          "logical_not": "Not", "sign": "Sign", "softplus": "Softplus", "round": "Round"}


@register(*_UNARY, ins=("X",))
def unary(cx, op):
    return [cx.op(_UNARY[op.type], [op.inputs[0]])]


@register("rsqrt", ins=("X",))
def rsqrt(cx, op):
    return [cx.op("Reciprocal", [cx.op("Sqrt", [op.inputs[0]])])]


@register("relu6", ins=("X",))
def relu6(cx, op):
    dtype = op.dtype(0)
    threshold = float(op.attr("threshold", 6.0))
    return [cx.op("Clip", [op.inputs[0], cx.const(0.0, dtype), cx.const(threshold, dtype)])]


@register("hardswish", legacy="hard_swish", ins=("X",))
def hardswish(cx, op):
    x = op.inputs[0]
    offset = float(op.attr("offset", 3.0))
    threshold = float(op.attr("threshold", 6.0))
    scale = float(op.attr("scale", 6.0))
    if (offset, threshold, scale) == (3.0, 6.0, 6.0):
        return [cx.op("HardSwish", [x])]
    dtype = op.dtype(0)
    gate = cx.op("Clip", [cx.op("Add", [x, cx.const(offset, dtype)]), cx.const(0.0, dtype),
                          cx.const(threshold, dtype)])
    return [cx.op("Div", [cx.op("Mul", [x, gate]), cx.const(scale, dtype)])]


@register("hardsigmoid", legacy="hard_sigmoid", ins=("X",))
def hardsigmoid(cx, op):
    return [cx.op("HardSigmoid", [op.inputs[0]], {"alpha": float(op.attr("slope", 0.2)),
                                                  "beta": float(op.attr("offset", 0.5))})]


@register("gelu", ins=("X",))
def gelu(cx, op):
    x = op.inputs[0]
    dtype = op.dtype(0)
    if op.attr("approximate", False):
        cube = cx.op("Mul", [cx.op("Mul", [x, x]), x])
        inner = cx.op("Add", [x, cx.op("Mul", [cube, cx.const(0.044715, dtype)])])
        inner = cx.op("Mul", [inner, cx.const(math.sqrt(2.0 / math.pi), dtype)])
        gate = cx.op("Add", [cx.op("Tanh", [inner]), cx.const(1.0, dtype)])
    else:
        erf = cx.op("Erf", [cx.op("Div", [x, cx.const(math.sqrt(2.0), dtype)])])
        gate = cx.op("Add", [erf, cx.const(1.0, dtype)])
    return [cx.op("Mul", [cx.op("Mul", [x, gate]), cx.const(0.5, dtype)])]


@register("swish", "silu", ins=("X",))
def swish(cx, op):
    x = op.inputs[0]
    if float(op.attr("beta", 1.0)) != 1.0:
        raise op.unsupported("swish with beta != 1")
    return [cx.op("Mul", [x, cx.op("Sigmoid", [x])])]


@register("leaky_relu", ins=("X",))
def leaky_relu(cx, op):
    slope = op.attr("negative_slope", None) if op.fmt == "paddle-pir" else op.attr("alpha", None)
    return [cx.op("LeakyRelu", [op.inputs[0]], {"alpha": float(0.02 if slope is None else slope)})]


@register("softmax", ins=("X",))
def softmax(cx, op):
    return [cx.op("Softmax", [op.inputs[0]], {"axis": int(op.attr("axis", -1))})]
