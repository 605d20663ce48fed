"""``paddlec.train`` ops: state writes, gradient plumbing, initializers, optimizer updates.

Update rules follow Paddle 1.x's kernels (sgd, momentum, adam): see each function.
"""

from __future__ import annotations

import numpy as np

from . import register

__all__: list[str] = []

TRAIN = "paddlec.train"


@register("Assign", TRAIN)
def _assign(ctx, x):
    """``scope[target] = x`` after the run; the Executor applies it (no outputs)."""
    return ()


@register("FillOnesLike", TRAIN)
def _fill_ones_like(ctx, x):
    """The seed gradient d(loss)/d(loss)."""
    return (np.ones_like(x),)


@register("Sum", TRAIN)
def _sum(ctx, *xs):
    """Accumulates the gradient contributions of a value used by several nodes."""
    total = xs[0].copy()
    for x in xs[1:]:
        total += x
    return (total,)


@register("TruncatedNormal", TRAIN)
def _truncated_normal(ctx):
    seed = ctx.attr("seed")
    rng = np.random.default_rng(int(seed)) if seed is not None else ctx.rng
    mean, scale = ctx.attr("mean", 0.0), ctx.attr("scale", 1.0)
    values = rng.normal(mean, scale, ctx.attr("shape"))
    outside = np.abs(values - mean) > 2 * scale
    while outside.any():
        values[outside] = rng.normal(mean, scale, int(outside.sum()))
        outside = np.abs(values - mean) > 2 * scale
    import onnx_ir as ir

    return (values.astype(ir.DataType(ctx.attr("dtype", 1)).numpy()),)


@register("SGD", TRAIN)
def _sgd(ctx, param, grad, lr):
    """``param - lr * grad``."""
    step = lr.reshape(()) * ctx.attr("lr_factor", 1.0)
    return ((param - step * grad).astype(param.dtype),)


@register("Momentum", TRAIN)
def _momentum(ctx, param, grad, velocity, lr):
    """``v = mu * v + g``; ``param -= lr * v`` (Nesterov: ``param -= lr * (g + mu * v)``)."""
    mu = ctx.attr("mu", 0.9)
    step = lr.reshape(()) * ctx.attr("lr_factor", 1.0)
    velocity = mu * velocity + grad
    update = grad + mu * velocity if ctx.attr("use_nesterov", 0) else velocity
    return (param - step * update).astype(param.dtype), velocity.astype(param.dtype)


@register("Adam", TRAIN)
def _adam(ctx, param, grad, lr, moment1, moment2, beta1_pow, beta2_pow):
    """Paddle's adam: ``lr_t = lr * sqrt(1 - b2^t) / (1 - b1^t)``,
    ``param -= lr_t * m1 / (sqrt(m2) + eps * sqrt(1 - b2^t))``; the powers then advance."""
    beta1, beta2 = ctx.attr("beta1", 0.9), ctx.attr("beta2", 0.999)
    eps = ctx.attr("epsilon", 1e-8)
    lr_t = (
        lr.reshape(()) * ctx.attr("lr_factor", 1.0) * np.sqrt(1 - beta2_pow) / (1 - beta1_pow)
    )
    moment1 = beta1 * moment1 + (1 - beta1) * grad
    moment2 = beta2 * moment2 + (1 - beta2) * grad * grad
    param = param - lr_t * (moment1 / (np.sqrt(moment2) + eps * np.sqrt(1 - beta2_pow)))
    dtype = param.dtype
    return (
        param.astype(dtype),
        moment1.astype(dtype),
        moment2.astype(dtype),
        (beta1_pow * beta1).astype(beta1_pow.dtype),
        (beta2_pow * beta2).astype(beta2_pow.dtype),
    )
