"""Constant folding: evaluate nodes with all-constant inputs (ONNX reference evaluator)."""

from __future__ import annotations

import logging

import numpy as np
import onnx
import onnx_ir as ir
from onnx.reference import ReferenceEvaluator
from onnx_ir.passes.common import ShapeInferencePass

from ._rewrite import add_initializer, const_array, is_onnx_op, static_shape

__all__ = ["ConstantFoldingPass"]

log = logging.getLogger("paddlec.passes")

# Ops whose result is not a function of their inputs, or that carry a subgraph.
_NEVER_FOLD = {"RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike",
               "Multinomial", "Bernoulli", "If", "Loop", "Scan", "SequenceMap"}
# Where a large constant is a weight that has to exist at run time anyway.
_WEIGHT_INPUTS = {"Conv": (1, 2), "ConvTranspose": (1, 2), "Gemm": (0, 1, 2),
                  "MatMul": (0, 1), "BatchNormalization": (1, 2, 3, 4), "PRelu": (1,),
                  "InstanceNormalization": (1, 2), "LayerNormalization": (1, 2),
                  "Gather": (0,), "LSTM": (1, 2, 3), "GRU": (1, 2, 3), "RNN": (1, 2, 3)}
_LAYOUT_OPS = {"Reshape", "Transpose", "Unsqueeze", "Squeeze", "Flatten", "Cast"}


