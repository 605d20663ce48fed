"""Fold transposes and scalar scales into Gemm attributes or constant MatMul weights."""

from __future__ import annotations

import onnx_ir as ir

from ._rewrite import (Match, RewriteRule, add_initializer, attr_float, attr_int, const_array,
                       is_onnx_op, replace_node, sole_consumer)

__all__ = ["FoldMatMulTransposeScalePass"]


def _scalar(value: ir.Value) -> float | None:
    array = const_array(value)
    return float(array.reshape(())) if array is not None and array.size == 1 else None


def _swapped_2d(node: ir.Node | None) -> bool:
    """``node`` is a Transpose of a 2-D tensor (perm absent or [1, 0])."""
    if not is_onnx_op(node, "Transpose"):
        return False
    perm = node.attributes.get("perm")
    rank = len(node.inputs[0].shape) if node.inputs[0].shape is not None else None
    return (perm is None and rank == 2) or (perm is not None and list(perm.value) == [1, 0])


class FoldMatMulTransposeScalePass(RewriteRule):
    """Three rewrites around matrix products (Paddle's matmul transpose/scale fusions):

    - ``y = Gemm(Transpose(a), b)`` → ``y = Gemm(a, b, transA=1-transA)``, same for ``b``;
    - ``y = Gemm(Mul(a, s), b)`` with a constant scalar ``s`` (either operand) →
      ``y = Gemm(a, b, alpha=alpha*s)``;
    - ``y = Mul(MatMul(a, W), s)`` with constant ``W`` and scalar ``s`` →
      ``y = MatMul(a, W*s)`` (the scale is folded into the weight once, at compile time).

    Safe because a 2-D transpose is exactly what ``transA``/``transB`` express, and scalar
    multiplication commutes with the (bi)linear product, up to float rounding. The Transpose
    or Mul stays if it has other readers.
    """

    anchors = ("Gemm", "Mul")

    def pattern(self, node: ir.Node) -> Match | None:
        if node.op_type == "Gemm":
            for idx in (0, 1):
                producer = node.inputs[idx].producer()
                if _swapped_2d(producer):
                    return Match({"gemm": node, "producer": producer}, {"idx": idx,
                                                                       "kind": "transpose"})
                if is_onnx_op(producer, "Mul"):
                    return Match({"gemm": node, "producer": producer}, {"idx": idx,
                                                                       "kind": "scale"})
            return None
        for side in (0, 1):
            matmul = node.inputs[side].producer()
            if is_onnx_op(matmul, "MatMul"):
                return Match({"matmul": matmul, "mul": node},
                             {"s": node.inputs[1 - side], "kind": "weight"})
        return None

    def check(self, match: Match) -> str | None:
        if match["kind"] == "transpose":
            return None
        if match["kind"] == "scale":
            mul = match["producer"]
            if all(_scalar(v) is None for v in mul.inputs):
                return "the Mul before the Gemm is not by a constant scalar"
            return None
        matmul = match["matmul"]
        if _scalar(match["s"]) is None:
            return "the Mul after the MatMul is not by a constant scalar"
        if const_array(matmul.inputs[1]) is None:
            return "the MatMul weight is not a constant"
        if not sole_consumer(matmul.outputs[0], match["mul"]):
            return "the MatMul output has another reader"
        return None

    def rewrite(self, graph: ir.Graph, match: Match) -> None:
        if match["kind"] == "weight":
            matmul, mul = match["matmul"], match["mul"]
            weight = const_array(matmul.inputs[1])
            scaled = (weight * _scalar(match["s"])).astype(weight.dtype)
            w = add_initializer(graph, scaled, f"{matmul.name or 'matmul'}_scaled_weight")
            fused = ir.node("MatMul", [matmul.inputs[0], w], name=matmul.name)
            replace_node(graph, [matmul, mul], [fused], mul.outputs[0], fused.outputs[0])
            return
        gemm, producer, idx = match["gemm"], match["producer"], match["idx"]
        if match["kind"] == "transpose":
            flag = "transA" if idx == 0 else "transB"
            gemm.attributes[flag] = ir.AttrInt64(flag, 1 - attr_int(gemm, flag, 0))
            gemm.replace_input_with(idx, producer.inputs[0])
        else:
            side = 0 if _scalar(producer.inputs[1]) is None else 1
            alpha = attr_float(gemm, "alpha", 1.0) * _scalar(producer.inputs[side])
            gemm.attributes["alpha"] = ir.AttrFloat32("alpha", alpha)
            gemm.replace_input_with(idx, producer.inputs[1 - side])
        if not producer.outputs[0].uses() and not producer.outputs[0].is_graph_output():
            graph.remove(producer, safe=True)
