"""Reshape elimination: drop Reshapes to the input's own shape; merge Reshape pairs."""

from __future__ import annotations

import numpy as np
import onnx_ir as ir

from ._rewrite import (Match, RewriteRule, attr_int, bypass, const_array, is_onnx_op,
                       static_shape)

__all__ = ["ReshapeEliminationPass"]


def _resolve(shape: np.ndarray, source: tuple[int, ...], allowzero: bool) -> tuple[int, ...]:
    """``Reshape(x, shape)``'s output shape for a static ``x`` shape (0 copies, -1 infers)."""
    dims = [int(d) for d in shape]
    if not allowzero:
        dims = [source[i] if d == 0 else d for i, d in enumerate(dims)]
    if -1 in dims:
        known = int(np.prod([d for d in dims if d != -1]))
        dims[dims.index(-1)] = int(np.prod(source)) // known if known else 0
    return tuple(dims)


class ReshapeEliminationPass(RewriteRule):
    """Two rewrites around Reshape with a constant target shape ``s``:

    - ``y = Reshape(x, s)`` where ``s`` resolves to ``x``'s own static shape → ``y = x``
      (a Reshape never reorders data, so same shape means same tensor);
    - ``y = Reshape(Reshape(x, s1), s2)`` → ``y = Reshape(x, s2)`` when ``s2`` has no 0
      entries (a 0 would copy a dim of the intermediate, not of ``x``). The inner Reshape
      stays if it has other readers.
    """

    anchors = ("Reshape",)

    def pattern(self, node: ir.Node) -> Match | None:
        target = const_array(node.inputs[1])
        if target is None:
            return None
        return Match({"reshape": node}, {"target": target})

    def check(self, match: Match) -> str | None:
        node, target = match["reshape"], match["target"]
        inner = node.inputs[0].producer()
        allowzero = bool(attr_int(node, "allowzero", 0))
        if is_onnx_op(inner, "Reshape"):
            if 0 in target.tolist() and not allowzero:
                return "the outer shape copies a dim (0) from the intermediate"
            return None
        source = static_shape(node.inputs[0])
        if source is None:
            return "the input's shape is not static"
        if _resolve(target, source, allowzero) != source:
            return "the shape changes"
        return None

    def rewrite(self, graph: ir.Graph, match: Match) -> None:
        node = match["reshape"]
        inner = node.inputs[0].producer()
        if is_onnx_op(inner, "Reshape"):
            node.replace_input_with(0, inner.inputs[0])
            if not inner.outputs[0].uses() and not inner.outputs[0].is_graph_output():
                graph.remove(inner, safe=True)
            return
        bypass(graph, node, node.inputs[0])