class ConstantFoldingPass(ir.passes.InPlacePass):
    """``y = Op(c1, c2, ...)`` with constant ``c*`` → ``y`` becomes an initializer.

    Also ``Shape(x)``, ``Size(x)`` and ``Gather(Shape(x), c)`` when the dims they read are
    static, so the ``Shape → Gather → Concat → Reshape`` chains that exporters emit collapse to
    a Reshape with a constant shape. Values are computed by ``onnx.reference`` (the ONNX spec's
    own implementation), so the result is what any conforming runtime computes, up to float
    rounding of the folded expression. Random and control-flow ops are never folded.

    Size limit: a result of at most ``always_fold_bytes`` is always folded, as is a result no
    larger than its inputs. A bigger result (an expansion such as ConstantOfShape, Expand,
    Tile) is folded only when every reader takes it as a weight (Conv/Gemm/MatMul/BN
    operands), which must exist at run time anyway, and never above ``max_bytes``: a huge
    broadcast feeding an elementwise op stays a broadcast, which TVM fuses for free.
    """

    def __init__(self, always_fold_bytes: int = 1 << 20, max_bytes: int = 1 << 30,
                 max_rounds: int = 4) -> None:
        super().__init__()
        self.always_fold_bytes = always_fold_bytes
        self.max_bytes = max_bytes
        self.max_rounds = max_rounds
        self.refusals: list[tuple[str, str]] = []

    def call(self, model: ir.Model) -> ir.passes.PassResult:
        self.refusals = []
        opset = model.opset_imports.get("", 1)
        modified = False
        for _ in range(self.max_rounds):  # shapes found after a fold can unlock more folds
            if any(is_onnx_op(n, "Shape", "Size") for n in model.graph):
                ShapeInferencePass(strict_mode=False)(model)
            folded = sum(self._fold(model.graph, node, opset) for node in list(model.graph))
            modified = modified or folded > 0
            if not folded:
                break
        return ir.passes.PassResult(model, modified=modified)

    def _fold(self, graph: ir.Graph, node: ir.Node, opset: int) -> bool:
        if node.domain not in ("", "ai.onnx") or node.op_type in _NEVER_FOLD:
            return False
        if any(out.is_graph_output() for out in node.outputs):
            return False  # a graph output must stay computed by a node
        if any(attr.type in (ir.AttributeType.GRAPH, ir.AttributeType.GRAPHS)
               for attr in node.attributes.values()):
            return False
        results = self._shape_values(node)
        if results is None:
            inputs = {v.name: const_array(v) for v in node.inputs if v is not None}
            if (not inputs and node.op_type != "Constant") or any(
                    a is None for a in inputs.values()):
                return False
            if not self._fits(node, self._predicted_bytes(node, inputs), inputs):
                return False
            results = self._evaluate(node, inputs, opset)
            if results is None or not all(self._fits(node, r.nbytes, inputs) for r in results):
                return False
        for out, array in zip(node.outputs, results):
            if out.uses():
                new = add_initializer(graph, array, out.name or f"{node.name}_folded")
                out.replace_all_uses_with(new)
        graph.remove(node, safe=True)
        return True

    def _shape_values(self, node: ir.Node) -> list[np.ndarray] | None:
        """Shape / Size / Gather(Shape) computed from static dims, without evaluating x."""
        if is_onnx_op(node, "Shape", "Size"):
            dims = static_shape(node.inputs[0])
            if dims is None:
                return None
            if node.op_type == "Size":
                return [np.array(int(np.prod(dims)), dtype=np.int64)]
            start = node.attributes.get_int("start", 0)
            end = node.attributes.get_int("end", len(dims))
            return [np.array(dims[start:end], dtype=np.int64)]
        if is_onnx_op(node, "Gather") and is_onnx_op(node.inputs[0].producer(), "Shape"):
            shape_node = node.inputs[0].producer()
            indices = const_array(node.inputs[1])
            if indices is None or shape_node.inputs[0].shape is None:
                return None
            start = shape_node.attributes.get_int("start", 0)
            end = shape_node.attributes.get_int("end", len(shape_node.inputs[0].shape))
            dims = list(shape_node.inputs[0].shape.dims)[start:end]
            picked = [dims[i] for i in np.asarray(indices).reshape(-1)]
            if not all(isinstance(d, int) for d in picked):
                return None
            return [np.array(picked, dtype=np.int64).reshape(np.shape(indices))]
        return None

    def _predicted_bytes(self, node: ir.Node, inputs: dict[str, np.ndarray]) -> int:
        """The output size of the ops that expand small inputs, known before evaluating."""
        args = [const_array(v) if v is not None else None for v in node.inputs]
        if node.op_type == "ConstantOfShape":
            fill = node.attributes.get("value")
            itemsize = fill.as_tensor().dtype.itemsize if fill is not None else 4
            return int(np.prod(args[0]) * itemsize)
        if node.op_type == "Expand":
            shape = np.broadcast_shapes(args[0].shape, tuple(int(d) for d in args[1]))
            return int(np.prod(shape)) * args[0].itemsize
        if node.op_type == "Tile":
            return int(args[0].size * np.prod(args[1])) * args[0].itemsize
        if node.op_type == "Range":
            return int(max(0, np.ceil((args[1] - args[0]) / args[2]))) * args[0].itemsize
        return 0

    def _fits(self, node: ir.Node, nbytes: int, inputs: dict[str, np.ndarray]) -> bool:
        input_bytes = sum(a.nbytes for a in inputs.values())
        if nbytes <= self.always_fold_bytes or nbytes <= input_bytes:
            return True
        if nbytes > self.max_bytes:
            reason = f"result of {nbytes} bytes is over the {self.max_bytes}-byte limit"
        elif all(self._is_weight_use(use) for out in node.outputs for use in out.uses()):
            return True
        else:
            reason = f"result of {nbytes} bytes expands its inputs and feeds no weight"
        log.debug("constant_folding: not folding %s: %s", node.name, reason)
        self.refusals.append((node.name or node.op_type, reason))
        return False

    def _is_weight_use(self, use, depth: int = 0) -> bool:
        """The reader takes the value as a weight, possibly through layout ops (a Reshape)."""
        if use.idx in _WEIGHT_INPUTS.get(use.node.op_type, ()):
            return True
        if use.idx == 0 and use.node.op_type in _LAYOUT_OPS and depth < 8:
            return all(self._is_weight_use(u, depth + 1) for out in use.node.outputs
                       for u in out.uses())
        return False

    def _evaluate(self, node: ir.Node, inputs: dict[str, np.ndarray],
                  opset: int) -> list[np.ndarray] | None:
        proto = ir.serde.serialize_node(node)
        graph = onnx.helper.make_graph(
            [proto], "fold", [onnx.helper.make_empty_tensor_value_info(n) for n in inputs],
            [onnx.helper.make_empty_tensor_value_info(n) for n in proto.output])
        model = onnx.helper.make_model(
            graph, opset_imports=[onnx.helper.make_opsetid("", node.version or opset)])
        try:
            evaluator = ReferenceEvaluator(model)
            results = evaluator.run(None, inputs)
        except Exception as exc:  # noqa: BLE001 - an op the evaluator lacks: leave it to TVM
            reason = f"reference evaluator failed: {type(exc).__name__}: {exc}"
            log.debug("constant_folding: not folding %s: %s", node.name, reason)
            self.refusals.append((node.name or node.op_type, reason))
            return None
        arrays = [np.asarray(r) for r in results]
        if len(arrays) != len(node.outputs) or any(a.dtype == object for a in arrays):
            return None
        return arrays
