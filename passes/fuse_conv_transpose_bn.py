"""ConvTranspose + BatchNormalization fusion: fold an inference-mode BN into the weights."""

from __future__ import annotations

import numpy as np
import onnx_ir as ir

from ._rewrite import (Match, RewriteRule, add_initializer, attr_int, const_array, is_onnx_op,
                       replace_node, sole_consumer)
from .fuse_conv_bn import batchnorm_affine, check_batchnorm

__all__ = ["FuseConvTransposeBatchNormPass"]


class FuseConvTransposeBatchNormPass(RewriteRule):
    """``y = BN(ConvTranspose(x, W, B), g, b, m, v)`` → ``y = ConvTranspose(x, W', B')``.

    ConvTranspose's weight is ``[C_in, C_out / group, k...]``, so output channel ``o = g *
    C_out/group + j`` lives on axis 1 of group ``g``'s slice: W is viewed as ``[group,
    C_in/group, C_out/group, k...]`` and scaled by ``s`` viewed as ``[group, 1,
    C_out/group, 1...]``; ``B' = (B - m) * s + b``. Safe for the same reason as the conv
    fusion: the BN is a per-channel affine map and the op is linear in W and B.
    """

    anchors = ("BatchNormalization",)

    def pattern(self, node: ir.Node) -> Match | None:
        conv = node.inputs[0].producer()
        if not is_onnx_op(conv, "ConvTranspose"):
            return None
        return Match({"conv": conv, "bn": node})

    def check(self, match: Match) -> str | None:
        conv, bn = match["conv"], match["bn"]
        if not sole_consumer(conv.outputs[0], bn):
            return "the conv-transpose output has another reader"
        if const_array(conv.inputs[1]) is None:
            return "the weight is not a constant"
        if len(conv.inputs) > 2 and conv.inputs[2] is not None and const_array(
                conv.inputs[2]) is None:
            return "the bias is not a constant"
        return check_batchnorm(bn)

    def rewrite(self, graph: ir.Graph, match: Match) -> None:
        conv, bn = match["conv"], match["bn"]
        weight = const_array(conv.inputs[1])
        group = attr_int(conv, "group", 1)
        scale, shift = batchnorm_affine(bn)
        out_per_group = weight.shape[1]
        grouped = weight.reshape((group, weight.shape[0] // group) + weight.shape[1:])
        factor = scale.reshape((group, 1, out_per_group) + (1,) * (weight.ndim - 2))
        new_weight = (grouped * factor).reshape(weight.shape)
        has_bias = len(conv.inputs) > 2 and conv.inputs[2] is not None
        bias = const_array(conv.inputs[2]) if has_bias else np.zeros(scale.shape)
        new_bias = bias.astype(np.float64) * scale + shift
        name = conv.name or conv.outputs[0].name
        w = add_initializer(graph, new_weight.astype(weight.dtype), f"{name}_bn_weight")
        b = add_initializer(graph, new_bias.astype(weight.dtype), f"{name}_bn_bias")
        fused = ir.node("ConvTranspose", [conv.inputs[0], w, b], attributes=conv.attributes,
                        name=conv.name)
        replace_node(graph, [conv, bn], [fused], bn.outputs[0], fused.outputs[0])
