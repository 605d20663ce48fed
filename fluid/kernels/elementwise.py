"""Elementwise arithmetic, MatMul and activations (forward + gradient)."""

from __future__ import annotations

import numpy as np

from . import register, register_grad, unbroadcast

__all__: list[str] = []


@register("Add")
def _add(ctx, a, b):
    return (a + b,)


@register("Sub")
def _sub(ctx, a, b):
    return (a - b,)


@register("Mul")
def _mul(ctx, a, b):
    return (a * b,)


@register("Div")
def _div(ctx, a, b):
    return (a / b,)


@register_grad("Add")
def _add_grad(ctx, inputs, outputs, douts):
    dy = douts[0]
    return [unbroadcast(dy, inputs[0].shape), unbroadcast(dy, inputs[1].shape)]


@register_grad("Sub")
def _sub_grad(ctx, inputs, outputs, douts):
    dy = douts[0]
    return [unbroadcast(dy, inputs[0].shape), unbroadcast(-dy, inputs[1].shape)]


@register_grad("Mul")
def _mul_grad(ctx, inputs, outputs, douts):
    a, b = inputs
    dy = douts[0]
    return [
        unbroadcast(dy * b, a.shape) if ctx.need[0] else None,
        unbroadcast(dy * a, b.shape) if ctx.need[1] else None,
    ]


@register_grad("Div")
def _div_grad(ctx, inputs, outputs, douts):
    a, b = inputs
    dy = douts[0]
    return [
        unbroadcast(dy / b, a.shape) if ctx.need[0] else None,
        unbroadcast(-dy * a / (b * b), b.shape) if ctx.need[1] else None,
    ]


@register("MatMul")
def _matmul(ctx, a, b):
    return (np.matmul(a, b),)


@register_grad("MatMul")
def _matmul_grad(ctx, inputs, outputs, douts):
    a, b = inputs
    dy = douts[0]
    da = unbroadcast(np.matmul(dy, np.swapaxes(b, -1, -2)), a.shape) if ctx.need[0] else None
    db = unbroadcast(np.matmul(np.swapaxes(a, -1, -2), dy), b.shape) if ctx.need[1] else None
    return [da, db]


@register("Relu")
def _relu(ctx, x):
    return (np.maximum(x, 0).astype(x.dtype, copy=False),)


@register_grad("Relu")
def _relu_grad(ctx, inputs, outputs, douts):
    return [douts[0] * (inputs[0] > 0)]


@register("Sigmoid")
def _sigmoid(ctx, x):
    return ((1.0 / (1.0 + np.exp(-x))).astype(x.dtype, copy=False),)


@register_grad("Sigmoid")
def _sigmoid_grad(ctx, inputs, outputs, douts):
    y = outputs[0]
    return [douts[0] * y * (1 - y)]


@register("Tanh")
def _tanh(ctx, x):
    return (np.tanh(x),)


@register_grad("Tanh")
def _tanh_grad(ctx, inputs, outputs, douts):
    y = outputs[0]
    return [douts[0] * (1 - y * y)]


@register("Softmax")
def _softmax(ctx, x):
    axis = ctx.attr("axis", -1)
    shifted = np.exp(x - x.max(axis=axis, keepdims=True))
    return (shifted / shifted.sum(axis=axis, keepdims=True),)


@register_grad("Softmax")
def _softmax_grad(ctx, inputs, outputs, douts):
    y, dy = outputs[0], douts[0]
    axis = ctx.attr("axis", -1)
    return [y * (dy - (dy * y).sum(axis=axis, keepdims=True))]


@register("Log")
def _log(ctx, x):
    return (np.log(x),)


@register_grad("Log")
def _log_grad(ctx, inputs, outputs, douts):
    return [douts[0] / inputs[0]]


@register("Neg")
def _neg(ctx, x):
    return (-x,)


@register_grad("Neg")
def _neg_grad(ctx, inputs, outputs, douts):
    return [-douts[0]]


@register("Identity")
def _identity(ctx, x):
    return (x,)


@register_grad("Identity")
def _identity_grad(ctx, inputs, outputs, douts):
    return [douts[0]]


@register("Equal")
def _equal(ctx, a, b):
    return (np.equal(a, b),)


@register("Cast")
def _cast(ctx, x):
    import onnx_ir as ir

    return (x.astype(ir.DataType(ctx.attr("to")).numpy()),)
