"""What the peephole passes share: a pattern / check / rewrite driver and small graph helpers.

A rule subclasses :class:`RewriteRule` and writes three methods:

- ``pattern(node)`` returns a :class:`Match` (the named nodes and constants of the pattern
  anchored at ``node``) or ``None`` when the graph does not have that shape at all;
- ``check(match)`` returns ``None`` to accept or a sentence saying why it refused (a BN whose
  conv output has another consumer, a 3-D MatMul...). Refusals are logged at DEBUG and kept
  in ``rule.refusals`` so that tests and ``--verify-passes`` can show them;
- ``rewrite(graph, match)`` edits the graph in place.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import onnx_ir as ir

__all__ = ["Match", "RewriteRule", "add_initializer", "attr_float", "attr_int", "attr_ints",
           "bypass", "const_array", "is_onnx_op", "replace_node", "sole_consumer",
           "static_shape"]

log = logging.getLogger("paddlec.passes")

_MAX_REWRITES_PER_NODE = 4


@dataclass
class Match:
    """A matched pattern: ``nodes`` by role name, plus any values read on the way."""

    nodes: dict[str, ir.Node]
    values: dict[str, object] = field(default_factory=dict)

    def __getitem__(self, key: str):
        return self.nodes[key] if key in self.nodes else self.values[key]


class RewriteRule(ir.passes.InPlacePass):
    """Applies ``pattern`` / ``check`` / ``rewrite`` at every node whose op is an anchor."""

    anchors: tuple[str, ...] = ()

    def __init__(self) -> None:
        super().__init__()
        self.refusals: list[tuple[str, str]] = []  # (node name, reason)

    def pattern(self, node: ir.Node) -> Match | None:
        raise NotImplementedError

    def check(self, match: Match) -> str | None:
        return None

    def rewrite(self, graph: ir.Graph, match: Match) -> None:
        raise NotImplementedError

    def call(self, model: ir.Model) -> ir.passes.PassResult:
        self.refusals = []
        modified = False
        for graph in model.graphs():
            for node in list(graph):
                if node.graph is not graph or not is_onnx_op(node, *self.anchors):
                    continue  # removed by an earlier rewrite, or not our anchor
                for _ in range(_MAX_REWRITES_PER_NODE):  # a node may match again (Gemm A, B)
                    if not self._apply(graph, node):
                        break
                    modified = True
                    if node.graph is not graph:
                        break
        return ir.passes.PassResult(model, modified=modified)

    def _apply(self, graph: ir.Graph, node: ir.Node) -> bool:
        match = self.pattern(node)
        if match is None:
            return False
        reason = self.check(match)
        if reason is not None:
            log.debug("%s: not rewriting %s: %s", type(self).__name__, node.name, reason)
            self.refusals.append((node.name or node.op_type, reason))
            return False
        self.rewrite(graph, match)
        return True


def is_onnx_op(node: ir.Node | None, *op_types: str) -> bool:
    """``node`` is one of ``op_types`` in the default ONNX domain."""
    return node is not None and node.domain in ("", "ai.onnx") and node.op_type in op_types


def const_array(value: ir.Value | None) -> np.ndarray | None:
    """The value's contents if it is a constant (initializer or Constant node), else None.

    A graph input that also has an initializer is a default that callers may override, so it
    is not a constant.
    """
    if value is None or value.is_graph_input():
        return None
    tensor = ir.convenience.get_const_tensor(value)
    return None if tensor is None else tensor.numpy()


def static_shape(value: ir.Value | None) -> tuple[int, ...] | None:
    """The value's shape when every dimension is a known integer, else None."""
    if value is None or value.shape is None:
        return None
    dims = tuple(value.shape.dims)
    if not all(isinstance(dim, int) for dim in dims):
        return None
    return dims


def sole_consumer(value: ir.Value, node: ir.Node) -> bool:
    """``node`` is the only reader of ``value`` (so the producer may be rewritten for it)."""
    return not value.is_graph_output() and all(use.node is node for use in value.uses())


def add_initializer(graph: ir.Graph, array: np.ndarray, base_name: str) -> ir.Value:
    """Register ``array`` as a new initializer named after ``base_name`` (made unique)."""
    name, index = base_name, 0
    while name in graph.initializers:
        index += 1
        name = f"{base_name}_{index}"
    array = np.asarray(array, order="C")  # (np.ascontiguousarray would make 0-d arrays 1-d)
    value = ir.Value(name=name, shape=ir.Shape(array.shape),
                     type=ir.TensorType(ir.DataType.from_numpy(array.dtype)),
                     const_value=ir.tensor(array, name=name))
    graph.register_initializer(value)
    return value


def replace_node(graph: ir.Graph, old_nodes: list[ir.Node], new_nodes: list[ir.Node],
                 old_output: ir.Value, new_output: ir.Value) -> None:
    """Insert ``new_nodes`` after the last of ``old_nodes``, route readers of ``old_output`` to
    ``new_output`` (which takes over its name, type and shape), and drop ``old_nodes``."""
    ir.convenience.replace_nodes_and_values(graph, old_nodes[-1], old_nodes, new_nodes,
                                            [old_output], [new_output])


def bypass(graph: ir.Graph, node: ir.Node, source: ir.Value) -> None:
    """Remove the single-output ``node`` so that its readers read ``source`` instead.

    When the output is a graph output it keeps its name through an Identity (which
    ``identity_elimination`` then removes where it can): the graph's interface never changes.
    """
    out = node.outputs[0]
    if out.is_graph_output():
        identity = ir.node("Identity", [source], name=node.name)
        ir.convenience.replace_nodes_and_values(graph, node, [node], [identity],
                                                [out], [identity.outputs[0]])
        return
    out.replace_all_uses_with(source)
    graph.remove(node, safe=True)


def attr_int(node: ir.Node, name: str, default: int) -> int:
    attr = node.attributes.get(name)
    return default if attr is None else int(attr.value)


def attr_ints(node: ir.Node, name: str, default: list[int]) -> list[int]:
    attr = node.attributes.get(name)
    return list(attr.as_ints()) if attr is not None else default


def attr_float(node: ir.Node, name: str, default: float) -> float:
    attr = node.attributes.get(name)
    return default if attr is None else float(attr.value)
