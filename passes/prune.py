"""Prune a graph to the part that computes the targets from the feeds.

    keep(v) = v is a feed                       → stop (becomes a graph input)
            | v is an initializer               → keep the weight
            | v = Op(a, b, ...)                 → keep Op, keep(a), keep(b), ...
            | v is any other graph input        → error: the target needs an unfed value

The walk goes backwards from the targets (reverse reachability, as Paddle's
``save_inference_model`` does), so everything else — labels, losses, gradients, optimizer
updates, metrics — goes. Feeding an intermediate value cuts the graph there. A feed that no
target needs is dropped with a :class:`PruneWarning`; a target may itself be a feed. Works
on any ``onnx_ir`` model (nodes with subgraphs keep the outer values they capture).
"""

from __future__ import annotations

import collections
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import onnx_ir as ir

from ..errors import PruneError

__all__ = ["PruneWarning", "PruneReport", "PrunePass", "prune"]


class PruneWarning(UserWarning):
    """A feed is not needed by any target and was dropped."""


@dataclass
class PruneReport:
    """What pruning kept and removed (saved into the model folder's manifest)."""

    feeds: list[str]
    targets: list[str]
    dropped_feeds: list[str] = field(default_factory=list)
    removed_inputs: list[str] = field(default_factory=list)
    removed_outputs: list[str] = field(default_factory=list)
    removed_initializers: list[str] = field(default_factory=list)
    removed_ops: dict[str, int] = field(default_factory=dict)
    kept_nodes: int = 0

    def to_json(self) -> dict:
        return dict(self.__dict__)


def _op_name(node: ir.Node) -> str:
    return (
        f"{node.domain}::{node.op_type}"
        if node.domain not in ("", "ai.onnx")
        else node.op_type
    )


def _owner(value: ir.Value) -> ir.Graph | None:
    producer = value.producer()
    return producer.graph if producer is not None else value.graph


def _node_inputs(node: ir.Node) -> list[ir.Value]:
    """The node's inputs plus the values of its graph that its subgraphs capture."""
    values = [v for v in node.inputs if v is not None]
    for attr in node.attributes.values():
        if attr.type == ir.AttributeType.GRAPH:
            graphs = [attr.value]
        elif attr.type == ir.AttributeType.GRAPHS:
            graphs = list(attr.value)
        else:
            continue
        for sub in graphs:
            for sub_node in ir.traversal.RecursiveGraphIterator(sub):
                values += [
                    v for v in sub_node.inputs if v is not None and _owner(v) is node.graph
                ]
    return values


class PrunePass(ir.passes.InPlacePass):
    """Keep only what the targets need, stopping at the feeds (see the module docstring)."""

    def __init__(self, feeds: Sequence[str], targets: Sequence[str]) -> None:
        super().__init__()
        self.feeds, self.targets = list(feeds), list(targets)
        self.report: PruneReport | None = None

    def call(self, model: ir.Model) -> ir.passes.PassResult:
        self.report = prune(model, self.feeds, self.targets)
        return ir.passes.PassResult(model, modified=True)


def _values(graph: ir.Graph) -> dict[str, ir.Value]:
    values: dict[str, ir.Value] = {v.name: v for v in graph.inputs}
    values.update(graph.initializers)
    for node in graph:
        values.update((v.name, v) for v in node.outputs if v.name)
    return values


def _cut_at(graph: ir.Graph, value: ir.Value) -> ir.Value:
    """Make the intermediate ``value`` a graph input: its users read a new input instead."""
    name = value.name
    new = ir.Value(name=None, type=value.type, shape=value.shape)
    ir.convenience.replace_all_uses_with(value, new, replace_graph_outputs=True)
    value.name = f"{name}.cut"
    new.name = name
    graph.inputs.append(new)
    return new


