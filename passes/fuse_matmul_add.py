"""MatMul + Add → Gemm for 2-D operands (a fully connected layer)."""

from __future__ import annotations

import onnx_ir as ir

from ._rewrite import Match, RewriteRule, is_onnx_op, replace_node, sole_consumer

__all__ = ["FuseMatMulAddPass"]

_GEMM_TYPES = {ir.DataType.FLOAT, ir.DataType.DOUBLE, ir.DataType.FLOAT16,
               ir.DataType.BFLOAT16}


def _broadcasts_to(shape: ir.Shape, rows, cols) -> bool:
    """``shape`` is unidirectionally broadcastable to ``[rows, cols]`` (Gemm's rule for C)."""
    dims = [1] * (2 - len(shape)) + list(shape.dims)
    return len(dims) == 2 and all(d == 1 or d == want for d, want in zip(dims, (rows, cols)))


class FuseMatMulAddPass(RewriteRule):
    """``y = Add(MatMul(a, b), c)`` (either operand order) → ``y = Gemm(a, b, c)`` when ``a``
    and ``b`` are 2-D and ``c`` broadcasts to ``[M, N]``.

    Safe because Gemm with the default ``alpha = beta = 1`` and no transposes is exactly
    ``a @ b + c``. Refused for other ranks (MatMul batches over leading dims, Gemm does not),
    when ``c`` would have to broadcast the product itself (then ``y`` is bigger than
    ``a @ b``), for non-float types, or when the MatMul output has another reader.
    """

    anchors = ("Add",)

    def pattern(self, node: ir.Node) -> Match | None:
        for side in (0, 1):
            matmul = node.inputs[side].producer()
            if is_onnx_op(matmul, "MatMul"):
                return Match({"matmul": matmul, "add": node}, {"c": node.inputs[1 - side]})
        return None

    def check(self, match: Match) -> str | None:
        matmul, add, c = match["matmul"], match["add"], match["c"]
        a, b = matmul.inputs
        if a.shape is None or b.shape is None or c.shape is None:
            return "an operand's shape is unknown"
        if len(a.shape) != 2 or len(b.shape) != 2:
            return f"MatMul of rank {len(a.shape)} x {len(b.shape)} is not 2-D"
        if not _broadcasts_to(c.shape, a.shape[0], b.shape[1]):
            return f"the addend of shape {c.shape} does not broadcast to [M, N]"
        if a.dtype not in _GEMM_TYPES:
            return f"Gemm does not take {a.dtype}"
        if not sole_consumer(matmul.outputs[0], add):
            return "the MatMul output has another reader"
        return None

    def rewrite(self, graph: ir.Graph, match: Match) -> None:
        matmul, add = match["matmul"], match["add"]
        gemm = ir.node("Gemm", [*matmul.inputs, match["c"]], name=matmul.name)
        replace_node(graph, [matmul, add], [gemm], add.outputs[0], gemm.outputs[0])
