"""Conv + BatchNormalization fusion: fold an inference-mode BN into the conv's W and B."""

from __future__ import annotations

import numpy as np
import onnx_ir as ir

from ._rewrite import (Match, RewriteRule, add_initializer, attr_float, attr_int, const_array,
                       is_onnx_op, replace_node, sole_consumer)

__all__ = ["FuseConvBatchNormPass", "batchnorm_affine", "batchnorm_scale_shift",
           "check_batchnorm"]


def check_batchnorm(bn: ir.Node) -> str | None:
    """Why ``bn`` is not a foldable inference-mode BN, or None when it is."""
    if any(const_array(v) is None for v in bn.inputs[1:5]):
        return "scale, bias, mean or variance is not a constant"
    if attr_int(bn, "training_mode", 0) or ("is_test" in bn.attributes
                                             and not attr_int(bn, "is_test", 0)):
        return "the BN is in training mode"
    if any(out.uses() or out.is_graph_output() for out in bn.outputs[1:]):
        return "running mean/variance outputs are read"
    if attr_int(bn, "spatial", 1) != 1:
        return "spatial=0 (per-element statistics)"
    return None


def batchnorm_scale_shift(gamma: np.ndarray, beta: np.ndarray, mean: np.ndarray,
                          var: np.ndarray, epsilon: float) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel ``(scale, shift)`` with ``BN(x) = x * scale + shift``, in float64.

    The one place the inference-BN algebra lives: the passes here and the TensorRT
    partitioner's Relax-level rewrite (``compiler/tensorrt/bn_to_affine.py``) both use it.
    """
    gamma, beta, mean, var = (np.asarray(a, dtype=np.float64)
                              for a in (gamma, beta, mean, var))
    scale = gamma / np.sqrt(var + float(epsilon))
    return scale, beta - mean * scale


def batchnorm_affine(bn: ir.Node) -> tuple[np.ndarray, np.ndarray]:
    """:func:`batchnorm_scale_shift` of a BatchNormalization node with constant parameters."""
    return batchnorm_scale_shift(*(const_array(v) for v in bn.inputs[1:5]),
                                 attr_float(bn, "epsilon", 1e-5))


class FuseConvBatchNormPass(RewriteRule):
    """``y = BN(Conv(x, W, B), g, b, m, v)`` → ``y = Conv(x, W * s, (B - m) * s + b)`` with
    ``s = g / sqrt(v + eps)`` broadcast over W's output-channel axis 0.

    Safe because inference-mode BN is a per-channel affine map and convolution is linear in
    W and B, so the result is identical up to float rounding (the fold is done in float64).
    Refused when the conv output has another reader (it would then need both versions), when
    W/B or a BN parameter is not constant, or when the BN is in training mode.
    """

    anchors = ("BatchNormalization",)

    def pattern(self, node: ir.Node) -> Match | None:
        conv = node.inputs[0].producer()
        if not is_onnx_op(conv, "Conv"):
            return None
        return Match({"conv": conv, "bn": node})

    def check(self, match: Match) -> str | None:
        conv, bn = match["conv"], match["bn"]
        if not sole_consumer(conv.outputs[0], bn):
            return "the conv output has another reader"
        if const_array(conv.inputs[1]) is None:
            return "the conv weight is not a constant"
        if len(conv.inputs) > 2 and conv.inputs[2] is not None and const_array(
                conv.inputs[2]) is None:
            return "the conv bias is not a constant"
        return check_batchnorm(bn)

    def rewrite(self, graph: ir.Graph, match: Match) -> None:
        conv, bn = match["conv"], match["bn"]
        weight = const_array(conv.inputs[1])
        scale, shift = batchnorm_affine(bn)
        has_bias = len(conv.inputs) > 2 and conv.inputs[2] is not None
        bias = const_array(conv.inputs[2]) if has_bias else np.zeros(weight.shape[0])
        new_weight = weight * scale.reshape((-1,) + (1,) * (weight.ndim - 1))
        new_bias = bias.astype(np.float64) * scale + shift
        name = conv.name or conv.outputs[0].name
        w = add_initializer(graph, new_weight.astype(weight.dtype), f"{name}_bn_weight")
        b = add_initializer(graph, new_bias.astype(weight.dtype), f"{name}_bn_bias")
        fused = ir.node("Conv", [conv.inputs[0], w, b], attributes=conv.attributes,
                        name=conv.name)
        replace_node(graph, [conv, bn], [fused], bn.outputs[0], fused.outputs[0])
