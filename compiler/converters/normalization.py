"""Normalizations: LayerNormalization (all three outputs), RMSNormalization.

TVM 0.27 returns placeholder scalars for LayerNormalization's ``Mean`` and ``InvStdDev``
outputs (wrong results whenever a model reads them). Here they are computed, in the stash
type (float32 unless ``stash_type`` says otherwise), with the spec's shapes: the input
shape with the normalized dimensions set to 1.
"""

from __future__ import annotations

import numpy as np
from tvm import relax

from ._common import dtype_of, ndim, normalize_axes, shape_of, static_shape
from .registry import converter

__all__ = ["layer_normalization", "rms_normalization"]

_op = relax.op
_STASH = {1: "float32", 10: "float16", 11: "float64", 16: "bfloat16"}


def _stash_dtype(attrs: dict, dtype: str) -> str:
    return _STASH.get(int(attrs.get("stash_type", 1)), dtype)


def _normalized_axes(x, attrs) -> tuple[int, list[int], float, str, str]:
    """What Layer/RMSNormalization share: the first normalized axis, the axes
    [axis, rank), epsilon, X's dtype and the stash (computation) dtype."""
    rank = ndim(x)
    axis = normalize_axes([attrs.get("axis", -1)], rank)[0]
    dtype = dtype_of(x)
    return (axis, list(range(axis, rank)), float(attrs.get("epsilon", 1e-5)), dtype,
            _stash_dtype(attrs, dtype))


@converter("", "LayerNormalization", 17)
def layer_normalization(bb, inputs, attrs, ctx):
    """Y, Mean, InvStdDev = LayerNormalization(X, Scale, B?) over axes [axis, rank)."""
    x, scale = inputs[0], inputs[1]
    bias = inputs[2] if len(inputs) > 2 else None
    axis, axes, eps, dtype, stash = _normalized_axes(x, attrs)
    normalized = shape_of(x)[axis:]
    fused_ok = (ctx.num_outputs == 1 and stash == dtype
                and all(isinstance(d, int) for d in normalized)
                and static_shape(scale) == normalized
                and (bias is None or static_shape(bias) == normalized))
    if fused_ok:  # only Y is read: TVM's fused layer_norm (what BYOC patterns match)
        if bias is None:
            bias = relax.const(np.zeros(normalized, dtype), dtype)
        return _op.nn.layer_norm(x, scale, bias, axes, eps)
    xs = _op.astype(x, stash) if stash != dtype else x
    mean = _op.mean(xs, axes, keepdims=True)
    centered = _op.subtract(xs, mean)
    variance = _op.mean(_op.multiply(centered, centered), axes, keepdims=True)
    inv_std = _op.rsqrt(_op.add(variance, relax.const(np.array(eps, stash))))
    normalized = _op.multiply(centered, inv_std)
    if stash != dtype:
        normalized = _op.astype(normalized, dtype)
    y = _op.multiply(normalized, scale)
    if bias is not None:
        y = _op.add(y, bias)
    return relax.Tuple([y, mean, inv_std])


@converter("", "RMSNormalization", 23)
def rms_normalization(bb, inputs, attrs, ctx):
    """Y = X / sqrt(mean(X², axes [axis, rank)) + epsilon) * Scale, in the stash type."""
    x, scale = inputs[0], inputs[1]
    _, axes, eps, dtype, stash = _normalized_axes(x, attrs)
    xs = _op.astype(x, stash) if stash != dtype else x
    mean_square = _op.mean(_op.multiply(xs, xs), axes, keepdims=True)
    inv_rms = _op.rsqrt(_op.add(mean_square, relax.const(np.array(eps, stash))))
    normalized = _op.multiply(xs, inv_rms)
    if stash != dtype:
        normalized = _op.astype(normalized, dtype)
    return _op.multiply(normalized, scale)
