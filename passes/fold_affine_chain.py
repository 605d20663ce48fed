"""Fold a chain of Mul/Add by constants into one Mul and one Add (reassociates: -O3)."""

from __future__ import annotations

import numpy as np
import onnx_ir as ir

from ._rewrite import (Match, RewriteRule, add_initializer, const_array, is_onnx_op,
                       replace_node)

__all__ = ["FoldAffineChainPass"]

_FLOATS = {ir.DataType.FLOAT, ir.DataType.DOUBLE, ir.DataType.FLOAT16}


def _step(node: ir.Node | None) -> tuple[ir.Value, np.ndarray] | None:
    """``(x, c)`` when ``node`` is ``Mul(x, c)`` / ``Add(x, c)`` with one constant operand."""
    if not is_onnx_op(node, "Mul", "Add"):
        return None
    consts = [const_array(v) for v in node.inputs]
    if (consts[0] is None) == (consts[1] is None):
        return None
    side = 0 if consts[0] is None else 1
    return node.inputs[side], consts[1 - side]


def _keeps_shape(constant: np.ndarray, shape: ir.Shape | None) -> bool:
    """Broadcasting ``constant`` against a tensor of ``shape`` leaves the shape unchanged."""
    if shape is None or constant.ndim > len(shape):
        return False
    dims = list(shape.dims)[len(shape) - constant.ndim:]
    return all(c == 1 or c == d for c, d in zip(constant.shape, dims))


class FoldAffineChainPass(RewriteRule):
    """``y = Op_n(...Op_1(x, c_1)..., c_n)`` with every ``Op_i`` in {Mul, Add} and constant
    ``c_i`` → ``y = Add(Mul(x, S), T)``, where ``S = prod of the Mul constants`` and ``T``
    accumulates the Add constants scaled by the later Muls (computed in float64).

    Typical source: a BN turned into Mul+Add followed by a Caffe2 "scale" layer (Mul, Add),
    four elementwise ops that become two. Exact in real arithmetic, but it reassociates
    float operations, so it runs only at -O3. Refused when a constant would broadcast ``x``
    to a bigger shape, for non-float types, or when an inner result has other readers.
    """

    anchors = ("Mul", "Add")

    def pattern(self, node: ir.Node) -> Match | None:
        out = node.outputs[0]
        uses = out.uses()
        if len(uses) == 1 and not out.is_graph_output() and _step(uses[0].node) is not None:
            return None  # not the end of the chain: the reader anchors it
        chain = []
        current = node
        while (step := _step(current)) is not None:
            chain.append((current, step[1]))
            producer = step[0].producer()
            if producer is None or len(step[0].uses()) != 1 or step[0].is_graph_output():
                break
            current = producer
        if len(chain) <= len({step.op_type for step, _ in chain}):
            return None  # already one Mul and/or one Add: nothing to gain
        source = _step(chain[-1][0])[0]
        return Match({"last": node}, {"chain": chain[::-1], "x": source})

    def check(self, match: Match) -> str | None:
        x = match["x"]
        if x.dtype not in _FLOATS:
            return f"{x.dtype} is not a float type"
        if not all(_keeps_shape(c, x.shape) for _, c in match["chain"]):
            return "a constant would broadcast x to a bigger shape (or x's shape is unknown)"
        return None

    def rewrite(self, graph: ir.Graph, match: Match) -> None:
        scale, shift = np.ones(()), np.zeros(())
        for node, constant in match["chain"]:
            if node.op_type == "Mul":
                scale, shift = scale * constant, shift * constant
            else:
                shift = shift + constant
        x, last = match["x"], match["last"]
        kinds = {node.op_type for node, _ in match["chain"]}
        dtype = x.dtype.numpy()
        name = last.name or last.outputs[0].name
        nodes, current = [], x
        if "Mul" in kinds:
            s = add_initializer(graph, scale.astype(dtype), f"{name}_chain_scale")
            nodes.append(ir.node("Mul", [current, s], name=f"{name}_chain_mul"))
            current = nodes[-1].outputs[0]
            current.name = f"{name}_chain_scaled"
            current.dtype, current.shape = x.dtype, x.shape
        if "Add" in kinds:
            t = add_initializer(graph, shift.astype(dtype), f"{name}_chain_shift")
            nodes.append(ir.node("Add", [current, t], name=f"{name}_chain_add"))
        old = [node for node, _ in match["chain"]]
        replace_node(graph, old, nodes, last.outputs[0], nodes[-1].outputs[0])
