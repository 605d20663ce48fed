"""Cast elimination: a Cast to the type its input already has does nothing."""

from __future__ import annotations

import onnx_ir as ir

from ._rewrite import Match, RewriteRule, attr_int, bypass

__all__ = ["CastEliminationPass"]


class CastEliminationPass(RewriteRule):
    """``y = Cast(x, to=T)`` where ``x`` has element type ``T`` → readers of ``y`` read ``x``.

    Safe because a Cast to the same type returns its input unchanged (including NaN and
    saturation behavior, which only apply between different types). Refused when the
    input's type is not known.
    """

    anchors = ("Cast",)

    def pattern(self, node: ir.Node) -> Match | None:
        return Match({"cast": node})

    def check(self, match: Match) -> str | None:
        node = match["cast"]
        source = node.inputs[0].dtype
        if source is None:
            return "the input's element type is unknown"
        target = ir.DataType(attr_int(node, "to", 0))
        if source != target:
            return f"casts {source.name} to {target.name}"
        return None

    def rewrite(self, graph: ir.Graph, match: Match) -> None:
        node = match["cast"]
        bypass(graph, node, node.inputs[0])
