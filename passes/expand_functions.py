"""Expand ONNX ops that have no lowering into the function body their schema defines.

Many recent ONNX ops (LinearAttention, CausalConvWithState, ...) are defined by the standard
as a function of older ops: the schema ships that body (``onnx.defs``), context-dependent
on the node's attributes and input types. Expanding a node into it is exact by definition
(the ONNX backend suite's ``_expanded`` cases are these very graphs), so an op without a
converter can still be lowered. Which ops to expand is the caller's decision (``wanted``).
"""

from __future__ import annotations

from collections.abc import Callable

import onnx
import onnx.defs
import onnx_ir as ir
from onnx_ir.passes.common import InlinePass

__all__ = ["ExpandFunctionsPass", "function_body"]

_DOMAIN = "paddlec.expand"


def function_body(node: ir.Node, opset: int) -> onnx.FunctionProto | None:
    """The schema's function body for ``node`` at ``opset`` (None if the op has none)."""
    try:
        schema = onnx.defs.get_schema(node.op_type, opset, node.domain or "")
    except onnx.defs.SchemaError:
        return None
    function = onnx.FunctionProto()
    versions = [v for v in schema.function_opset_versions if v <= opset]
    if versions:
        function.ParseFromString(schema.get_function_with_opset_version(max(versions)))
        return function
    versions = [v for v in schema.context_dependent_function_opset_versions if v <= opset]
    if not versions or any(value is not None and value.type is None for value in node.inputs):
        return None
    proto = _node_with_defaults(node, schema)
    types = [ir.serde.serialize_value(value).type if value is not None else onnx.TypeProto()
             for value in node.inputs]  # with shapes: bodies may depend on ranks
    function.ParseFromString(schema.get_context_dependent_function_with_opset_version(
        max(versions), proto.SerializeToString(), [t.SerializeToString() for t in types]))
    return function


def _node_with_defaults(node: ir.Node, schema) -> onnx.NodeProto:
    """The node as a NodeProto with the schema's default attribute values filled in (the
    function builder reads attributes from the node only)."""
    proto = ir.serde.serialize_node(node)
    present = {attr.name for attr in proto.attribute}
    for name, attr in schema.attributes.items():
        if name not in present and attr.default_value and attr.default_value.name:
            proto.attribute.append(attr.default_value)
    return proto


class ExpandFunctionsPass(ir.passes.InPlacePass):
    """``y = Op(x)`` with ``wanted(domain, op, opset)`` → the body of ``Op``'s ONNX function.

    Each node gets its own instance of the function (context-dependent bodies differ per
    node), registered as a model-local function and inlined by onnx_ir's ``InlinePass``.
    ``expanded`` lists the op types that were expanded.
    """

    def __init__(self, wanted: Callable[[str, str, int], bool]) -> None:
        super().__init__()
        self.wanted = wanted
        self.expanded: list[str] = []

    def call(self, model: ir.Model) -> ir.passes.PassResult:
        self.expanded = []
        for node in list(ir.traversal.RecursiveGraphIterator(model.graph)):
            domain = node.domain or ""
            opset = model.opset_imports.get(domain, 1)
            if domain not in ("", "ai.onnx") or not self.wanted(domain, node.op_type, opset):
                continue
            body = function_body(node, opset)
            if body is None:
                continue
            self.expanded.append(node.op_type)
            self._call_instead(model, node, body)
        if not self.expanded:
            return ir.passes.PassResult(model, False)
        InlinePass(criteria=lambda function: function.domain == _DOMAIN)(model)
        return ir.passes.PassResult(model, True)

    def _call_instead(self, model: ir.Model, node: ir.Node, body: onnx.FunctionProto) -> None:
        """Retarget ``node`` at a model-local copy of ``body``."""
        body.domain = _DOMAIN
        body.name = f"{node.op_type}_{len(self.expanded) - 1}"
        function = ir.serde.deserialize_function(body)
        model.functions[function.identifier()] = function
        for domain, version in function.opset_imports.items():
            model.opset_imports.setdefault(domain, version)
        model.opset_imports.setdefault(_DOMAIN, 1)
        node.domain = _DOMAIN
        node.op_type = body.name
