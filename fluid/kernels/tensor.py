"""Shape ops, reductions, gathers and tensor generators (forward + gradient)."""

from __future__ import annotations

import numpy as np
import onnx_ir as ir

from . import register, register_grad

__all__: list[str] = []


def _reshape_target(x: np.ndarray, shape: np.ndarray) -> list[int]:
    """ONNX Reshape (allowzero=0): 0 copies the input dim, -1 is inferred."""
    return [x.shape[i] if d == 0 else int(d) for i, d in enumerate(shape)]


@register("Reshape")
def _reshape(ctx, x, shape):
    return (x.reshape(_reshape_target(x, shape)),)


@register("Flatten")
def _flatten(ctx, x):
    axis = ctx.attr("axis", 1)
    axis = axis + x.ndim if axis < 0 else axis
    return (x.reshape(int(np.prod(x.shape[:axis])), -1),)


@register_grad("Reshape")
@register_grad("Flatten")
def _reshape_grad(ctx, inputs, outputs, douts):
    return [douts[0].reshape(inputs[0].shape), None]


@register("Transpose")
def _transpose(ctx, x):
    perm = ctx.attr("perm") or list(reversed(range(x.ndim)))
    return (np.transpose(x, perm),)


@register_grad("Transpose")
def _transpose_grad(ctx, inputs, outputs, douts):
    perm = ctx.attr("perm") or list(reversed(range(inputs[0].ndim)))
    return [np.transpose(douts[0], np.argsort(perm))]


@register("Concat")
def _concat(ctx, *xs):
    return (np.concatenate(xs, axis=ctx.attr("axis")),)


@register_grad("Concat")
def _concat_grad(ctx, inputs, outputs, douts):
    axis = ctx.attr("axis")
    bounds = np.cumsum([x.shape[axis] for x in inputs])[:-1]
    return np.split(douts[0], bounds, axis=axis)


@register("GatherElements")
def _gather_elements(ctx, data, indices):
    axis = ctx.attr("axis", 0)
    indices = np.where(indices < 0, indices + data.shape[axis], indices)
    return (np.take_along_axis(data, indices, axis=axis),)


@register_grad("GatherElements")
def _gather_elements_grad(ctx, inputs, outputs, douts):
    data, indices = inputs
    axis = ctx.attr("axis", 0)
    indices = np.where(indices < 0, indices + data.shape[axis], indices)
    grad = np.zeros_like(data)
    index = list(np.indices(indices.shape, sparse=True))
    index[axis] = indices
    np.add.at(grad, tuple(index), douts[0])
    return [grad, None]


def _axes(ctx, x, axes_input=None):
    axes = ctx.attr("axes") if axes_input is None else [int(a) for a in axes_input]
    if not axes:
        return tuple(range(x.ndim))
    return tuple(a % x.ndim for a in axes)


@register("ReduceMean")
def _reduce_mean(ctx, x):
    return (np.mean(x, axis=_axes(ctx, x), keepdims=bool(ctx.attr("keepdims", 1))),)


@register_grad("ReduceMean")
def _reduce_mean_grad(ctx, inputs, outputs, douts):
    x = inputs[0]
    axes = _axes(ctx, x)
    count = int(np.prod([x.shape[a] for a in axes]))
    dy = douts[0] if ctx.attr("keepdims", 1) else np.expand_dims(douts[0], axes)
    return [np.broadcast_to(dy / count, x.shape).astype(x.dtype)]


@register("ReduceSum")
def _reduce_sum(ctx, x, axes=None):
    return (np.sum(x, axis=_axes(ctx, x, axes), keepdims=bool(ctx.attr("keepdims", 1))),)


@register_grad("ReduceSum")
def _reduce_sum_grad(ctx, inputs, outputs, douts):
    x = inputs[0]
    axes = _axes(ctx, x, inputs[1] if len(inputs) > 1 else None)
    dy = douts[0] if ctx.attr("keepdims", 1) else np.expand_dims(douts[0], axes)
    return [np.broadcast_to(dy, x.shape).astype(x.dtype), None]


@register("ReduceMax")
def _reduce_max(ctx, x):
    return (np.max(x, axis=_axes(ctx, x), keepdims=bool(ctx.attr("keepdims", 1))),)


@register("TopK")
def _topk(ctx, x, k):
    axis = ctx.attr("axis", -1)
    order = np.argsort(-x, axis=axis, kind="stable")
    indices = np.take(order, np.arange(int(k[0])), axis=axis)
    return np.take_along_axis(x, indices, axis=axis), indices.astype(np.int64)


@register("ConstantOfShape")
def _constant_of_shape(ctx, shape):
    value = ctx.attr("value")
    fill = value.numpy() if value is not None else np.zeros(1, np.float32)
    return (np.full([int(d) for d in shape], fill.reshape(-1)[0], dtype=fill.dtype),)


def _seeded(ctx) -> np.random.Generator:
    seed = ctx.attr("seed")
    return np.random.default_rng(int(seed)) if seed is not None else ctx.rng


def _dtype(ctx):
    return ir.DataType(ctx.attr("dtype", 1)).numpy()


@register("RandomUniform")
def _random_uniform(ctx):
    values = _seeded(ctx).uniform(
        ctx.attr("low", 0.0), ctx.attr("high", 1.0), ctx.attr("shape")
    )
    return (values.astype(_dtype(ctx)),)


@register("RandomNormal")
def _random_normal(ctx):
    values = _seeded(ctx).normal(
        ctx.attr("mean", 0.0), ctx.attr("scale", 1.0), ctx.attr("shape")
    )
    return (values.astype(_dtype(ctx)),)
