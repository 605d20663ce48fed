"""Conv + Add(constant) fusion: a per-channel constant added after a conv becomes its bias."""

from __future__ import annotations

import numpy as np
import onnx_ir as ir

from ._rewrite import (Match, RewriteRule, add_initializer, const_array, is_onnx_op,
                       replace_node, sole_consumer)

__all__ = ["FuseConvAddPass", "per_channel"]


def per_channel(addend: np.ndarray, rank: int, channels: int) -> np.ndarray | None:
    """``addend`` as a ``[channels]`` bias if it broadcasts along axis 1 only, else None."""
    if addend.ndim > rank:
        return None
    dims = (1,) * (rank - addend.ndim) + addend.shape
    if dims[0] != 1 or any(d != 1 for d in dims[2:]) or dims[1] not in (1, channels):
        return None
    return np.broadcast_to(addend.reshape(-1), (channels,))


class FuseConvAddPass(RewriteRule):
    """``y = Add(Conv(x, W, B), c)`` (either operand order) → ``y = Conv(x, W, B + c)`` when
    ``c`` is a constant that is a scalar or varies only along the channel axis
    (``[C]``-broadcastable as ``[1, C, 1, ...]``).

    Safe because Conv computes ``conv(x, W) + B`` with B broadcast per output channel, so a
    per-channel constant added afterwards is the same as a larger B (float rounding aside).
    Refused when the conv output has another reader, or ``c`` is not constant or varies
    along batch/spatial axes.
    """

    anchors = ("Add",)

    def pattern(self, node: ir.Node) -> Match | None:
        for conv_side in (0, 1):
            conv = node.inputs[conv_side].producer()
            if is_onnx_op(conv, "Conv"):
                return Match({"conv": conv, "add": node},
                             {"addend": node.inputs[1 - conv_side]})
        return None

    def check(self, match: Match) -> str | None:
        conv, add = match["conv"], match["add"]
        if not sole_consumer(conv.outputs[0], add):
            return "the conv output has another reader"
        weight = const_array(conv.inputs[1])
        addend = const_array(match["addend"])
        if weight is None or addend is None:
            return "the conv weight or the addend is not a constant"
        if len(conv.inputs) > 2 and conv.inputs[2] is not None and const_array(
                conv.inputs[2]) is None:
            return "the conv bias is not a constant"
        if per_channel(addend, weight.ndim, weight.shape[0]) is None:
            return f"the addend of shape {list(addend.shape)} is not per-channel"
        if addend.dtype != weight.dtype:
            return "the addend's type differs from the conv's"
        return None

    def rewrite(self, graph: ir.Graph, match: Match) -> None:
        conv, add = match["conv"], match["add"]
        weight = const_array(conv.inputs[1])
        addend = per_channel(const_array(match["addend"]), weight.ndim, weight.shape[0])
        has_bias = len(conv.inputs) > 2 and conv.inputs[2] is not None
        bias = const_array(conv.inputs[2]) if has_bias else np.zeros_like(addend)
        name = conv.name or conv.outputs[0].name
        b = add_initializer(graph, (bias + addend).astype(weight.dtype), f"{name}_add_bias")
        fused = ir.node("Conv", [conv.inputs[0], conv.inputs[1], b],
                        attributes=conv.attributes, name=conv.name)
        replace_node(graph, [conv, add], [fused], add.outputs[0], fused.outputs[0])
