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
import tvm
from tvm import relax, tirx
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


# broadcasting binary ops whose operands' symbolic dims are aligned (see _align_symbolic_operands)
_ELEMENTWISE_BINARY = ("Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Mod", "PRelu", "Equal",
                       "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "And", "Or", "Xor")



# paddlec converters of ops in that list that also accept ShapeExpr inputs themselves
_SHAPE_AWARE = frozenset({"Cast", "CastLike", "Slice", "Resize"})


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
        self._value_shapes: dict[str, list] = {}  # ONNX value_info: name → dims (int | str)
        self._dim_vars: dict[str, tirx.Var] = {}

    def set_value_shapes(self, graph) -> None:
        """The shapes ONNX shape inference recorded for intermediate values."""
        for info in graph.value_info:
            if info.type.HasField("tensor_type") and info.type.tensor_type.HasField("shape"):
                self._value_shapes[info.name] = [
                    d.dim_value if d.HasField("dim_value") else
                    (d.dim_param if d.dim_param not in ("", "?") else None)
                    for d in info.type.tensor_type.shape.dim]

    def _parse_graph_input(self, graph) -> None:
        """TVM reads ``dim_value: 0`` as an unknown dimension; keep such inputs' zeros."""
        super()._parse_graph_input(graph)
        for info in graph.input:  # the inputs' named dims, shared with _name_unknown_dims
            value = self._nodes.get(info.name)
            dims = info.type.tensor_type.shape.dim if info.type.HasField("tensor_type") else []
            if isinstance(value, relax.Var) and value.ty.shape is not None:
                for dim, var in zip(dims, value.ty.shape.values):
                    if dim.dim_param and dim.dim_param != "?" and isinstance(var, tirx.Var):
                        self._dim_vars.setdefault(dim.dim_param, var)
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
            if node.op_type in _ELEMENTWISE_BINARY + ("Concat",) and self._domain == "":
                swapped.update(self._align_symbolic_operands(node))
            try:
                super()._construct_nodes(_OneNode([node]))
            finally:
                self._nodes.update(swapped)
            for name in node.output:
                self._name_unknown_dims(name)

    def _align_symbolic_operands(self, node) -> dict:
        """``Add(a[N,C,h1,w1], b[N,C,h2,w2])`` where h1 / h2 are symbolic sizes Relax cannot
        prove equal (an FPN adds an upsampled map to a lateral one, and concatenates maps
        resized from several levels: equal for the input sizes the model is meant for):
        Relax would give the result no shape and could not lower it, so the other operands
        are cast to the first one's dims there (all but the concatenation axis for Concat).
        The cast is checked when the model runs, so sizes that differ fail with an error
        instead of a wrong result (a size that is 1 at run time, which ONNX would broadcast,
        is refused too). A Concat operand of static size where another's is symbolic (a
        recognizer's pooled height, 1 for the 48-pixel lines it reads) takes the static
        size, checked the same way. Returns the replaced inputs."""
        names = list(node.input if node.op_type == "Concat" else node.input[:2])
        values = [self._nodes.get(name) for name in names]
        if len(values) < 2 or not all(isinstance(v, relax.Expr) and
                                      isinstance(v.ty, relax.TensorType) and
                                      v.ty.shape is not None for v in values):
            return {}
        shapes = [list(v.ty.shape.values) for v in values]
        if len({len(shape) for shape in shapes}) != 1:
            return {}
        skip = None
        if node.op_type == "Concat":
            axis = next(a.i for a in node.attribute if a.name == "axis")
            skip = axis % len(shapes[0])
        analyzer = tvm.sym.Analyzer()
        # the dims every operand is cast to: the first operand's, except that a Concat
        # (no broadcasting) takes a static size where any operand has one
        target = list(shapes[0])
        if node.op_type == "Concat":
            for index in range(len(target)):
                static = [shape[index] for shape in shapes
                          if isinstance(shape[index], tirx.IntImm)]
                if static and index != skip:
                    target[index] = static[0]
        originals = {}
        for name, value, shape in zip(names, values, shapes):
            dims, changed = [], False
            for index, (a, b) in enumerate(zip(target, shape)):
                static = isinstance(a, tirx.IntImm) and isinstance(b, tirx.IntImm)
                broadcast = node.op_type != "Concat" and (
                    (isinstance(a, tirx.IntImm) and int(a) == 1) or
                    (isinstance(b, tirx.IntImm) and int(b) == 1))
                if index == skip or static or broadcast or analyzer.can_prove_equal(a, b):
                    dims.append(b)
                else:
                    dims.append(a)
                    changed = True
            if changed and name not in originals:
                originals[name] = value
                self._nodes[name] = self.bb.match_cast(value,
                                                       relax.TensorType(dims, value.ty.dtype))
        return originals

    def _name_unknown_dims(self, name: str) -> None:
        """A result whose rank Relax knows but not its dims (the sum of two tensors whose
        symbolic sizes it cannot prove equal, e.g. an FPN's upsampled map and its lateral
        one) is cast to the dims ONNX shape inference gave it: shared names become shared
        variables (checked when the model runs), other dims fresh ones. Later converters
        then see a shape, as they would for a static model."""
        value = self._nodes.get(name) if name else None
        if isinstance(value, relax.Call) and value.ty is None:
            # a converter's result left unnormalized: converters that read their inputs'
            # types (TVM's opset-11 Softmax reshapes to its input's shape) need them
            value = self._nodes[name] = self.bb.normalize(value)
        if not isinstance(value, relax.Expr) or not isinstance(value.ty, relax.TensorType) or \
                value.ty.shape is not None or value.ty.ndim < 0:
            return
        inferred = self._value_shapes.get(name, [None] * value.ty.ndim)
        if len(inferred) != value.ty.ndim:
            inferred = [None] * value.ty.ndim
        dims = []
        for index, dim in enumerate(inferred):
            if isinstance(dim, int):
                dims.append(dim)
            else:
                key = dim or f"{name}_dim{index}"
                dims.append(self._dim_vars.setdefault(key, tirx.Var(key, "int64")))
        self._nodes[name] = self.bb.match_cast(value, relax.TensorType(dims, value.ty.dtype))

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
    importer.set_value_shapes(proto.graph)
    mod = importer.from_onnx(proto.graph, opsets.get("", opsets.get("ai.onnx", 1)))
    return split_at_shape_definitions(mod)