def prune(model: ir.Model, feeds: Sequence[str], targets: Sequence[str]) -> PruneReport:
    """Prune ``model`` in place to ``feeds`` → ``targets``; see the module docstring.

    Raises :class:`PruneError` for an unknown feed or target, a fed weight, or a target that
    needs a value that is neither fed nor a weight (naming the value and the targets).
    """
    graph = model.graph
    feeds, targets = list(dict.fromkeys(feeds)), list(dict.fromkeys(targets))
    if not targets:
        raise PruneError("no targets: name at least one value to compute")
    values = _values(graph)
    for kind, names in (("feed", feeds), ("target", targets)):
        unknown = [n for n in names if n not in values]
        if unknown:
            inputs = [v.name for v in graph.inputs]
            raise PruneError(
                f"unknown {kind}(s) {unknown}: not a value of the graph "
                f"(graph inputs: {inputs})"
            )
    for name in feeds:
        if name in graph.initializers:
            raise PruneError(f"feed {name!r} is a weight (initializer), not a graph input")
    if any(values[n].type is None for n in feeds + targets):
        _infer_types(model)  # ONNX needs typed graph inputs and outputs
        values = _values(graph)
    input_names = {v.name for v in graph.inputs}
    feed_values = {}
    for name in feeds:
        value = values[name]
        feed_values[name] = value if name in input_names else _cut_at(graph, value)

    kept_nodes: set[ir.Node] = set()
    kept_inits: set[str] = set()
    used_feeds: set[str] = set()
    unfed: dict[str, list[str]] = collections.defaultdict(list)
    for target in targets:
        seen: set[ir.Value] = set()
        stack = [feed_values.get(target) or values[target]]
        while stack:
            value = stack.pop()
            if value in seen:
                continue
            seen.add(value)
            if value.name in feed_values:
                used_feeds.add(value.name)
            elif value.name in graph.initializers and value.producer() is None:
                kept_inits.add(value.name)
            elif value.producer() is not None:
                node = value.producer()
                kept_nodes.add(node)
                stack.extend(_node_inputs(node))
            else:  # another graph input, or a value nothing defines
                unfed[value.name].append(target)
    if unfed:
        details = "; ".join(
            f"{name!r} (needed by {', '.join(repr(t) for t in ts)})"
            for name, ts in unfed.items()
        )
        raise PruneError(
            f"the targets depend on values that are neither fed nor weights: "
            f"{details}; add them to the feeds or choose other targets"
        )

    report = PruneReport(feeds=[n for n in feeds if n in used_feeds], targets=targets)
    report.dropped_feeds = [n for n in feeds if n not in used_feeds]
    for name in report.dropped_feeds:
        warnings.warn(
            f"feed {name!r} is not needed by any target; dropped from the inputs",
            PruneWarning,
            stacklevel=2,
        )
    report.removed_outputs = [v.name for v in graph.outputs if v.name not in targets]
    graph.outputs.clear()
    graph.outputs.extend(feed_values.get(t) or values[t] for t in targets)
    keep_inputs = [feed_values[n] for n in report.feeds]
    report.removed_inputs = [v.name for v in graph.inputs if v not in keep_inputs]
    graph.inputs.clear()
    graph.inputs.extend(keep_inputs)

    removed = [node for node in graph if node not in kept_nodes]
    report.removed_ops = dict(collections.Counter(_op_name(n) for n in removed))
    graph.remove(removed, safe=True)
    report.removed_initializers = sorted(n for n in graph.initializers if n not in kept_inits)
    for name in report.removed_initializers:
        del graph.initializers[name]
    report.kept_nodes = len(graph)
    untyped = [v.name for v in [*graph.inputs, *graph.outputs] if v.type is None]
    if untyped:
        raise PruneError(f"cannot infer the types of {untyped}; give them value_info")
    return report


def _infer_types(model: ir.Model) -> None:
    """Best effort ONNX shape inference (custom ops may stop it; the caller checks)."""
    from onnx_ir.passes.common import ShapeInferencePass

    ShapeInferencePass()(model)
