"""Transpose elimination: compose Transpose pairs; drop identity permutations."""

from __future__ import annotations

import onnx_ir as ir

from ._rewrite import Match, RewriteRule, bypass, is_onnx_op

__all__ = ["TransposeEliminationPass"]


def _perm(node: ir.Node) -> list[int] | None:
    attr = node.attributes.get("perm")
    if attr is not None:
        return list(attr.value)
    shape = node.inputs[0].shape
    return None if shape is None else list(range(len(shape)))[::-1]  # default: reverse


class TransposeEliminationPass(RewriteRule):
    """``y = Transpose(Transpose(x, p1), p2)`` → ``y = Transpose(x, q)`` with
    ``q[i] = p1[p2[i]]``, and ``y = Transpose(x, identity)`` → ``y = x``.

    Safe because transposes only move elements: two in a row are one permutation, and the
    identity permutation moves nothing. The inner Transpose stays if it has other readers.
    Refused when a permutation is implicit and the rank is unknown.
    """

    anchors = ("Transpose",)

    def pattern(self, node: ir.Node) -> Match | None:
        return Match({"transpose": node})

    def check(self, match: Match) -> str | None:
        node = match["transpose"]
        if _perm(node) is None:
            return "no perm attribute and unknown rank"
        inner = node.inputs[0].producer()
        if not is_onnx_op(inner, "Transpose"):
            if _perm(node) != list(range(len(_perm(node)))):
                return "a single Transpose that moves data"
            return None
        if _perm(inner) is None:
            return "the inner Transpose has no perm attribute and unknown rank"
        return None

    def rewrite(self, graph: ir.Graph, match: Match) -> None:
        node = match["transpose"]
        perm = _perm(node)
        inner = node.inputs[0].producer()
        if is_onnx_op(inner, "Transpose"):
            inner_perm = _perm(inner)
            perm = [inner_perm[i] for i in perm]
            node.replace_input_with(0, inner.inputs[0])
            node.attributes["perm"] = ir.AttrInt64s("perm", perm)
            if not inner.outputs[0].uses() and not inner.outputs[0].is_graph_output():
                graph.remove(inner, safe=True)
        if perm == list(range(len(perm))):
            bypass(graph, node, node.inputs[0])
