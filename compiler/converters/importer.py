"""TVM's ONNX graph importer with paddlec's converter registry in front of TVM's converters.

``PaddlecImporter`` subclasses ``tvm.relax.frontend.onnx.onnx_frontend.ONNXGraphImporter``
and changes two things, explicitly and without touching TVM's module globals:

* ``_convert_operator``: a node whose (domain, op, opset) has a paddlec converter is lowered
  by it; every other node goes to TVM's converter as before.
* ``_construct_nodes``: a node whose inputs are all known values is evaluated at import time
  (``fold.py``); the others are fed to TVM's loop one at a time, so that an input that TVM
  keeps as a ``ShapeExpr`` (e.g. the output of ``Shape``) can first be turned into a tensor
  for ops whose converter would otherwise reject it ("cannot handle ShapeExpr inputs").
"""

from __future__ import annotations

from dataclasses import dataclass

import onnx
from tvm import relax
from tvm.ir import IRModule
from tvm.relax.frontend.onnx.onnx_frontend import ONNXGraphImporter

from ..dataflow_split import split_at_shape_definitions
from .fold import fold_node, known_value
from .registry import ConverterContext, ConverterError, find_converter

__all__ = ["PaddlecImporter", "import_onnx"]

# The ops that TVM's importer lets through with ShapeExpr inputs (a local list inside
# ONNXGraphImporter._construct_nodes of TVM 0.27); everything else gets a tensor.
_TVM_SHAPE_OPS = frozenset({
    "Reshape", "Resize", "ConstantOfShape", "Gather", "Slice", "Shape", "Expand", "Concat",
    "Equal", "Where", "Cast", "CastLike", "Squeeze",
})


# paddlec converters of ops in that list that also accept ShapeExpr inputs themselves
_SHAPE_AWARE = frozenset({"Cast", "CastLike", "Slice"})


@dataclass
class _OneNode:
    """A stand-in for a GraphProto holding a single node (what ``_construct_nodes`` reads)."""

    node: list


class PaddlecImporter(ONNXGraphImporter):
    """``ONNXGraphImporter`` that consults paddlec's registry before TVM's converter map."""

    def __init__(self, opsets: dict[str, int]) -> None:
        super().__init__(shape_dict=None, dtype_dict=None, keep_params_in_input=False,
                         sanitize=False)
        self._opsets = {("" if d == "ai.onnx" else d): v for d, v in opsets.items()}
        self._domain = ""

    def _parse_graph_input(self, graph) -> None:
        """TVM reads ``dim_value: 0`` as an unknown dimension; keep such inputs' zeros."""
        super()._parse_graph_input(graph)
        for info in graph.input:
            old = self._nodes.get(info.name)
            dims = info.type.tensor_type.shape.dim if info.type.HasField("tensor_type") else []
            if not isinstance(old, relax.Var) or not any(
                    d.HasField("dim_value") and d.dim_value == 0 for d in dims):
                continue
            shape = [d.dim_value if d.HasField("dim_value") else old_dim
                     for d, old_dim in zip(dims, old.ty.shape.values)]
            new = self._new_var(info.name, shape=shape, dtype=str(old.ty.dtype))
            self._nodes[info.name] = new
            self._inputs[info.name] = new

    def _check_for_unsupported_ops(self, graph) -> None:
        """paddlec's lowering checks the whole graph first, against both registries."""

    def _construct_nodes(self, graph) -> None:
        for node in graph.node:
            self._domain = "" if node.domain == "ai.onnx" else node.domain
            folded = fold_node(node, self._nodes, self._opsets)
            if folded is not None and len(folded) >= len(node.output):
                for name, value in zip(node.output, folded):
                    if name:
                        self._nodes[name] = value
                continue
            ours = find_converter(self._domain, node.op_type, self._opset_of(self._domain))
            swapped = {}
            if node.op_type not in _TVM_SHAPE_OPS or (
                    ours is not None and node.op_type not in _SHAPE_AWARE):
                swapped = self._tensorize_shape_inputs(node)
            try:
                super()._construct_nodes(_OneNode([node]))
            finally:
                self._nodes.update(swapped)

    def _tensorize_shape_inputs(self, node) -> dict:
        """Replace ShapeExpr inputs of ``node`` by int64 tensors; returns the originals."""
        originals = {}
        for name in node.input:
            value = self._nodes.get(name) if name else None
            if isinstance(value, relax.Expr) and isinstance(value.ty, relax.ShapeType):
                originals[name] = value
                static = known_value(value)
                self._nodes[name] = (relax.const(static, "int64") if static is not None else
                                     self.bb.emit(relax.op.shape_to_tensor(value)))
        return originals

    def _inline_graph(self, graph, inputs: list) -> list:
        """Convert the nodes of a graph attribute into the current function, its inputs bound
        to ``inputs``; returns its outputs. Names the subgraph defines do not leak out."""
        outer, domain = dict(self._nodes), self._domain
        try:
            for info, value in zip(graph.input, inputs):
                self._nodes[info.name] = value
            for tensor in graph.initializer:
                self._nodes[tensor.name] = relax.const(self._parse_array(tensor))
            self._construct_nodes(graph)
            return [self._nodes[info.name] for info in graph.output]
        finally:
            self._nodes.clear()
            self._nodes.update(outer)
            self._domain = domain

    def _opset_of(self, domain: str) -> int:
        return self._opsets.get(domain, self.opset if domain == "" else 1)

    def _convert_operator(self, op_name, inputs, attrs, opset):
        fn = find_converter(self._domain, op_name, self._opset_of(self._domain))
        if fn is None:
            return super()._convert_operator(op_name, inputs, attrs, opset)
        custom = attrs.pop("tvm_custom", {})
        ctx = ConverterContext(self._opset_of(self._domain), custom.get("name", ""),
                               custom.get("num_outputs", 1), [self._nodes, self._params],
                               self._inline_graph)
        try:
            result = fn(self.bb, list(inputs), attrs, ctx)
        except ConverterError as exc:
            raise ConverterError(f"{op_name} (opset {ctx.opset}): {exc}") from None
        if isinstance(result, (list, tuple)):
            result = relax.Tuple(list(result))
        return self.bb.normalize(result)


def import_onnx(proto: onnx.ModelProto) -> IRModule:
    """TVM's ``from_onnx`` with paddlec's converters (the model is already checked)."""
    opsets = {entry.domain: entry.version for entry in proto.opset_import}
    importer = PaddlecImporter(opsets)
    mod = importer.from_onnx(proto.graph, opsets.get("", opsets.get("ai.onnx", 1)))
    return split_at_shape_definitions(mod)
