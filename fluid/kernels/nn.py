"""Convolution, pooling, batch normalization and dropout (forward + gradient), NCHW.

Convolution and pooling gather kernel windows with one strided slice per kernel tap (kh*kw
slices, each a whole-batch array op), so the Python overhead is per tap, not per pixel; a
convolution is then one batched matmul per group.
"""

from __future__ import annotations

import numpy as np

from . import register, register_grad

__all__: list[str] = []


def _geometry(ctx, x, kernel):
    kh, kw = kernel
    sh, sw = ctx.attr("strides") or [1, 1]
    dh, dw = ctx.attr("dilations") or [1, 1]
    top, left, bottom, right = ctx.attr("pads") or [0, 0, 0, 0]
    height, width = x.shape[2] + top + bottom, x.shape[3] + left + right
    oh = (height - dh * (kh - 1) - 1) // sh + 1
    ow = (width - dw * (kw - 1) - 1) // sw + 1
    if ctx.attr("ceil_mode"):
        oh = -(-(height - dh * (kh - 1) - 1) // sh) + 1
        ow = -(-(width - dw * (kw - 1) - 1) // sw) + 1
    extra_h = max((oh - 1) * sh + dh * (kh - 1) + 1 - height, 0)
    extra_w = max((ow - 1) * sw + dw * (kw - 1) + 1 - width, 0)
    pads = ((0, 0), (0, 0), (top, bottom + extra_h), (left, right + extra_w))
    return (kh, kw), (sh, sw), (dh, dw), pads, (oh, ow)


def _windows(xp, kernel, strides, dilations, out_hw):
    """``[N, C, kh, kw, oh, ow]``: every kernel tap's view of the padded input."""
    (kh, kw), (sh, sw), (dh, dw), (oh, ow) = kernel, strides, dilations, out_hw
    n, c = xp.shape[:2]
    cols = np.empty((n, c, kh, kw, oh, ow), dtype=xp.dtype)
    for i in range(kh):
        for j in range(kw):
            cols[:, :, i, j] = xp[
                :,
                :,
                i * dh : i * dh + sh * (oh - 1) + 1 : sh,
                j * dw : j * dw + sw * (ow - 1) + 1 : sw,
            ]
    return cols


def _input_windows(ctx, x, kernel, strides, dilations, pads, out_hw, fill=0.0):
    """``_windows`` of ``x`` padded with ``fill``, computed once per run (forward and
    gradient of the same node, or two pools of one input, share it)."""
    key = ("windows", id(x), kernel, strides, dilations, pads, out_hw, fill)
    if key not in ctx.memo:
        padded = np.pad(x, pads, constant_values=fill)
        ctx.memo[key] = _windows(padded, kernel, strides, dilations, out_hw)
    return ctx.memo[key]


def _scatter_windows(cols, padded_shape, strides, dilations):
    """The adjoint of ``_windows``: add every tap's values back into a padded input."""
    n, c, kh, kw, oh, ow = cols.shape
    (sh, sw), (dh, dw) = strides, dilations
    out = np.zeros(padded_shape, dtype=cols.dtype)
    for i in range(kh):
        for j in range(kw):
            out[
                :,
                :,
                i * dh : i * dh + sh * (oh - 1) + 1 : sh,
                j * dw : j * dw + sw * (ow - 1) + 1 : sw,
            ] += cols[:, :, i, j]
    return out


def _unpad(xp, pads, shape):
    return xp[:, :, pads[2][0] : pads[2][0] + shape[2], pads[3][0] : pads[3][0] + shape[3]]


@register("Conv")
def _conv(ctx, x, w, b=None):
    groups = ctx.attr("group", 1)
    kernel, strides, dilations, pads, (oh, ow) = _geometry(ctx, x, w.shape[2:])
    cols = _input_windows(ctx, x, kernel, strides, dilations, pads, (oh, ow))
    n = x.shape[0]
    m = w.shape[0]
    cols = cols.reshape(n, groups, -1, oh * ow)
    weights = w.reshape(groups, m // groups, -1)
    y = np.matmul(weights[None], cols).reshape(n, m, oh, ow)
    if b is not None:
        y = y + b.reshape(1, -1, 1, 1)
    return (y,)


@register_grad("Conv")
def _conv_grad(ctx, inputs, outputs, douts):
    x, w = inputs[:2]
    groups = ctx.attr("group", 1)
    kernel, strides, dilations, pads, (oh, ow) = _geometry(ctx, x, w.shape[2:])
    n, m = x.shape[0], w.shape[0]
    dy = douts[0].reshape(n, groups, m // groups, oh * ow)
    grads = [None, None, None]
    if ctx.need[1]:
        cols = _input_windows(ctx, x, kernel, strides, dilations, pads, (oh, ow))
        cols = cols.reshape(n, groups, -1, oh * ow)
        grads[1] = np.matmul(dy, np.swapaxes(cols, -1, -2)).sum(axis=0).reshape(w.shape)
    if ctx.need[0]:
        weights = w.reshape(groups, m // groups, -1)
        dcols = np.matmul(np.swapaxes(weights, -1, -2)[None], dy)
        dcols = dcols.reshape(n, x.shape[1], kernel[0], kernel[1], oh, ow)
        padded = (n, x.shape[1]) + tuple(x.shape[d] + sum(pads[d]) for d in (2, 3))
        grads[0] = _unpad(_scatter_windows(dcols, padded, strides, dilations), pads, x.shape)
    if len(inputs) > 2 and ctx.need[2]:
        grads[2] = douts[0].sum(axis=(0, 2, 3))
    return grads[: len(inputs)]


def _pool_windows(ctx, x, fill):
    kernel, strides, dilations, pads, out_hw = _geometry(ctx, x, ctx.attr("kernel_shape"))
    cols = _input_windows(ctx, x, kernel, strides, dilations, pads, out_hw, fill)
    return cols, (kernel, strides, dilations, pads)


@register("MaxPool")
def _max_pool(ctx, x):
    cols, _ = _pool_windows(ctx, x, -np.inf)
    return (cols.max(axis=(2, 3)),)


@register_grad("MaxPool")
def _max_pool_grad(ctx, inputs, outputs, douts):
    x = inputs[0]
    cols, (kernel, strides, dilations, pads) = _pool_windows(ctx, x, -np.inf)
    n, c, kh, kw, oh, ow = cols.shape
    flat = cols.reshape(n, c, kh * kw, oh, ow)
    first_max = np.argmax(flat, axis=2)  # ties: the first tap gets the gradient
    routed = np.arange(kh * kw).reshape(1, 1, -1, 1, 1) == first_max[:, :, None]
    dcols = (routed * douts[0][:, :, None]).reshape(cols.shape).astype(x.dtype)
    padded = (n, c) + tuple(x.shape[d] + sum(pads[d]) for d in (2, 3))
    return [_unpad(_scatter_windows(dcols, padded, strides, dilations), pads, x.shape)]


def _avg_counts(ctx, x):
    """Per-output divisor: real elements under the window (plus explicit padding when
    ``count_include_pad``); ceil-mode overhang never counts."""
    kernel, strides, dilations, pads, out_hw = _geometry(ctx, x, ctx.attr("kernel_shape"))
    ones = np.ones((1, 1) + x.shape[2:], dtype=x.dtype)
    if ctx.attr("count_include_pad", 0):
        top, left, bottom, right = ctx.attr("pads") or [0, 0, 0, 0]
        ones = np.pad(ones, ((0, 0), (0, 0), (top, bottom), (left, right)), constant_values=1)
        pads = ((0, 0), (0, 0), (0, pads[2][1] - bottom), (0, pads[3][1] - right))
    cols = _windows(np.pad(ones, pads), kernel, strides, dilations, out_hw)
    return cols.sum(axis=(2, 3))


@register("AveragePool")
def _avg_pool(ctx, x):
    cols, _ = _pool_windows(ctx, x, 0.0)
    return ((cols.sum(axis=(2, 3)) / _avg_counts(ctx, x)).astype(x.dtype),)


@register_grad("AveragePool")
def _avg_pool_grad(ctx, inputs, outputs, douts):
    x = inputs[0]
    cols, (kernel, strides, dilations, pads) = _pool_windows(ctx, x, 0.0)
    share = douts[0] / _avg_counts(ctx, x)
    dcols = np.broadcast_to(share[:, :, None, None], cols.shape).astype(x.dtype)
    padded = x.shape[:2] + tuple(x.shape[d] + sum(pads[d]) for d in (2, 3))
    return [_unpad(_scatter_windows(dcols, padded, strides, dilations), pads, x.shape)]


@register("GlobalAveragePool")
def _global_avg(ctx, x):
    return (x.mean(axis=tuple(range(2, x.ndim)), keepdims=True),)


@register_grad("GlobalAveragePool")
def _global_avg_grad(ctx, inputs, outputs, douts):
    x = inputs[0]
    count = int(np.prod(x.shape[2:]))
    return [np.broadcast_to(douts[0] / count, x.shape).astype(x.dtype)]


@register("GlobalMaxPool")
def _global_max(ctx, x):
    return (x.max(axis=tuple(range(2, x.ndim)), keepdims=True),)


@register_grad("GlobalMaxPool")
def _global_max_grad(ctx, inputs, outputs, douts):
    x = inputs[0]
    flat = x.reshape(x.shape[0], x.shape[1], -1)
    grad = np.zeros_like(flat)
    index = np.argmax(flat, axis=2)
    np.put_along_axis(grad, index[:, :, None], douts[0].reshape(x.shape[0], x.shape[1], 1), 2)
    return [grad.reshape(x.shape)]


def _bn_axes(x):
    return (0,) + tuple(range(2, x.ndim))


def _channel(v, x):
    return v.reshape((1, -1) + (1,) * (x.ndim - 2))


@register("BatchNormalization")
def _batch_norm(ctx, x, scale, bias, mean, var):
    eps = ctx.attr("epsilon", 1e-5)
    if not ctx.attr("training_mode", 0):
        inv = 1.0 / np.sqrt(var + eps)
        return ((x - _channel(mean, x)) * _channel(inv * scale, x) + _channel(bias, x),)
    momentum = ctx.attr("momentum", 0.9)
    axes = _bn_axes(x)
    batch_mean, batch_var = x.mean(axis=axes), x.var(axis=axes)
    inv = 1.0 / np.sqrt(batch_var + eps)
    y = (x - _channel(batch_mean, x)) * _channel(inv * scale, x) + _channel(bias, x)
    running_mean = mean * momentum + batch_mean * (1 - momentum)
    running_var = var * momentum + batch_var * (1 - momentum)
    return y.astype(x.dtype), running_mean.astype(x.dtype), running_var.astype(x.dtype)


@register_grad("BatchNormalization")
def _batch_norm_grad(ctx, inputs, outputs, douts):
    x, scale, _, mean, var = inputs
    dy = douts[0]
    eps = ctx.attr("epsilon", 1e-5)
    axes = _bn_axes(x)
    if ctx.attr("training_mode", 0):
        mean, var = x.mean(axis=axes), x.var(axis=axes)
    inv = 1.0 / np.sqrt(var + eps)
    xhat = (x - _channel(mean, x)) * _channel(inv, x)
    dscale = (dy * xhat).sum(axis=axes)
    dbias = dy.sum(axis=axes)
    dx = None
    if ctx.need[0]:
        dxhat = dy * _channel(scale, x)
        if ctx.attr("training_mode", 0):
            count = x.size // x.shape[1]
            dx = _channel(inv / count, x) * (
                count * dxhat
                - dxhat.sum(axis=axes, keepdims=True)
                - xhat * (dxhat * xhat).sum(axis=axes, keepdims=True)
            )
        else:
            dx = dxhat * _channel(inv, x)
    return [dx, dscale, dbias, None, None]


@register("Dropout")
def _dropout(ctx, x, ratio=None, training=None):
    ratio = float(ratio) if ratio is not None else 0.5
    if training is None or not bool(training) or ratio == 0.0:
        return x, np.ones(x.shape, dtype=bool)
    seed = ctx.attr("seed")
    rng = np.random.default_rng(seed) if seed is not None else ctx.rng
    mask = rng.random(x.shape) >= ratio
    return (x * mask / (1.0 - ratio)).astype(x.dtype), mask


@register_grad("Dropout")
def _dropout_grad(ctx, inputs, outputs, douts):
    ratio = float(inputs[1]) if inputs[1] is not None else 0.5
    training = inputs[2] is not None and bool(inputs[2])
    if not training or ratio == 0.0:
        return [douts[0], None, None]
    return [(douts[0] * outputs[1] / (1.0 - ratio)).astype(inputs[0].dtype), None, None]
