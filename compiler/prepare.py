"""Make a graph lowerable: expand function-defined ops, unroll static control flow.

Runs right before the lowering at every -O level (these rewrites are not optimizations:
without them the ops have no lowering). Only graphs that need it are touched:

1. an ONNX op that neither paddlec nor TVM converts but whose schema defines it as a
   function (LinearAttention, CausalConvWithState, ...) is expanded into that body
   (``passes/expand_functions.py``);
2. when the graph has Scan or Loop, constant folding and shape inference make trip counts and
   scanned lengths static, then ``passes/unroll_control_flow.py`` unrolls them. A loop that
   stays dynamic is reported with its reason next to every other unsupported op;
3. when a shape operand (Reshape's shape, Expand's, Slice's ends...) is computed at run
   time, shape inference names the symbolic dims and ``passes/resolve_shape_operands.py``
   turns the operands it can express into constants (0 / -1 for Reshape), until nothing
   changes.
"""

from __future__ import annotations

import onnx_ir as ir
from onnx_ir.passes.common import RemoveUnusedNodesPass, ShapeInferencePass

from ..passes.constant_folding import ConstantFoldingPass
from ..passes.expand_functions import ExpandFunctionsPass
from ..passes.resolve_shape_operands import SHAPE_OPERANDS, ResolveShapeOperandsPass
from ..passes.unroll_control_flow import UnrollControlFlowPass

__all__ = ["prepare_for_lowering"]

_CONTROL_FLOW = ("Scan", "Loop")


def _lacks_converter():
    """``(domain, op, opset) -> bool``: neither paddlec nor TVM converts the op."""
    from tvm.relax.frontend.onnx.onnx_frontend import _get_convert_map

    from .converters import find_converter

    tvm_ops = set(_get_convert_map())  # built once: TVM rebuilds the map on every call

    def lacks(domain: str, op_type: str, opset: int) -> bool:
        if find_converter(domain, op_type, opset) is not None:
            return False
        return not (domain in ("", "ai.onnx") and op_type in tvm_ops)

    return lacks


def _has_control_flow(model: ir.Model) -> bool:
    return any(node.op_type in _CONTROL_FLOW and node.domain in ("", "ai.onnx")
               for node in ir.traversal.RecursiveGraphIterator(model.graph))


def prepare_for_lowering(model: ir.Model) -> dict[ir.Node, str]:
    """Rewrite ``model`` in place; returns the Scan/Loop nodes left as they were, with why."""
    expand = ExpandFunctionsPass(_lacks_converter())
    expand(model)
    refusals: dict[ir.Node, str] = {}
    for _ in range(3):  # unrolling can make an outer trip count constant
        if not _has_control_flow(model):
            break
        ConstantFoldingPass()(model)
        ShapeInferencePass(strict_mode=False)(model)
        unroll = UnrollControlFlowPass()
        modified = unroll(model).modified
        refusals = unroll.refusals
        if not modified:
            break
    for _ in range(8):  # each round can give the next chain's dims their names
        if not _has_computed_shape_operands(model):
            break
        ShapeInferencePass(strict_mode=False)(model)
        if not ResolveShapeOperandsPass()(model).modified:
            break
        ConstantFoldingPass()(model)
        RemoveUnusedNodesPass()(model)
    return refusals


def _has_computed_shape_operands(model: ir.Model) -> bool:
    for node in model.graph:
        for index in SHAPE_OPERANDS.get(node.op_type, ()) if node.domain in ("", "ai.onnx") \
                else ():
            operand = node.inputs[index] if index < len(node.inputs) else None
            if operand is not None and operand.const_value is None and \
                    not operand.is_graph_input():
                return True
    return False
