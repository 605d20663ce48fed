"""Conv + Mul(constant) fusion: a per-channel constant scale after a conv goes into W and B."""

from __future__ import annotations

import numpy as np
import onnx_ir as ir

from ._rewrite import (Match, RewriteRule, add_initializer, const_array, is_onnx_op,
                       replace_node, sole_consumer)
from .fuse_conv_add import per_channel

__all__ = ["FuseConvMulPass"]


class FuseConvMulPass(RewriteRule):
    """``y = Mul(Conv(x, W, B), c)`` (either operand order) → ``y = Conv(x, W * c, B * c)``
    when ``c`` is a constant scalar or ``[1, C, 1, ...]``-broadcastable per-channel vector
    (``c`` scales W along its output-channel axis 0).

    Safe because the conv is linear: scaling output channel ``o`` by ``c[o]`` equals scaling
    that channel's filter and bias (float rounding aside). This is the Caffe2 "scale" layer
    that follows a BN in the ONNX light models (Inception v2). Refused when the conv output
    has another reader or ``c`` is not constant or varies along batch/spatial axes.
    """

    anchors = ("Mul",)

    def pattern(self, node: ir.Node) -> Match | None:
        for conv_side in (0, 1):
            conv = node.inputs[conv_side].producer()
            if is_onnx_op(conv, "Conv"):
                return Match({"conv": conv, "mul": node},
                             {"factor": node.inputs[1 - conv_side]})
        return None

    def check(self, match: Match) -> str | None:
        conv, mul = match["conv"], match["mul"]
        if not sole_consumer(conv.outputs[0], mul):
            return "the conv output has another reader"
        weight = const_array(conv.inputs[1])
        factor = const_array(match["factor"])
        if weight is None or factor is None:
            return "the conv weight or the factor is not a constant"
        if len(conv.inputs) > 2 and conv.inputs[2] is not None and const_array(
                conv.inputs[2]) is None:
            return "the conv bias is not a constant"
        if per_channel(factor, weight.ndim, weight.shape[0]) is None:
            return f"the factor of shape {list(factor.shape)} is not per-channel"
        if factor.dtype != weight.dtype:
            return "the factor's type differs from the conv's"
        return None

    def rewrite(self, graph: ir.Graph, match: Match) -> None:
        conv, mul = match["conv"], match["mul"]
        weight = const_array(conv.inputs[1])
        factor = per_channel(const_array(match["factor"]), weight.ndim, weight.shape[0])
        name = conv.name or conv.outputs[0].name
        view = factor.reshape((-1,) + (1,) * (weight.ndim - 1))
        inputs = [conv.inputs[0],
                  add_initializer(graph, (weight * view).astype(weight.dtype),
                                  f"{name}_mul_weight")]
        if len(conv.inputs) > 2 and conv.inputs[2] is not None:
            bias = const_array(conv.inputs[2]) * factor
            bias_value = add_initializer(graph, bias.astype(weight.dtype), f"{name}_mul_bias")
            inputs.append(bias_value)
        fused = ir.node("Conv", inputs, attributes=conv.attributes, name=conv.name)
        replace_node(graph, [conv, mul], [fused], mul.outputs[0], fused.outputs[0])
