"""Dropout elimination: in inference mode Dropout is the identity."""

from __future__ import annotations

import onnx_ir as ir

from ._rewrite import Match, RewriteRule, attr_int, bypass, const_array

__all__ = ["DropoutEliminationPass"]


class DropoutEliminationPass(RewriteRule):
    """``y = Dropout(x)`` → readers of ``y`` read ``x``.

    Safe because ONNX defines Dropout outside training as ``y = x``: from opset 12 when the
    ``training_mode`` input is absent or a constant false, for opsets 7–11 always, before
    opset 7 when ``is_test=1``. Refused when the ``mask`` output is read (it would need a
    constant of x's shape) or when training mode is on or not known.
    """

    anchors = ("Dropout",)

    def pattern(self, node: ir.Node) -> Match | None:
        return Match({"dropout": node})

    def check(self, match: Match) -> str | None:
        node = match["dropout"]
        if len(node.outputs) > 1 and node.outputs[1].uses():
            return "the mask output is read"
        if node.outputs[1:] and node.outputs[1].is_graph_output():
            return "the mask output is a graph output"
        if "is_test" in node.attributes and attr_int(node, "is_test", 0) == 0:
            return "is_test=0 (training mode)"
        training = node.inputs[2] if len(node.inputs) > 2 else None
        if training is not None:
            flag = const_array(training)
            if flag is None:
                return "training_mode is not a constant"
            if bool(flag):
                return "training_mode is true"
        return None

    def rewrite(self, graph: ir.Graph, match: Match) -> None:
        node = match["dropout"]
        bypass(graph, node, node.inputs[0])
