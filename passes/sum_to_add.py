"""Sum elimination: an n-input ONNX Sum becomes Add nodes, which the CPU fast path fuses."""

from __future__ import annotations

import onnx_ir as ir

from ._rewrite import Match, RewriteRule, bypass, replace_node

__all__ = ["SumToAddPass"]


class SumToAddPass(RewriteRule):
    """``y = Sum(a, b)`` → ``y = Add(a, b)``; ``y = Sum(a, b, c, ...)`` →
    ``y = Add(Add(a, b), c)...``; ``y = Sum(a)`` → ``y = a``.

    Why: exporters (Caffe2, ResNet-50 of the ONNX zoo) write residual additions as Sum, which
    TVM 0.27 imports as ``broadcast_to`` + ``stack`` + ``sum``, a copy of both operands that
    the llvm fast path cannot fuse into the preceding convolution the way it fuses an Add
    (``compiler/cpu/offload.py``: conv + bias + residual + ReLU in one oneDNN call).

    Safe because Sum and Add share the same multidirectional broadcasting (opset 8+; before,
    both required equal shapes) and types, so two inputs give the identical single addition
    per element. With three or more inputs the chain adds left to right; the ONNX spec leaves
    Sum's order open, so this is exact up to float rounding (-O2). Refused for a Sum with an
    empty (omitted) input.
    """

    anchors = ("Sum",)

    def pattern(self, node: ir.Node) -> Match | None:
        return Match({"sum": node})

    def check(self, match: Match) -> str | None:
        node = match["sum"]
        if not node.inputs or any(value is None for value in node.inputs):
            return "an input is omitted"
        return None

    def rewrite(self, graph: ir.Graph, match: Match) -> None:
        node = match["sum"]
        inputs = list(node.inputs)
        if len(inputs) == 1:
            bypass(graph, node, inputs[0])
            return
        out = node.outputs[0]
        name = node.name or out.name
        adds, total = [], inputs[0]
        for index, operand in enumerate(inputs[1:], start=1):
            add = ir.node("Add", [total, operand], name=f"{name}_add{index}")
            add.outputs[0].name = f"{out.name}_partial{index}"
            add.outputs[0].dtype = out.dtype
            adds.append(add)
            total = add.outputs[0]
        total.shape = out.shape
        replace_node(graph, [node], adds, out, total)
